/**
 * Meta-training (sample, adapt, estimate the meta-gradient, Adam step) and meta-test evaluation,
 * readable top to bottom. All hyperparameters come from one {@linkcode ExperimentConfig}.
 *
 * @module
 */
import { adamAscend } from "../estimators/adam.ts";
import {
  explorationWeights,
  type LearnerBatch,
  learnerBatch,
  type SurrogateConfig,
} from "../estimators/batch.ts";
import { advanceChain, initialState, type TrainingState } from "./checkpoint.ts";
import type { ExperimentConfig } from "./config.ts";
import { environmentDims } from "../envs/registry.ts";
import { prepareTaskModules } from "../sandbox/task_sandbox.ts";
import type { TaskBatches } from "../estimators/meta_gradient.ts";
import { createLearner, type Learner, localLearner } from "../threads/parallel_learner.ts";
import {
  cloneParams,
  initPolicyParams,
  type PolicyParams,
  type PolicySpec,
} from "../estimators/policy.ts";
import {
  createSampler,
  drawTasks,
  localSampler,
  type Sampler,
} from "../threads/parallel_sampler.ts";
import {
  allJobs,
  type Path,
  type PortableSampleRequest,
  type SampleJob,
  type SamplingPurpose,
} from "../estimators/sampler.ts";
import { sampleWithBudget } from "../estimators/budget_sampler.ts";
import {
  bestTrainReturn,
  type Validation,
  validationDue,
  type ValidationRule,
  validationRule,
} from "./validation.ts";

/** The policy architecture of an experiment, with the precision it samples in where set. */
export function policySpec(config: ExperimentConfig): PolicySpec {
  const { samplingPrecision } = config;
  return {
    ...environmentDims(config.env),
    ...config.policy,
    ...(samplingPrecision === undefined ? {} : { samplingPrecision }),
  };
}

/** How an experiment turns paths into surrogate weights. */
export function surrogateConfig(config: ExperimentConfig): SurrogateConfig {
  return {
    advantages: {
      estimator: config.advantageEstimator,
      gamma: config.gamma,
      gaeLambda: config.gaeLambda,
      baseline: config.baseline,
      normalize: config.normalizeAdvantages,
    },
    mean: config.surrogateMean,
  };
}

/**
 * Metrics of one meta-iteration (one row of metrics.csv).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type IterationMetrics, train } from "./trainer.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "demo", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, iterations: 2, metaBatchSize: 2,
 *   trajectoriesPerTask: 2, horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } });
 * const rows: IterationMetrics[] = (await train(config)).metrics;
 * assert.equal(rows.map((m) => m.iteration).join(), "0,1", "one row per iteration");
 * assert.ok(
 *   rows.every((m) => m.gradNorm > 0 && /^[0-9a-f]{64}$/.test(m.stateDigest)),
 *   "a gradient and a state digest after every iteration",
 * );
 * ```
 */
export interface IterationMetrics {
  readonly iteration: number;
  /** Mean undiscounted return of the pre-update batches D_1. */
  readonly preReturn: number;
  /** Mean undiscounted return of the outer batches D_o (after ζ adaptation steps). */
  readonly postReturn: number;
  /** The meta-objective's value. */
  readonly objective: number;
  /** ‖meta-gradient‖₂. */
  readonly gradNorm: number;
  /** Mean of the policy's log-std after the update. */
  readonly meanLogStd: number;
  /** dᵢ: the digest chain after this iteration (src/training/checkpoint.ts), 64 hex digits. */
  readonly stateDigest: string;
}

/**
 * Meta-test evaluation of one parameter vector.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Evaluation, train } from "./trainer.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "demo", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, iterations: 2, metaBatchSize: 2,
 *   trajectoriesPerTask: 2, horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } });
 * const evaluation: Evaluation = (await train(config)).evaluation;
 * // Before adaptation and after ζ = 1 step; the tables report the last.
 * assert.equal(evaluation.returnsByStep.length, 2, "t = 0 … ζ");
 * assert.equal(evaluation.postAdaptationReturn, evaluation.returnsByStep[1], "after ζ");
 * ```
 */
