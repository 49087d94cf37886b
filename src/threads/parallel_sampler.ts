/**
 * Sampling on several threads with the same bytes as sampling on one.
 *
 * A {@linkcode Sampler} takes a {@linkcode PortableSampleRequest}, which names its task family and
 * policy by data (an environment id and a {@linkcode PolicySpec}) so that it can cross a thread.
 * {@linkcode workerSampler} cuts the job list into contiguous runs, one per Deno Worker, and
 * gathers the paths back in job order. Every trajectory draws from its own counter-based streams
 * and its policy rows depend on its own observations alone (see sampler.ts), so the paths are
 * byte-identical to sampling in the calling thread, for any number of workers.
 *
 * @module
 */
import type { Path, SampleJob } from "../estimators/sampler.ts";
import { type PortableSampleRequest, samplePortable } from "./sampling_worker_core.ts";
import { checkWorkers, chunkBounds, mapChunks, workerPool } from "./worker_pool.ts";
import { ENVIRONMENTS, isEnvironmentId, loadTaskFamily } from "../envs/registry.ts";
import { isPinnedTaskModule } from "../envs/task_module.ts";
import { InputError } from "../core/errors.ts";
import { type Purpose, stream } from "../core/rng.ts";
import {
  openTaskModuleRunner,
  type SandboxContext,
  type TaskModuleRunner,
} from "../sandbox/task_sandbox.ts";

export { chunkBounds, type PortableSampleRequest };

/**
 * Something that samples paths; results are always in the order of `jobs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localSampler, type Sampler, workerSampler } from "./parallel_sampler.ts";
 * import { allJobs } from "../estimators/sampler.ts";
 * import { initPolicyParams } from "../estimators/policy.ts";
 * const policy = { obsDim: 2, actDim: 2, hidden: [8], activation: "tanh", initStd: 1 } as const;
 * const request = {
 *   env: "nav2d", policy, tasks: [{ goal: [0.3, -0.2] }, { goal: [-0.1, 0.4] }],
 *   params: [initPolicyParams(policy, 0), initPolicyParams(policy, 1)],
 *   horizon: 6, seed: 4, purpose: "action", iteration: 0, phase: 0,
 * } as const;
 * const rewards = async (sampler: Sampler) => {
 *   const paths = await sampler.sample(request, allJobs(2, 3));
 *   sampler.close();
 *   return paths.map((p) => [...p.rewards].join()).join(";");
 * };
 * // One thread or three: the same paths.
 * assert.equal(await rewards(localSampler()), await rewards(workerSampler(3)), "bytes");
 * ```
 */
export interface Sampler {
  /** Number of sampling threads (1 for the in-process sampler). */
  readonly workers: number;
  /** Sample the paths of `jobs`, in the order of `jobs`. */
  sample(request: PortableSampleRequest, jobs: readonly SampleJob[]): Promise<Path[]>;
  /**
   * Draw the tasks `indices` of environment `env` from their streams (seed, purpose, iteration,
   * index). A task module's tasks are drawn in its sandbox; a sampler without this method can
   * sample only the built-in environments' tasks (drawn in the calling thread).
   */
  sampleTasks?(env: string, draw: TaskDraw, context?: SandboxContext): Promise<unknown[]>;
  /** Stop the workers (idempotent). */
  close(): void;
}

/** Which tasks to draw: the keys of their streams. */
export interface TaskDraw {
  readonly seed: number;
  readonly purpose: Purpose;
  readonly iteration: number;
  readonly indices: readonly number[];
}

/**
 * Draw tasks of `env`: a built-in family's in the calling thread, a task module's through
 * `sampler` (in its sandbox). The same stream keys either way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { drawTasks, localSampler } from "./parallel_sampler.ts";
 * const sampler = localSampler();
 * const draw = { seed: 1, purpose: "task", iteration: 0, indices: [0, 1] } as const;
 * const tasks = await drawTasks(sampler, "nav2d", draw);
 * assert.equal(tasks.length, 2, "two goals");
 * sampler.close();
 * ```
 */
export async function drawTasks(
  sampler: Sampler,
  env: string,
  draw: TaskDraw,
  context: SandboxContext = {},
): Promise<unknown[]> {
  if (isEnvironmentId(env)) {
    const family = await loadTaskFamily(env);
    return draw.indices.map((task) =>
      family.sampleTask(
        stream({ seed: draw.seed, purpose: draw.purpose, iteration: draw.iteration, task }),
      )
    );
  }
  if (sampler.sampleTasks === undefined) {
    throw new Error(`this sampler cannot draw the tasks of task module ${env}`);
  }
  return await sampler.sampleTasks(env, draw, context);
}

/**
 * `base` for the built-in environments, and task modules routed to sandboxes of their own
 * (src/sandbox/task_sandbox.ts; as many as `base` has workers, started on first use): a task
 * module's code never runs in the calling thread or in `base`'s workers.
 */
