/**
 * The learner's work (inner adaptation steps and per-task meta-gradients) on several threads with
 * the same bytes as on one.
 *
 * Every task's inner step and every task's ∇O depend on that task's batches alone and are computed
 * by the same code on the same backend wherever they run; the meta-gradient sums them in float64
 * in task order on the calling thread ({@linkcode combineTaskGradients}). So a
 * {@linkcode workerLearner} gives the bytes of a {@linkcode localLearner} for any number of
 * workers, and uses every core for the learner's share of an iteration.
 *
 * On the `webgpu` backend the inner steps and the meta-gradient are instead the whole meta-batch
 * as one graph each ({@linkcode innerStepsBatched}, {@linkcode metaGradientBatched}), computed in
 * the calling thread whatever the number of workers (one device; hundreds of dispatches instead of
 * tens of thousands), so their bytes too are the same for any number of workers.
 *
 * On the `native` backend each task's inner step and ∇O are taken with explicit derivatives
 * ({@linkcode explicitInnerSteps}, {@linkcode explicitTaskGradients}: the same estimators without
 * the gradient tape, whose own work dominated that backend's time), per task as on the other CPU
 * backends; each thread keeps its inner steps' passes ({@linkcode InnerStepCache}) for the
 * meta-gradient at the same parameters, which would otherwise compute them again.
 *
 * @module
 */
import { type BackendName, tf } from "../kernels/backend.ts";
import type { LearnerBatch } from "../estimators/batch.ts";
import {
  combineTaskGradients,
  type EstimatorConfig,
  innerStepAsync,
  type MetaGradient,
  metaGradientBaselines,
  type TaskBatches,
  type TaskGradient,
  taskGradientsAsync,
} from "../estimators/meta_gradient.ts";
import { gaussianMlp, type PolicyParams, type PolicySpec } from "../estimators/policy.ts";
import { innerStepsBatched, metaGradientBatched } from "../estimators/batched_meta_gradient.ts";
import {
  explicitInnerSteps,
  explicitSupports,
  explicitTaskGradients,
  InnerStepCache,
} from "../estimators/explicit_meta_gradient.ts";
import { checkWorkers, mapChunks, workerPool } from "./worker_pool.ts";

/**
 * Where a learner runs the inner steps and meta-gradients of a Gaussian MLP policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLearner, type Learner } from "./parallel_learner.ts";
 * import { initPolicyParams } from "../estimators/policy.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const spec = { obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 } as const;
 * const batch = (s: number, a: number, w: number, jTilde: number) => ({
 *   observations: new Float32Array([s]), actions: new Float32Array([a]),
 *   weights: new Float32Array([w]), sampleCount: 1, trajectoryCount: 1, returnEstimate: jTilde,
 *   meanUndiscountedReturn: jTilde, scale: 1, rewards: new Float64Array([jTilde]), meanAdvantage: w,
 * });
 * const theta = initPolicyParams(spec, 0);
 * const learner: Learner = createLearner(1);
 * const [adapted] = await learner.innerSteps(spec, [theta], [batch(1, 1, 1, 0)], 0.1);
 * learner.close();
 * // ∂ log N(a; w·s + b, 1)/∂b = a − (w·s + b); the bias moves by 0.1 times that.
 * assert.ok(Math.abs(adapted[1][0] - 0.1 * (1 - theta[0][0])) <= 1e-6, "inner step");
 * ```
 */
export interface Learner {
  /** Number of learner threads (1 for the in-process learner). */
  readonly workers: number;
  /** θ + α∇L(θ; Dᵢ) for each task i, from its own parameters and batch, in task order. */
  innerSteps(
    spec: PolicySpec,
    params: readonly PolicyParams[],
    batches: readonly LearnerBatch[],
    alpha: number,
  ): Promise<PolicyParams[]>;
  /** The meta-gradient of `tasks` at `params` (the value of `metaGradient` for this policy). */
  metaGradient(
    spec: PolicySpec,
    params: PolicyParams,
    tasks: readonly TaskBatches[],
    config: EstimatorConfig,
  ): Promise<MetaGradient>;
  /** Stop the workers (idempotent). */
  close(): void;
}

/** One task's inner step, as a learner thread is asked for it. */
export interface InnerStepWork {
  readonly params: PolicyParams;
  readonly batch: LearnerBatch;
}

/** What a learner thread is asked: a contiguous run of tasks and what to compute for them. */
export type LearnerWork =
  | {
    readonly kind: "inner-steps";
    readonly backend: BackendName;
    readonly spec: PolicySpec;
    readonly alpha: number;
    readonly tasks: readonly InnerStepWork[];
  }
  | {
    readonly kind: "task-gradients";
    readonly backend: BackendName;
    readonly spec: PolicySpec;
    readonly params: PolicyParams;
    readonly config: EstimatorConfig;
    readonly tasks: readonly TaskBatches[];
    readonly baselines: readonly number[];
  };

/** A learner thread's answer: adapted parameters or task gradients, one per task of the request. */
export type LearnerResult = (PolicyParams | TaskGradient)[];

/** Tensor bytes of inner steps a learner thread keeps for the meta-gradient that follows them. */
export const INNER_STEP_CACHE_BYTES = 256 * 2 ** 20;