export interface Evaluation {
  /** Number of fresh tasks evaluated. */
  readonly tasks: number;
  /** Mean undiscounted return after t = 0 … ζ adaptation steps. */
  readonly returnsByStep: number[];
  /** returnsByStep[0]. */
  readonly preAdaptationReturn: number;
  /** returnsByStep[ζ]: the figure Tables 1 and 2 report. */
  readonly postAdaptationReturn: number;
  /**
   * With the budget sampler only: after t = 0 … ζ steps, the published `AverageReturn` — the mean
   * return over all paths of a round (one meta-batch of tasks) pooled, averaged over the rounds
   * ({@linkcode pooledReturn}).
   */
  readonly pooledReturnsByStep?: number[];
  /**
   * With the published protocol only: after t = 0 … ζ steps, the final parameters validated as
   * the published tester does (src/training/validation.ts: rounds of fresh meta-batches, the budget
   * sampler, the pooled return averaged over rounds).
   */
  readonly publishedReturnsByStep?: number[];
}

/**
 * The outcome of {@linkcode train}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { train, type TrainResult } from "./trainer.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "demo", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, iterations: 2, metaBatchSize: 2,
 *   trajectoriesPerTask: 2, horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } });
 * const result: TrainResult = await train({ ...config, evaluation: { tasks: 2,
 *   trajectoriesPerTask: 2, periodic: { every: 1, tasks: 2 } } });
 * assert.equal(
 *   result.periodicEvaluations.map((p) => p.iteration).join(),
 *   "1,2",
 *   "the reference protocol's evaluations during training",
 * );
 * assert.equal(result.params.length, 5, "W₀, b₀, W₁, b₁, logStd");
 * ```
 */
export interface TrainResult {
  readonly params: PolicyParams;
  readonly metrics: IterationMetrics[];
  readonly evaluation: Evaluation;
  /** The reference protocol's evaluations during training (`config.evaluation.periodic`). */
  readonly periodicEvaluations: PeriodicEvaluation[];
  /** The published trainer's validations (`config.evaluation.protocol` "published"). */
  readonly validations: Validation[];
  /** The digest chain's final value (the last row's `stateDigest`). */
  readonly finalStateDigest: string;
}

/** An evaluation during training, after `iteration` completed iterations. */
export interface PeriodicEvaluation {
  readonly iteration: number;
  readonly evaluation: Evaluation;
}

/** Wall-clock seconds of one meta-iteration's two stages (never part of an artefact). */
export interface IterationTiming {
  /** Sampling every batch, including the inner adaptation steps between them. */
  readonly samplingSeconds: number;
  /** The meta-gradient and the Adam step. */
  readonly learningSeconds: number;
}

/**
 * Raised when the meta-objective, the meta-gradient or the parameters (after the meta-update or
 * an inner step) become non-finite, or the policy's standard deviation overflows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DivergenceError, train } from "./trainer.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "demo", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, iterations: 2, metaBatchSize: 2,
 *   trajectoriesPerTask: 2, horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } });
 * // An absurd inner step size sends the adapted policy's standard deviation to infinity.
 * const diverging = validateConfig({ ...config, innerLr: 1e38 });
 * const error = await train(diverging).then(() => null, (e) => e);
 * assert.ok(error instanceof DivergenceError, "diverged without a DivergenceError");
 * ```
 */
export class DivergenceError extends Error {
  override name = "DivergenceError";
}

/** Whether a Gaussian MLP with `params` gives finite actions: finite arrays, finite exp(logStd). */
function actsFinitely(params: PolicyParams): boolean {
  return params.every((p) => p.every(Number.isFinite)) &&
    params[params.length - 1].every((l) => Number.isFinite(Math.exp(l)));
}

/** One adaptation rollout: the batches D_1 … D_ζ, D_o and the adapted parameters, per task. */
interface Rollout {
  readonly inner: LearnerBatch[][];
  readonly outer: LearnerBatch[];
  readonly adapted: PolicyParams[][];
}

/**
 * The threads an experiment runs on. The artefacts do not depend on them. Default: sampling and
 * learning in the calling thread; a sampler or learner passed in stays open.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSampler } from "../threads/parallel_sampler.ts";
 * import { type Threads, train } from "./trainer.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "demo", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, iterations: 2, metaBatchSize: 2,
 *   trajectoriesPerTask: 2, horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } });
 * // Sampling on two worker threads, learning in this one: the same bytes as all in one thread.
 * const threads: Threads = { sampler: createSampler(2) };
 * const parallel = await train(config, threads);
 * threads.sampler!.close();
 * assert.equal(parallel.finalStateDigest, (await train(config)).finalStateDigest, "bytes");
 * ```
 */
