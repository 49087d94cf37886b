/**
 * What an experiment will cost before it runs: memory, environment steps and learner work,
 * estimated from its configuration and checked against stated limits, so that an oversized
 * configuration is refused at once, naming the field, instead of crashing after minutes.
 *
 * Memory (bytes; deliberately generous, since a refusal costs nothing and a crash costs the run):
 *
 * - sampling, per iteration on the JavaScript heap: every batch of the rollout is held at once,
 *   (ζ + 1) × metaBatchSize × trajectoriesPerTask × horizon steps of 28·obs + 12·act + 52 bytes
 *   (the float64 path, the learner's float32 copy, the return and baseline temporaries), twice
 *   (worker transfers copy); the same for a round of an evaluation (metaBatchSize tasks at most);
 *   three times that with the budget sampler (its stop step is at most 2H − 1, and each slot runs
 *   at most one path past it), whose tasks also hold up to twice the samples for the learner;
 * - the learner, per task on a WebAssembly heap (one task's gradient tape at a time): 128 bytes per
 *   sample, unit and phase, 128 × trajectoriesPerTask × horizon × (Σ hidden + obs + act) × (ζ + 1),
 *   plus 64 × parameters × (ζ + 1); measured: paper-scale HalfCheetah at ζ = 3 took 320 MiB per
 *   task, which this puts at 439 MiB (and its sampling at 733 MiB);
 * - the parameters with Adam's moments and a checkpoint's copy: 48 bytes per parameter.
 *
 * The limits: {@linkcode SAMPLING_MEMORY_LIMIT} for the JavaScript heap and
 * {@linkcode LEARNER_MEMORY_LIMIT} for one WebAssembly heap (at most 4 GiB by the WebAssembly
 * specification). The cost budget of `verify` ({@linkcode verifyBudget}) for an experiment that is
 * not one of the package's own profiles is the paper's 2D-navigation experiment (about 10 minutes
 * on 2 cores): its iterations, environment steps and learner work (samples × parameters).
 *
 * @module
 */
import type { ExperimentConfig } from "./config.ts";
import { InputError } from "../core/errors.ts";
import { environmentDims } from "../envs/registry.ts";
import { PROFILES } from "./profiles.ts";
import { paramCount } from "../estimators/policy.ts";
import { validationRule } from "./validation.ts";

/** Limit of the sampling estimate (the JavaScript heap): 2 GiB. */
export const SAMPLING_MEMORY_LIMIT = 2 * 2 ** 30;
/** Limit of the learner estimate (one WebAssembly heap, at most 4 GiB): 3 GiB. */
export const LEARNER_MEMORY_LIMIT = 3 * 2 ** 30;

/** An experiment's estimated cost. */
export interface CostEstimate {
  /** Meta-iterations. */
  readonly iterations: number;
  /** Bytes of the JavaScript heap for sampling one iteration (or the evaluation) and the state. */
  readonly samplingBytes: number;
  /** Bytes of one WebAssembly heap for one task's meta-gradient. */
  readonly learnerBytes: number;
  /** Environment steps of the whole experiment, evaluations and (at most) validations included. */
  readonly environmentSteps: number;
  /** Samples the learner differentiates × the policy's parameters, over the whole experiment. */
  readonly learnerWork: number;
}

function dims(config: ExperimentConfig) {
  const { obsDim, actDim } = environmentDims(config.env);
  const params = paramCount({ obsDim, actDim, ...config.policy });
  return { obsDim, actDim, params, phases: config.innerSteps + 1 };
}