/**
 * This thread's kept inner steps (native): a learner worker is asked for the same run of tasks'
 * inner steps and then their gradients, so the gradients find the adaptation steps' passes at each
 * θᵗ here instead of computing them again.
 */
const innerStepCache = new InnerStepCache(INNER_STEP_CACHE_BYTES);

/**
 * Run `work` in this thread (what a learner worker does with a request, and what the in-process
 * learner does directly), reading results back asynchronously, as every backend can.
 */
export async function runLearnerWork(work: LearnerWork): Promise<LearnerResult> {
  const policy = gaussianMlp(work.spec);
  // On native the tape's own work is most of the time: derivatives written out instead.
  const explicit = work.backend === "native";
  if (work.kind === "inner-steps") {
    if (explicit) {
      return await explicitInnerSteps(work.spec, work.tasks, work.alpha, innerStepCache);
    }
    const out: PolicyParams[] = [];
    for (const t of work.tasks) {
      out.push(await innerStepAsync(policy, t.params, t.batch, work.alpha));
    }
    return out;
  }
  if (explicit && explicitSupports(work.config)) {
    return await explicitTaskGradients(
      work.spec,
      work.params,
      work.tasks,
      work.baselines,
      work.config,
      innerStepCache,
    );
  }
  return await taskGradientsAsync(policy, work.params, work.tasks, work.baselines, work.config);
}

/** The active backend, which learner threads must use too. */
function activeBackend(): BackendName {
  return tf.getBackend() as BackendName;
}

/**
 * Whether the inner steps and the meta-gradient are taken as one batched graph each in the calling
 * thread (a GPU backend).
 */
function batchedOnThisThread(): boolean {
  return activeBackend() === "webgpu";
}

/**
 * The learner in the calling thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localLearner } from "./parallel_learner.ts";
 * const learner = localLearner();
 * assert.equal(learner.workers, 1, "one thread");
 * learner.close();
 * ```
 */
export function localLearner(): Learner {
  return {
    workers: 1,
    innerSteps: async (spec, params, batches, alpha) =>
      batchedOnThisThread()
        ? await innerStepsBatched(spec, params, batches, alpha)
        : await runLearnerWork({
          kind: "inner-steps",
          backend: activeBackend(),
          spec,
          alpha,
          tasks: batches.map((batch, i) => ({ params: params[i], batch })),
        }) as PolicyParams[],
    metaGradient: async (spec, params, tasks, config) => {
      if (batchedOnThisThread()) return await metaGradientBatched(spec, params, tasks, config);
      const baselines = metaGradientBaselines(tasks, config);
      const parts = await runLearnerWork({
        kind: "task-gradients",
        backend: activeBackend(),
        spec,
        params,
        config,
        tasks,
        baselines,
      }) as TaskGradient[];
      return combineTaskGradients(parts);
    },
    close() {},
  };
}

/** Options of {@linkcode workerLearner}. */
export interface WorkerLearnerOptions {
  /** The worker module (a testing hook; default: learner_worker.ts). */
  readonly workerUrl?: string | URL;
}

/**
 * The learner on `workers` Deno Workers, created on first use and reused; worker k takes the k-th
 * contiguous run of tasks, on the backend active in the calling thread. Errors and crashes are
 * reported as by the sampling workers (`learner worker K crashed: …`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workerLearner } from "./parallel_learner.ts";
 * const learner = workerLearner(2);
 * assert.equal(learner.workers, 2, "two threads");
 * learner.close();
 * ```
 */
export function workerLearner(workers: number, options: WorkerLearnerOptions = {}): Learner {
  const url = options.workerUrl ?? new URL("./learner_worker.ts", import.meta.url);
  const pool = workerPool<LearnerWork, LearnerResult>(workers, url, "learner");
  return {
    workers,
    innerSteps: (spec, params, batches, alpha) => {
      if (batchedOnThisThread()) return innerStepsBatched(spec, params, batches, alpha);
      const backend = activeBackend();
      const tasks = batches.map((batch, i) => ({ params: params[i], batch }));
      return mapChunks(
        pool,
        tasks,
        (chunk): LearnerWork => ({ kind: "inner-steps", backend, spec, alpha, tasks: chunk }),
      ) as Promise<PolicyParams[]>;
    },
    metaGradient: async (spec, params, tasks, config) => {
      if (batchedOnThisThread()) return await metaGradientBatched(spec, params, tasks, config);
      const backend = activeBackend();
      const baselines = metaGradientBaselines(tasks, config);
      const indexed = tasks.map((task, i) => ({ task, baseline: baselines[i] }));
      const parts = await mapChunks(
        pool,
        indexed,
        (chunk): LearnerWork => ({
          kind: "task-gradients",
          backend,
          spec,
          params,
          config,
          tasks: chunk.map((c) => c.task),
          baselines: chunk.map((c) => c.baseline),
        }),
      ) as TaskGradient[];
      return combineTaskGradients(parts);
    },
    close: () => pool.close(),
  };
}

/**
 * The learner for `workers` threads: 1 learns in the calling thread, more on Deno Workers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLearner } from "./parallel_learner.ts";
 * const learner = createLearner(1);
 * assert.equal(learner.workers, 1, "one thread");
 * learner.close();
 * ```
 */
export function createLearner(workers: number): Learner {
  checkWorkers(workers);
  return workers === 1 ? localLearner() : workerLearner(workers);
}