export interface Threads {
  /** Where trajectories are sampled (for example `createSampler(workers)`). */
  readonly sampler?: Sampler;
  /** Where inner steps and meta-gradients are computed (for example `createLearner(workers)`). */
  readonly learner?: Learner;
}

/**
 * A sampler and a learner on `workers` threads each (1: both in the calling thread), and a
 * `close` that stops both.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createThreads } from "./trainer.ts";
 * const threads = createThreads(1);
 * assert.equal(threads.sampler.workers, 1, "in-thread");
 * assert.equal(threads.learner.workers, 1, "in-thread");
 * threads.close();
 * ```
 */
export function createThreads(workers: number): Required<Threads> & { close(): void } {
  const sampler = createSampler(workers);
  const learner = createLearner(workers);
  return {
    sampler,
    learner,
    close() {
      sampler.close();
      learner.close();
    },
  };
}

/**
 * Where an experiment runs, and what a caller is told after each iteration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { train, type TrainOptions } from "./trainer.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "demo", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, iterations: 2, metaBatchSize: 2,
 *   trajectoriesPerTask: 2, horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } });
 * const seen: number[] = [];
 * const options: TrainOptions = { onIteration: (m) => void seen.push(m.iteration) };
 * await train(config, options);
 * assert.equal(seen.join(), "0,1", "told after every iteration");
 * ```
 */
export interface TrainOptions extends Threads {
  /**
   * Called after every meta-iteration, with the state it left (for progress display, benchmarks
   * and checkpoints); training waits for a returned promise.
   */
  readonly onIteration?: (
    metrics: IterationMetrics,
    timing: IterationTiming,
    state: Readonly<TrainingState>,
    periodic?: PeriodicEvaluation,
    validation?: Validation,
  ) => void | Promise<void>;
}

/**
 * Options of {@linkcode trainIterations}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialTrainingState, type IterationOptions, trainIterations } from "./trainer.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "demo", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, iterations: 2, metaBatchSize: 2,
 *   trajectoriesPerTask: 2, horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } });
 * // Stop after the first iteration, as a SIGTERM handler would ask.
 * let stop = false;
 * const options: IterationOptions = { shouldStop: () => stop, onIteration: () => void (stop = true) };
 * const state = await initialTrainingState(config);
 * await trainIterations(config, state, options);
 * assert.equal(state.completed, 1, "stopped after one iteration");
 * ```
 */
export interface IterationOptions extends TrainOptions {
  /** Stop once this many iterations are completed (default: `config.iterations`). */
  readonly until?: number;
  /** Asked after every iteration; true stops training there (for SIGINT / SIGTERM). */
  readonly shouldStop?: () => boolean;
  /**
   * The published protocol's validations of the iterations already completed (from a resumed
   * run's records): their training returns are the trigger's best so far.
   */
  readonly validations?: readonly Validation[];
}

/**
 * Sample and adapt: D_1 from θ, θ¹ = θ + α∇L(θ; D_1), …, D_o from θ^ζ — for every task.
 */
async function rollout(
  config: ExperimentConfig,
  { sampler, learner }: Required<Threads>,
  tasks: readonly unknown[],
  params: PolicyParams,
  purpose: SamplingPurpose,
  iteration: number,
  trajectories: number,
  taskOffset = 0,
  sampling: "fixed" | "budget" = config.sampler ?? "fixed",
): Promise<Rollout> {
  const spec = policySpec(config);
  const surrogate = surrogateConfig(config);
  let current = tasks.map(() => params);
  const inner: LearnerBatch[][] = tasks.map(() => []);
  const adapted: PolicyParams[][] = tasks.map(() => []);
  const batches = async (phase: number) => {
    const request: PortableSampleRequest = {
      env: config.env,
      ...(config.physics === undefined ? {} : { physics: config.physics }),
      policy: spec,
      tasks,
      params: current,
      horizon: config.horizon,
      seed: config.seed,
      purpose,
      iteration,
      phase,
      taskOffset,
      experiment: config.id,
    };
    const perTask = await samplePerTask(
      sampling,
      config.horizon,
      (jobs) => sampler.sample(request, jobs),
      tasks.length,
      trajectories,
    );
    return perTask.map((paths) => learnerBatch(paths, spec.obsDim, spec.actDim, surrogate));
  };
  for (let t = 0; t < config.innerSteps; t++) {
    const b = await batches(t);
    current = await learner.innerSteps(spec, current, b, config.innerLr);
    if (!current.every(actsFinitely)) {
      throw new DivergenceError(
        `experiment ${config.id}: non-finite adapted parameters at iteration ${iteration} (inner step ${
          t + 1
        })`,
      );
    }
    b.forEach((batch, i) => (inner[i].push(batch), adapted[i].push(current[i])));
  }
  return { inner, outer: await batches(config.innerSteps), adapted };
}