/** Environment steps per phase: of an iteration, of an evaluated task, and of all periodic evaluations and (at most) all validations. */
function stepCounts(config: ExperimentConfig) {
  // The budget sampler samples at most 3H − 2 steps per slot (its stop step is at most 2H − 1,
  // and each slot runs at most one path past it): at most 3 × the fixed sampler's.
  const sampling = config.sampler === "budget" ? 3 : 1;
  const perIteration = sampling * config.metaBatchSize * config.trajectoriesPerTask *
    config.horizon;
  const perTask = sampling * config.evaluation.trajectoriesPerTask * config.horizon;
  const periodic = config.evaluation.periodic;
  const periodicSteps = periodic === undefined
    ? 0
    : Math.floor(config.iterations / periodic.every) * periodic.tasks * perTask;
  // The published validations, at most: every `every`-th iteration and every one after `after`.
  const rule = validationRule(config);
  const validations = rule === undefined ? 0 : Math.min(
    config.iterations,
    Math.floor(config.iterations / rule.every) + Math.max(0, config.iterations - rule.after - 1),
  );
  const validationSteps = rule === undefined
    ? 0
    : validations * rule.rounds * config.metaBatchSize * sampling * config.trajectoriesPerTask *
      config.horizon;
  return { sampling, perIteration, perTask, periodicSteps, validationSteps };
}

/**
 * The estimated cost of `config` (formulas in the module documentation).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { estimateCost } from "./budget.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * const c = validateConfig({ ...PAPER_NAV2D, id: "x", algorithm: "sgmrl", hessian: "autodiff",
 *   innerSteps: 1, seed: 0 });
 * // 500 iterations × 20 tasks × 20 trajectories × 100 steps × 2 phases, plus the final and the
 * // six periodic evaluations on 1600 tasks each.
 * const evaluations = (1 + 6) * 1600 * 20 * 100 * 2;
 * assert.equal(estimateCost(c).environmentSteps, 500 * 20 * 20 * 100 * 2 + evaluations, "steps");
 * ```
 */
export function estimateCost(config: ExperimentConfig): CostEstimate {
  const { obsDim, actDim, params, phases } = dims(config);
  const stepBytes = 28 * obsDim + 12 * actDim + 52;
  const { sampling, perIteration, perTask, periodicSteps, validationSteps } = stepCounts(config);
  // Evaluations run in rounds of metaBatchSize tasks.
  const evaluationRound = Math.min(config.evaluation.tasks, config.metaBatchSize) * perTask;
  const evaluation = config.evaluation.tasks * perTask + periodicSteps + validationSteps;
  const hidden = config.policy.hidden.reduce((a, b) => a + b, 0);
  return {
    iterations: config.iterations,
    samplingBytes: 2 * phases * stepBytes * Math.max(perIteration, evaluationRound) + 48 * params,
    learnerBytes: 128 * (sampling > 1 ? 2 : 1) * config.trajectoriesPerTask * config.horizon *
        (hidden + obsDim + actDim) * phases + 64 * params * phases,
    environmentSteps: (config.iterations * perIteration + evaluation) * phases,
    learnerWork: config.iterations * perIteration * phases * params,
  };
}

/** What replaying part of an experiment costs: environment steps and learner work. */
export interface ReplayCost {
  /** Environment steps (every phase). */
  readonly environmentSteps: number;
  /** Samples the learner differentiates × the policy's parameters. */
  readonly learnerWork: number;
}

/**
 * The estimated cost of replaying `iterations` of `config`'s training iterations (a checkpoint
 * interval): their training, and their share of the periodic evaluations and of the published
 * validations (at most as many as {@linkcode estimateCost} allows), the final evaluation excluded.
 *
 * @example One interval of the paper's 2D-navigation experiment
 * ```ts
 * import assert from "node:assert/strict";
 * import { intervalCost } from "./budget.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * const c = validateConfig({ ...PAPER_NAV2D, id: "x", algorithm: "sgmrl", hessian: "autodiff",
 *   innerSteps: 1, seed: 0 });
 * // 125 iterations × 20 tasks × 20 trajectories × 100 steps × 2 phases, and a quarter of the six
 * // periodic evaluations on 1600 tasks × 20 trajectories × 100 steps × 2 phases.
 * const cost = intervalCost(c, 125);
 * assert.equal(cost.environmentSteps, 125 * 40_000 * 2 + (6 * 1600 * 20 * 100 * 2) / 4);
 * ```
 */