function withTaskSandboxes(base: Sampler): Sampler {
  const runners = new Map<string, Promise<TaskModuleRunner>>();
  let closed = false;
  const runner = (env: string): Promise<TaskModuleRunner> => {
    if (closed) return Promise.reject(new Error("the sampler was closed"));
    if (!isPinnedTaskModule(env)) {
      return Promise.reject(
        new InputError(
          `env must be one of ${ENVIRONMENTS.join(", ")} or a pinned task module, got "${env}"`,
        ),
      );
    }
    let r = runners.get(env);
    if (r === undefined) {
      r = openTaskModuleRunner(env, base.workers);
      runners.set(env, r);
      r.catch(() => runners.delete(env));
    }
    return r;
  };
  return {
    workers: base.workers,
    sample: async (request, jobs) =>
      isEnvironmentId(request.env)
        ? await base.sample(request, jobs)
        : await (await runner(request.env)).sample(request, jobs),
    sampleTasks: async (env, draw, context) =>
      isEnvironmentId(env)
        ? await drawTasks(base, env, draw)
        : await (await runner(env)).sampleTasks(draw, context),
    close() {
      closed = true;
      base.close();
      for (const r of runners.values()) r.then((x) => x.close(), () => {});
      runners.clear();
    },
  };
}

/**
 * Sampling in the calling thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localSampler } from "./parallel_sampler.ts";
 * import { allJobs } from "../estimators/sampler.ts";
 * import { initPolicyParams } from "../estimators/policy.ts";
 * const spec = { obsDim: 2, actDim: 2, hidden: [8], activation: "tanh", initStd: 1 } as const;
 * const sampler = localSampler();
 * const paths = await sampler.sample({
 *   env: "nav2d", policy: spec, tasks: [{ goal: [0.3, -0.2] }], params: [initPolicyParams(spec, 0)],
 *   horizon: 5, seed: 0, purpose: "action", iteration: 0, phase: 0,
 * }, allJobs(1, 2));
 * sampler.close();
 * assert.equal(paths.length, 2, "two paths");
 * ```
 */
export function localSampler(): Sampler {
  return withTaskSandboxes({
    workers: 1,
    sample: (request, jobs) => samplePortable(request, jobs),
    close() {},
  });
}

/** Options of {@linkcode workerSampler}. */
export interface WorkerSamplerOptions {
  /** The worker module (a testing hook; default: sampling_worker.ts). */
  readonly workerUrl?: string | URL;
}

/** What a sampling worker is asked: a request and the contiguous run of jobs it samples. */
export interface SampleWork {
  readonly request: PortableSampleRequest;
  readonly jobs: readonly SampleJob[];
}

/**
 * Sampling on `workers` Deno Workers, created on first use and reused. Worker k samples the k-th
 * contiguous run of jobs ({@linkcode chunkBounds}). An error inside sampling arrives with its name
 * and message (when several runs fail, the earliest run's error, as sampling in one thread would
 * report); a worker that crashes fails every pending and every later call with
 * `sampling worker K crashed: …`. Workers inherit the caller's permissions; a task module's
 * trajectories are sampled in sandboxes instead (`workers` of them, src/sandbox/task_sandbox.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localSampler, workerSampler } from "./parallel_sampler.ts";
 * import { allJobs } from "../estimators/sampler.ts";
 * import { initPolicyParams } from "../estimators/policy.ts";
 * const spec = { obsDim: 2, actDim: 2, hidden: [8], activation: "tanh", initStd: 1 } as const;
 * const request = {
 *   env: "nav2d", policy: spec, tasks: [{ goal: [0.3, -0.2] }], params: [initPolicyParams(spec, 0)],
 *   horizon: 5, seed: 0, purpose: "action", iteration: 0, phase: 0,
 * } as const;
 * const pool = workerSampler(2);
 * try {
 *   const [a, b] = [await pool.sample(request, allJobs(1, 3)), await localSampler().sample(request, allJobs(1, 3))];
 *   assert.ok(!a.some((p, i) => p.rewards.some((r, t) => r !== b[i].rewards[t])), "same bytes");
 * } finally {
 *   pool.close();
 * }
 * ```
 */
export function workerSampler(workers: number, options: WorkerSamplerOptions = {}): Sampler {
  const url = options.workerUrl ?? new URL("./sampling_worker.ts", import.meta.url);
  const pool = workerPool<SampleWork, Path[]>(workers, url, "sampling");
  return withTaskSandboxes({
    workers,
    sample: (request, jobs) => mapChunks(pool, jobs, (chunk) => ({ request, jobs: chunk })),
    close: () => pool.close(),
  });
}

/**
 * The sampler for `workers` threads: 1 samples in the calling thread, more on Deno Workers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSampler } from "./parallel_sampler.ts";
 * const sampler = createSampler(1);
 * assert.equal(sampler.workers, 1, "one thread");
 * sampler.close();
 * ```
 */
export function createSampler(workers: number): Sampler {
  checkWorkers(workers);
  return workers === 1 ? localSampler() : workerSampler(workers);
}