/**
 * One batch of every task: `trajectories` paths each (the fixed sampler), or the published code's
 * step budget with `trajectories` slots per task (src/estimators/budget_sampler.ts).
 */
async function samplePerTask(
  sampling: "fixed" | "budget",
  horizon: number,
  sample: (jobs: readonly SampleJob[]) => Promise<Path[]>,
  tasks: number,
  trajectories: number,
): Promise<Path[][]> {
  if (sampling === "budget") {
    return (await sampleWithBudget(sample, tasks, trajectories, horizon)).paths;
  }
  const paths = await sample(allJobs(tasks, trajectories));
  return Array.from(
    { length: tasks },
    (_, i) => paths.slice(i * trajectories, (i + 1) * trajectories),
  );
}

/** The streams a meta-batch is drawn from: its tasks', its actions', and the iteration key. */
export interface MetaBatchStreams {
  readonly tasks: "task" | "analysis-task";
  readonly actions: "action" | "analysis-action";
  readonly iteration: number;
}

/**
 * One meta-batch as training draws it at `params`: `config.metaBatchSize` tasks, each with its
 * inner batches D_1 … D_ζ, the adapted parameters and the outer batch, and E-MAML's exploration
 * weight (computed for every algorithm; only E-MAML reads it).
 */
export async function sampleMetaBatch(
  config: ExperimentConfig,
  threads: Required<Threads>,
  params: PolicyParams,
  streams: MetaBatchStreams,
): Promise<TaskBatches[]> {
  const { iteration } = streams;
  const tasks = await drawTasks(threads.sampler, config.env, {
    seed: config.seed,
    purpose: streams.tasks,
    iteration,
    indices: Array.from({ length: config.metaBatchSize }, (_, task) => task),
  }, { experiment: config.id, iteration });
  const r = await rollout(
    config,
    threads,
    tasks,
    params,
    streams.actions,
    iteration,
    config.trajectoriesPerTask,
  );
  const exploration = explorationWeights(r.outer.map((b) => b.rewards));
  return tasks.map((_, i) => ({
    inner: r.inner[i],
    outer: r.outer[i],
    adapted: r.adapted[i],
    explorationWeight: exploration[i],
  }));
}

/**
 * Run meta-training and the final meta-test evaluation of one experiment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { train } from "./trainer.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "demo", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, iterations: 2, metaBatchSize: 2,
 *   trajectoriesPerTask: 2, horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } });
 * const { metrics, evaluation, finalStateDigest } = await train(config);
 * assert.equal(metrics.length, 2, "two iterations, then the meta-test");
 * assert.ok(
 *   Number.isFinite(evaluation.postAdaptationReturn),
 *   "two iterations, then the meta-test",
 * );
 * assert.equal(finalStateDigest, metrics[1].stateDigest, "the chain's last link");
 * ```
 */
export async function train(
  config: ExperimentConfig,
  options: TrainOptions = {},
): Promise<TrainResult> {
  return await withThreads(options, async (threads) => {
    const state = await initialTrainingState(config);
    const periodicEvaluations: PeriodicEvaluation[] = [];
    const validations: Validation[] = [];
    const metrics = await iterate(config, state, threads, {
      ...options,
      onIteration: async (m, timing, s, periodic, validation) => {
        if (periodic !== undefined) periodicEvaluations.push(periodic);
        if (validation !== undefined) validations.push(validation);
        await options.onIteration?.(m, timing, s, periodic, validation);
      },
    });
    const evaluation = await finalEvaluation(config, state.params, threads);
    return {
      params: cloneParams(state.params),
      metrics,
      evaluation,
      periodicEvaluations,
      validations,
      finalStateDigest: state.digest,
    };
  });
}