export function intervalCost(config: ExperimentConfig, iterations: number): ReplayCost {
  const { params, phases } = dims(config);
  const { perIteration, periodicSteps, validationSteps } = stepCounts(config);
  const share = iterations / config.iterations;
  return {
    environmentSteps: iterations * perIteration * phases +
      share * (periodicSteps + validationSteps) * phases,
    learnerWork: iterations * perIteration * phases * params,
  };
}

/**
 * The estimated cost of replaying `config`'s final evaluation: its tasks, and under the published
 * protocol the published score's rounds of a meta-batch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { finalEvaluationCost } from "./budget.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * const c = validateConfig({ ...PAPER_NAV2D, id: "x", algorithm: "maml", hessian: "autodiff",
 *   innerSteps: 1, seed: 0 });
 * assert.deepEqual(finalEvaluationCost(c), { environmentSteps: 1600 * 20 * 100 * 2, learnerWork: 0 });
 * ```
 */
export function finalEvaluationCost(config: ExperimentConfig): ReplayCost {
  const { phases } = dims(config);
  const { perTask, sampling } = stepCounts(config);
  const rule = validationRule(config);
  const published = rule === undefined
    ? 0
    : rule.rounds * config.metaBatchSize * sampling * config.trajectoriesPerTask * config.horizon;
  return {
    environmentSteps: (config.evaluation.tasks * perTask + published) * phases,
    learnerWork: 0,
  };
}

/**
 * The cost budget of `verify` for an experiment that is not one of the package's own: the paper's
 * 2D-navigation experiment (Table 1, ζ = 1).
 */
export function verifyBudget(): CostEstimate {
  return estimateCost(paperNav2dConfig());
}

/**
 * The cost of one checkpoint interval of the paper's 2D-navigation experiment (Table 1, ζ = 1):
 * the unit in which `verify --all` caps what it replays.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paperIntervalCost } from "./budget.ts";
 * // 125 iterations of 20 × 20 trajectories of 100 steps in 2 phases, and a quarter of the periodic
 * // evaluations.
 * assert.equal(paperIntervalCost().environmentSteps, 10_000_000 + 9_600_000);
 * ```
 */
export function paperIntervalCost(): ReplayCost {
  const config = paperNav2dConfig();
  return intervalCost(config, config.checkpointEvery);
}

function paperNav2dConfig(): ExperimentConfig {
  const table1 = PROFILES.paper.groups[0];
  return { ...table1.base, ...table1.variants[0], id: "budget", seed: 0 } as ExperimentConfig;
}

/** The fields an estimate grows with, and their values in the largest paper configuration. */
const REFERENCE: Record<string, (c: ExperimentConfig) => number> = {
  iterations: (c) => c.iterations / 500,
  metaBatchSize: (c) => c.metaBatchSize / 40,
  trajectoriesPerTask: (c) => c.trajectoriesPerTask / 20,
  horizon: (c) => c.horizon / 200,
  innerSteps: (c) => (c.innerSteps + 1) / 4,
  "policy.hidden": (c) => c.policy.hidden.reduce((a, b) => a + b, 0) / 200,
  "evaluation.tasks": (c) => c.evaluation.tasks / 40,
  "evaluation.trajectoriesPerTask": (c) => c.evaluation.trajectoriesPerTask / 20,
};