/**
 * The training state before the first meta-iteration: the policy's initial parameters for the
 * experiment's seed, zero Adam moments, and the digest chain's start.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialTrainingState } from "./trainer.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * const config = validateConfig({ ...PAPER_NAV2D, id: "demo", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, iterations: 2, metaBatchSize: 2,
 *   trajectoriesPerTask: 2, horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } });
 * const state = await initialTrainingState(config);
 * const again = await initialTrainingState(config);
 * // The seed fixes the initial parameters, and with them the digest chain's start.
 * assert.equal(state.completed, 0, "the same start");
 * assert.equal(state.digest, again.digest, "the same start");
 * ```
 */
export async function initialTrainingState(config: ExperimentConfig): Promise<TrainingState> {
  await prepareTaskModules([config]); // an own task family's dimensions
  return await initialState(initPolicyParams(policySpec(config), config.seed));
}

/**
 * Run meta-iterations from `state` (which is updated in place) until `options.until` (default:
 * all of them) are completed or `options.shouldStop` says stop, and return their metrics; the
 * periodic evaluations due (`config.evaluation.periodic`) go to `options.onIteration`. The
 * iterations are the same bytes whether they run in one call or are resumed from a
 * {@linkcode TrainingState} restored from a checkpoint: every random draw is keyed by the
 * iteration, and the state is everything an iteration reads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * import { initialTrainingState, trainIterations } from "./trainer.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "x", algorithm: "maml", hessian: "none",
 *   innerSteps: 1, seed: 0, iterations: 3, checkpointEvery: 1, metaBatchSize: 2,
 *   trajectoriesPerTask: 2, horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } });
 * const state = await initialTrainingState(config);
 * const first = await trainIterations(config, state, { until: 2 });
 * const rest = await trainIterations(config, state);
 * assert.equal(first.length, 2, "split");
 * assert.equal(rest.length, 1, "split");
 * assert.equal(state.completed, 3, "split");
 * assert.equal(rest[0].stateDigest, state.digest, "digest");
 * ```
 */
export async function trainIterations(
  config: ExperimentConfig,
  state: TrainingState,
  options: IterationOptions = {},
): Promise<IterationMetrics[]> {
  return await withThreads(options, (threads) => iterate(config, state, threads, options));
}

/** Run `f` on `threads`, filling in (and afterwards closing) in-thread defaults for what is missing. */
async function withThreads<T>(
  threads: Threads,
  f: (threads: Required<Threads>) => Promise<T>,
): Promise<T> {
  const sampler = threads.sampler ?? localSampler();
  const learner = threads.learner ?? localLearner();
  try {
    return await f({ sampler, learner });
  } finally {
    if (threads.sampler === undefined) sampler.close();
    if (threads.learner === undefined) learner.close();
  }
}