/** The field among `fields` that is largest relative to the paper's largest configuration. */
function culprit(config: ExperimentConfig, fields: string[]): string {
  return fields.reduce((best, f) => REFERENCE[f](config) > REFERENCE[best](config) ? f : best);
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

function fieldValue(config: ExperimentConfig, field: string): string {
  const value = field.split(".").reduce<unknown>(
    (v, k) => (v as Record<string, unknown>)[k],
    config,
  );
  return JSON.stringify(value);
}

/** One limit: an estimate, its bound, the fields it grows with, and how to say it is over. */
interface Limit {
  readonly value: number;
  readonly bound: number;
  readonly fields: readonly string[];
  readonly says: string;
}

/** Throw for the first limit exceeded, naming the experiment and the field most to blame. */
function refuseOver(config: ExperimentConfig, limits: readonly Limit[]): void {
  for (const { value, bound, fields, says } of limits) {
    if (value <= bound) continue;
    const field = culprit(config, [...fields]);
    throw new InputError(
      `experiment ${config.id}: config.${field} = ${fieldValue(config, field)} ${says}`,
    );
  }
}

const SAMPLE_FIELDS = ["metaBatchSize", "trajectoriesPerTask", "horizon", "innerSteps"];
const EVALUATION_FIELDS = ["evaluation.tasks", "evaluation.trajectoriesPerTask"];

/**
 * Refuse (with an {@linkcode InputError} naming the experiment and the field that makes it too
 * big) a configuration whose memory estimate exceeds a limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkMemory } from "./budget.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * const c = validateConfig({ ...PAPER_NAV2D, id: "big", algorithm: "maml", hessian: "autodiff",
 *   innerSteps: 1, seed: 0, horizon: 100000 });
 * let message = "";
 * try { checkMemory(c); } catch (e) { message = (e as Error).message; }
 * assert.ok(message.startsWith("experiment big: config.horizon = 100000"), message);
 * ```
 */
export function checkMemory(config: ExperimentConfig): void {
  const cost = estimateCost(config);
  const over = (what: string, bytes: number, limit: number) =>
    `makes ${what} need about ${gib(bytes)}, over the ${gib(limit)} limit; lower it`;
  refuseOver(config, [
    {
      value: cost.samplingBytes,
      bound: SAMPLING_MEMORY_LIMIT,
      fields: [...SAMPLE_FIELDS, "policy.hidden", ...EVALUATION_FIELDS],
      says: over("sampling", cost.samplingBytes, SAMPLING_MEMORY_LIMIT),
    },
    {
      value: cost.learnerBytes,
      bound: LEARNER_MEMORY_LIMIT,
      fields: ["trajectoriesPerTask", "horizon", "innerSteps", "policy.hidden"],
      says: over("the learner (one WebAssembly heap)", cost.learnerBytes, LEARNER_MEMORY_LIMIT),
    },
  ]);
}

/**
 * Refuse (with an {@linkcode InputError} naming the experiment and the field) a configuration
 * that costs more than `budget` (default {@linkcode verifyBudget}) in iterations, environment steps
 * or learner work.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkCost } from "./budget.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * const c = validateConfig({ ...PAPER_NAV2D, id: "long", algorithm: "maml", hessian: "none",
 *   innerSteps: 1, seed: 0, iterations: 1000000, metaBatchSize: 2, trajectoriesPerTask: 2 });
 * let message = "";
 * try { checkCost(c); } catch (e) { message = (e as Error).message; }
 * assert.ok(message.startsWith("experiment long: config.iterations = 1000000"), message);
 * ```
 */
export function checkCost(config: ExperimentConfig, budget: CostEstimate = verifyBudget()): void {
  const cost = estimateCost(config);
  const paper = "the paper's 2D-navigation experiment, verify's budget";
  const advice = "pass --allow-expensive to run it anyway";
  const times = (n: number, limit: number) => `${(n / limit).toFixed(1)}×`;
  refuseOver(config, [
    {
      value: cost.iterations,
      bound: budget.iterations,
      fields: ["iterations"],
      says: `is more than the ${budget.iterations} iterations of ${paper}; ${advice}`,
    },
    {
      value: cost.environmentSteps,
      bound: budget.environmentSteps,
      fields: ["iterations", ...SAMPLE_FIELDS, ...EVALUATION_FIELDS],
      says: `makes it ${cost.environmentSteps.toExponential(2)} environment steps, ${
        times(cost.environmentSteps, budget.environmentSteps)
      } ${paper}; ${advice}`,
    },
    {
      value: cost.learnerWork,
      bound: budget.learnerWork,
      fields: ["iterations", ...SAMPLE_FIELDS, "policy.hidden"],
      says: `makes its learner work ${
        times(cost.learnerWork, budget.learnerWork)
      } that of ${paper}; ${advice}`,
    },
  ]);
}