async function iterate(
  config: ExperimentConfig,
  state: TrainingState,
  threads: Required<Threads>,
  options: IterationOptions,
): Promise<IterationMetrics[]> {
  const until = options.until ?? config.iterations;
  if (!Number.isSafeInteger(until) || until > config.iterations) {
    throw new RangeError(`until must be an integer up to ${config.iterations}, got ${until}`);
  }
  const spec = policySpec(config);
  const { params, adam } = state;
  const metrics: IterationMetrics[] = [];
  const rule = validationRule(config);
  let bestTrain = bestTrainReturn(options.validations ?? []);
  while (state.completed < until) {
    const iteration = state.completed;
    const start = performance.now();
    const taskBatches = await sampleMetaBatch(config, threads, params, {
      tasks: "task",
      actions: "action",
      iteration,
    });
    const sampled = performance.now();
    const { gradient, objective } = await threads.learner.metaGradient(
      spec,
      params,
      taskBatches,
      config,
    );
    const gradNorm = Math.sqrt(gradient.reduce((s, g) => s + sumSquares(g), 0));
    if (!Number.isFinite(objective) || !Number.isFinite(gradNorm)) {
      throw new DivergenceError(
        `experiment ${config.id}: non-finite meta-objective or meta-gradient at iteration ${iteration}`,
      );
    }
    adamAscend(params, gradient, adam, { lr: config.outerLr });
    if (!actsFinitely(params)) {
      throw new DivergenceError(
        `experiment ${config.id}: non-finite parameters after iteration ${iteration}`,
      );
    }
    const stateDigest = await advanceChain(state);
    const learned = performance.now();
    const logStd = params[params.length - 1];
    const m: IterationMetrics = {
      iteration,
      preReturn: mean(taskBatches.map((t) => t.inner[0].meanUndiscountedReturn)),
      postReturn: mean(taskBatches.map((t) => t.outer.meanUndiscountedReturn)),
      objective,
      gradNorm,
      meanLogStd: mean(Array.from(logStd)),
      stateDigest,
    };
    metrics.push(m);
    const every = config.evaluation.periodic?.every;
    const periodic = every !== undefined && state.completed % every === 0
      ? {
        iteration: state.completed,
        evaluation: await evaluateWith(config, params, threads, {
          iteration: state.completed,
          tasks: config.evaluation.periodic!.tasks,
        }),
      }
      : undefined;
    let validation: Validation | undefined;
    if (rule !== undefined) {
      const trainReturn = pooledReturn(taskBatches.map((t) => t.outer));
      if (validationDue(iteration, trainReturn, bestTrain, rule)) {
        bestTrain = Math.max(bestTrain, trainReturn);
        const pooledReturnsByStep = await validationReturns(
          config,
          params,
          threads,
          rule,
          state.completed,
        );
        validation = { iteration: state.completed, trainReturn, pooledReturnsByStep };
      }
    }
    await options.onIteration?.(
      m,
      {
        samplingSeconds: (sampled - start) / 1000,
        learningSeconds: (learned - sampled) / 1000,
      },
      state,
      periodic,
      validation,
    );
    if (options.shouldStop?.()) break;
  }
  return metrics;
}

/**
 * Meta-test: fresh tasks from the "eval-task" stream, adapt ζ steps from `params`, and report the
 * mean undiscounted return before and after each adaptation step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate, train } from "./trainer.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "demo", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, iterations: 2, metaBatchSize: 2,
 *   trajectoriesPerTask: 2, horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } });
 * const { params, evaluation } = await train(config);
 * // Evaluating the final parameters again gives the same numbers: fresh tasks of their own stream.
 * const again = await evaluate(config, params);
 * assert.equal(JSON.stringify(again), JSON.stringify(evaluation), "deterministic");
 * ```
 */
export async function evaluate(
  config: ExperimentConfig,
  params: PolicyParams,
  threads: Threads = {},
): Promise<Evaluation> {
  await prepareTaskModules([config]);
  return await withThreads(threads, (t) => finalEvaluation(config, params, t));
}

/** Which evaluation: the final one (iteration 0 of the evaluation streams) or a periodic one. */
interface EvaluationPoint {
  /** The key of the evaluation's task and action streams: 0 final, k after k iterations. */
  readonly iteration: number;
  /** Fresh tasks to evaluate on. */
  readonly tasks: number;
  /** The streams: the evaluations' ("eval-task", "eval-action"; default) or the validations'. */
  readonly streams?: "evaluation" | "validation";
}

/** An evaluation's returns by adaptation step: per task mean, and pooled per round. */
interface RoundReturns {
  readonly tasks: number;
  /** Mean over tasks of each task's mean return, after t = 0 … ζ steps. */
  readonly returnsByStep: number[];
  /** Mean over rounds of each round's {@linkcode pooledReturn}, after t = 0 … ζ steps. */
  readonly pooledReturnsByStep: number[];
}

/**
 * Evaluate `params` on `at.tasks` fresh tasks in rounds of `config.metaBatchSize` (so memory is
 * that of one meta-batch), every task with streams of its own (its index over all rounds), and
 * the per-task returns summed in task order.
 */
async function evaluateWith(
  config: ExperimentConfig,
  params: PolicyParams,
  threads: Required<Threads>,
  at: EvaluationPoint,
): Promise<Evaluation> {
  const { tasks, returnsByStep, pooledReturnsByStep } = await evaluateRounds(
    config,
    params,
    threads,
    at,
  );
  return {
    tasks,
    returnsByStep,
    preAdaptationReturn: returnsByStep[0],
    postAdaptationReturn: returnsByStep[config.innerSteps],
    // With the fixed sampler every task has the same number of paths and the pooled mean is the
    // per-task mean; it is reported where the two differ.
    ...(config.sampler === "budget" ? { pooledReturnsByStep } : {}),
  };
}

/**
 * The meta-test of the final parameters (iteration 0 of the evaluation streams) and, with the
 * published protocol, their score under its metric: one more validation, on the validation
 * streams' key 0 (the validations during training use 1 … iterations).
 */
async function finalEvaluation(
  config: ExperimentConfig,
  params: PolicyParams,
  threads: Required<Threads>,
): Promise<Evaluation> {
  const evaluation = await evaluateWith(config, params, threads, {
    iteration: 0,
    tasks: config.evaluation.tasks,
  });
  const rule = validationRule(config);
  if (rule === undefined) return evaluation;
  return {
    ...evaluation,
    publishedReturnsByStep: await validationReturns(config, params, threads, rule, 0),
  };
}

/** One validation of the published protocol on the streams keyed `iteration`: pooled returns. */
async function validationReturns(
  config: ExperimentConfig,
  params: PolicyParams,
  threads: Required<Threads>,
  rule: ValidationRule,
  iteration: number,
): Promise<number[]> {
  const rounds = await evaluateRounds(config, params, threads, {
    iteration,
    tasks: rule.rounds * config.metaBatchSize,
    streams: "validation",
  });
  return rounds.pooledReturnsByStep;
}

/** The rounds of an evaluation (see {@linkcode evaluateWith}). */
async function evaluateRounds(
  config: ExperimentConfig,
  params: PolicyParams,
  threads: Required<Threads>,
  at: EvaluationPoint,
): Promise<RoundReturns> {
  const validation = at.streams === "validation";
  const n = at.tasks;
  const sums = new Array<number>(config.innerSteps + 1).fill(0);
  const pooledSums = new Array<number>(config.innerSteps + 1).fill(0);
  let rounds = 0;
  for (let first = 0; first < n; first += config.metaBatchSize) {
    const tasks = await drawTasks(threads.sampler, config.env, {
      seed: config.seed,
      purpose: validation ? "validation-task" : "eval-task",
      iteration: at.iteration,
      indices: Array.from(
        { length: Math.min(config.metaBatchSize, n - first) },
        (_, k) => first + k,
      ),
    }, { experiment: config.id, iteration: at.iteration });
    const r = await rollout(
      config,
      threads,
      tasks,
      params,
      validation ? "validation-action" : "eval-action",
      at.iteration,
      // The published tester samples as the trainer does: its batch size, its step budget.
      validation ? config.trajectoriesPerTask : config.evaluation.trajectoriesPerTask,
      first,
      validation ? "budget" : config.sampler,
    );
    tasks.forEach((_, i) => {
      for (let t = 0; t < config.innerSteps; t++) sums[t] += r.inner[i][t].meanUndiscountedReturn;
      sums[config.innerSteps] += r.outer[i].meanUndiscountedReturn;
    });
    for (let t = 0; t < config.innerSteps; t++) {
      pooledSums[t] += pooledReturn(r.inner.map((batches) => batches[t]));
    }
    pooledSums[config.innerSteps] += pooledReturn(r.outer);
    rounds++;
  }
  return {
    tasks: n,
    returnsByStep: sums.map((s) => s / n),
    pooledReturnsByStep: pooledSums.map((s) => s / rounds),
  };
}

/**
 * The published code's `AverageReturn` of one meta-batch: the mean undiscounted return over all
 * paths of all tasks pooled (path-weighted: a task with more paths counts more).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pooledReturn } from "./trainer.ts";
 * // Task A: 3 paths averaging −10; task B: 1 path of −30. Pooled: (−30 − 30) / 4 = −15.
 * const pooled = pooledReturn([
 *   { meanUndiscountedReturn: -10, trajectoryCount: 3 },
 *   { meanUndiscountedReturn: -30, trajectoryCount: 1 },
 * ]);
 * assert.equal(pooled, -15, `${pooled}`); // the per-task mean would be −20
 * ```
 */
export function pooledReturn(
  batches: readonly Pick<LearnerBatch, "meanUndiscountedReturn" | "trajectoryCount">[],
): number {
  let total = 0, paths = 0;
  for (const b of batches) {
    total += b.meanUndiscountedReturn * b.trajectoryCount;
    paths += b.trajectoryCount;
  }
  return total / paths;
}

function mean(x: readonly number[]): number {
  return x.reduce((a, b) => a + b, 0) / x.length;
}

function sumSquares(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}
