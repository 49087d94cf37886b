/**
 * Exact expectations of the meta-gradient estimators on tabular problems: every combination of
 * trajectory batches D_1 … D_ζ, D_o is accounted for with its probability, the package's own
 * estimator code ({@linkcode innerStep}, and the meta-gradient estimators as
 * {@linkcode taskGradientTensors} computes them for thousands of batch combinations in one graph,
 * on batches from {@linkcode learnerBatch} in the raw configuration) runs on the batches, and the
 * results are averaged with their probabilities. Inner batches are enumerated as multisets and the
 * outer batch one trajectory at a time, which two exact identities allow (see
 * {@linkcode exactMomentsOfAll}).
 *
 * Compared with ∇V_ζ from {@linkcode exactMetaGradient} (float64 enumeration and central
 * differences, independent of the estimators) this gives each estimator's exact bias.
 *
 * @module
 */
import { tf } from "../kernels/backend.ts";
import { type LearnerBatch, learnerBatch, type SurrogateConfig } from "../estimators/batch.ts";
import { type BatchedPolicy, taskGradientTensors } from "../estimators/batched_meta_gradient.ts";
import {
  type Algorithm,
  type EstimatorConfig,
  innerStep,
  type JacobianMode,
  metaGradientBaselines,
  type TaskBatches,
} from "../estimators/meta_gradient.ts";
import type { PolicyParams } from "../estimators/policy.ts";
import { rawAdvantageConfig } from "../estimators/returns.ts";
import type { Path } from "../estimators/sampler.ts";
import {
  enumerateTrajectories,
  forEachMultiset,
  type TabularProblem,
  tabularSoftmax,
  type WeightedTrajectory,
} from "./tabular.ts";

/**
 * Estimators whose exact expectation this module computes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXACT_ESTIMATORS } from "./exact.ts";
 * assert.deepEqual(EXACT_ESTIMATORS["maml-fo"], { algorithm: "maml", hessian: "none" });
 * ```
 */
export const EXACT_ESTIMATORS: Readonly<
  Record<string, { algorithm: Algorithm; hessian: JacobianMode }>
> = {
  "sgmrl": { algorithm: "sgmrl", hessian: "autodiff" },
  "sgmrl-fo": { algorithm: "sgmrl", hessian: "none" },
  "maml": { algorithm: "maml", hessian: "autodiff" },
  "maml-fo": { algorithm: "maml", hessian: "none" },
  "sgmrl-eq13": { algorithm: "sgmrl", hessian: "paper-eq13" },
  "sgmrl-published": { algorithm: "sgmrl-published", hessian: "autodiff" },
};

/** Step sizes and batch sizes of the exact analysis. */
export interface ExactSettings {
  /** α. */
  readonly alpha: number;
  /** ζ. */
  readonly innerSteps: number;
  /** |D_t|. */
  readonly batchIn: number;
  /** |D_o|. */
  readonly batchOut: number;
}

/**
 * A tabular trajectory as the sampler would have produced it (one-hot observations).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tabularPath } from "./exact.ts";
 * const problem = { states: 2, actions: 2, horizon: 0, gamma: 1, tasks: [] };
 * const path = tabularPath(problem, { states: [1], actions: [0], rewards: [3], probability: 1 });
 * assert.equal(path.observations.join(), "0,1", "one-hot");
 * assert.equal(path.rewards[0], 3, "one-hot");
 * ```
 */
export function tabularPath(problem: TabularProblem, tau: WeightedTrajectory): Path {
  const n = tau.states.length;
  const observations = new Float64Array(n * problem.states);
  tau.states.forEach((s, h) => observations[h * problem.states + s] = 1);
  return {
    observations,
    actions: Float64Array.from(tau.actions),
    rewards: Float64Array.from(tau.rewards),
    length: n,
  };
}

/**
 * E[estimate] for one estimator, exactly: Σ_i p_i Σ_{D_1..D_ζ, D_o} P(D's) · estimate. The raw
 * configuration is used throughout (reward-to-go, no baseline, no normalisation, mean over
 * trajectories, no SG-MRL baseline), so the estimators are eq. 5 / eq. 39 exactly.
 */
export function exactExpectation(
  problem: TabularProblem,
  theta: readonly number[],
  settings: ExactSettings,
  estimator: keyof typeof EXACT_ESTIMATORS,
): Float64Array {
  return exactMoments(problem, theta, settings, estimator).mean;
}

/**
 * The first two moments of an estimator over tasks and batches.
 *
 * @example See {@linkcode exactMoments}: the trace of the covariance from the two moments
 * ```ts
 * import assert from "node:assert/strict";
 * import type { EstimatorMoments } from "./exact.ts";
 * const m: EstimatorMoments = { mean: new Float64Array([1, 2]), meanSquaredNorm: 6 };
 * const variance = m.meanSquaredNorm - m.mean.reduce((s, x) => s + x * x, 0);
 * assert.equal(variance, 1);
 * ```
 */
export interface EstimatorMoments {
  /** E[estimate]. */
  readonly mean: Float64Array;
  /** E[‖estimate‖²]. */
  readonly meanSquaredNorm: number;
}

/**
 * E[estimate] and E[‖estimate‖²] for one estimator, exactly (see {@linkcode exactMomentsOfAll}):
 * the trace of the estimator's covariance is E‖g‖² − ‖E g‖², its mean squared error against ∇V is
 * E‖g‖² − 2⟨E g, ∇V⟩ + ‖∇V‖².
 *
 * @example One state, two actions, one step, action 0 pays 1; one trajectory per batch
 * ```ts
 * import assert from "node:assert/strict";
 * import { exactMoments } from "./exact.ts";
 * import type { TabularProblem } from "./tabular.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("cpu");
 * const problem: TabularProblem = { states: 1, actions: 2, horizon: 0, gamma: 1,
 *   tasks: [{ weight: 1, mu: [1], P: [[[1], [1]]], r: [[1, 0]] }] };
 * const settings = { alpha: 0.5, innerSteps: 1, batchIn: 1, batchOut: 1 };
 * const { mean, meanSquaredNorm } = exactMoments(problem, [0, 0], settings, "maml");
 * // The logits' gradient sums to zero (softmax is shift-invariant), and MAML is random.
 * assert.ok(Math.abs(mean[0] + mean[1]) < 1e-6);
 * assert.ok(meanSquaredNorm > mean[0] ** 2 + mean[1] ** 2);
 * ```
 */
export function exactMoments(
  problem: TabularProblem,
  theta: readonly number[],
  settings: ExactSettings,
  estimator: keyof typeof EXACT_ESTIMATORS,
): EstimatorMoments {
  return exactMomentsOfAll(problem, theta, settings, [estimator])[estimator];
}

/**
 * The number of estimator evaluations (package meta-gradients) that {@linkcode exactMomentsOfAll}
 * runs per estimator, at most: per task, C(T + |D_t| − 1, |D_t|)^ζ inner-batch multisets times T
 * outer trajectories, for T trajectories per policy. The batch combinations it accounts for are
 * T^(ζ·|D_t| + |D_o|) per task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exactEvaluationCount } from "./exact.ts";
 * // T = 6, |D_t| = 2, ζ = 2: 21² inner multisets × 6 outer trajectories, for 6⁶ combinations.
 * assert.equal(
 *   exactEvaluationCount(1, 6, { alpha: 1, innerSteps: 2, batchIn: 2, batchOut: 2 }),
 *   2646,
 *   "21 · 21 · 6",
 * );
 * ```
 */
export function exactEvaluationCount(
  tasks: number,
  trajectories: number,
  settings: ExactSettings,
): number {
  let multisets = 1;
  for (let k = 1; k <= settings.batchIn; k++) {
    multisets = multisets * (trajectories + k - 1) / k;
  }
  return tasks * Math.pow(Math.round(multisets), settings.innerSteps) * trajectories;
}

/**
 * E[estimate] and E[‖estimate‖²] of each of `estimators`, exactly, in one enumeration that runs
 * the package's own estimator code ({@linkcode innerStep}; the estimators through
 * {@linkcode taskGradientTensors}, 2,048 or more combinations per graph by default, each a task
 * of its own; on batches from {@linkcode learnerBatch}) and shares the inner steps between the
 * estimators.
 *
 * The enumeration uses two exact identities of the raw configuration, in which every batch
 * quantity is a sum or a mean over the batch's trajectories (all of the same length H + 1):
 *
 * - an inner batch enters only through such sums, so the inner batches are enumerated as multisets
 *   with multinomial probabilities ({@linkcode forEachMultiset}) rather than as ordered draws;
 * - every estimate is linear in the outer batch's empirical distribution (L(θ^ζ; D_o), J̃ and Ā_o
 *   are means over its trajectories; the SG-MRL scale is 1 and its baseline 0), so for an outer
 *   batch of B draws with replacement, with g_τ the estimate on the outer batch {τ},
 *   E[g] = Σ_τ p(τ) g_τ and E‖g‖² = (1/B) Σ_τ p(τ) ‖g_τ‖² + (1 − 1/B) ‖Σ_τ p(τ) g_τ‖².
 *
 * Both, and the batched evaluation, are checked against the plain enumeration of every ordered
 * batch with the per-task {@linkcode metaGradient} in test/tabular_test.ts.
 */
export function exactMomentsOfAll(
  problem: TabularProblem,
  theta: readonly number[],
  settings: ExactSettings,
  estimators: readonly (keyof typeof EXACT_ESTIMATORS)[],
  options: ExactOptions = {},
): Record<string, EstimatorMoments> {
  const leavesPerGraph = options.leavesPerGraph ?? LEAVES_PER_GRAPH;
  const policy = tabularSoftmax(problem.states, problem.actions);
  const configs = estimators.map((name): EstimatorConfig => ({
    ...EXACT_ESTIMATORS[name],
    innerSteps: settings.innerSteps,
    innerLr: settings.alpha,
    sgmrlBaseline: "none",
  }));
  const surrogate: SurrogateConfig = {
    advantages: rawAdvantageConfig(problem.gamma),
    mean: "trajectories",
  };
  const batchOf = (b: readonly WeightedTrajectory[]) =>
    learnerBatch(b.map((t) => tabularPath(problem, t)), problem.states, 1, surrogate);
  const size = problem.states * problem.actions;
  const totals = estimators.map(() => new Float64Array(size));
  const squared = estimators.map(() => 0);
  const draws = settings.batchOut;
  const theta0: PolicyParams = [Float32Array.from(theta)];
  // The leaves (one outer trajectory after one realised sequence of inner batches) wait here and
  // are evaluated LEAVES_PER_GRAPH or more at a time, whole groups of one inner sequence at once.
  let pending: LeafGroup[] = [];
  let pendingLeaves = 0;
  const flush = () => {
    const leaves = pending.flatMap((g) =>
      g.outer.map((tau) => ({
        inner: g.inner,
        outer: batchOf([tau]),
        adapted: g.adapted,
        explorationWeight: 0,
      }))
    );
    configs.forEach((config, e) => {
      const grads = leafGradients(policy, theta0, leaves, config);
      const total = totals[e];
      let leaf = 0;
      for (const g of pending) {
        // Σ_τ p(τ) g_τ, for the (1 − 1/B)‖E g‖² part of E‖g‖² when B > 1.
        const mean = new Float64Array(size);
        for (const tau of g.outer) {
          const w = g.probability * tau.probability;
          for (let k = 0; k < size; k++) {
            const x = grads[leaf * size + k];
            total[k] += w * x;
            squared[e] += w / draws * x * x;
            if (draws > 1) mean[k] += tau.probability * x;
          }
          leaf++;
        }
        if (draws > 1) {
          const norm2 = mean.reduce((s, m) => s + m * m, 0);
          squared[e] += g.probability * (1 - 1 / draws) * norm2;
        }
      }
    });
    pending = [];
    pendingLeaves = 0;
  };
  for (const task of problem.tasks) {
    const rec = (
      current: PolicyParams,
      inner: ReturnType<typeof batchOf>[],
      adapted: PolicyParams[],
      probability: number,
    ) => {
      const trajectories = enumerateTrajectories(problem, task, current[0]);
      if (inner.length === settings.innerSteps) {
        pending.push({
          inner,
          adapted,
          outer: trajectories,
          probability: task.weight * probability,
        });
        pendingLeaves += trajectories.length;
        if (pendingLeaves >= leavesPerGraph) flush();
        return;
      }
      forEachMultiset(trajectories, settings.batchIn, (batch, p) => {
        const b = batchOf(batch);
        const next = innerStep(policy, current, b, settings.alpha);
        rec(next, [...inner, b], [...adapted, next], probability * p);
      });
    };
    rec(theta0, [], [], 1);
  }
  if (pendingLeaves > 0) flush();
  return Object.fromEntries(
    estimators.map((name, e) => [name, { mean: totals[e], meanSquaredNorm: squared[e] }]),
  );
}

/** Leaves evaluated together in one graph by {@linkcode exactMomentsOfAll}, by default. */
const LEAVES_PER_GRAPH = 2048;

/** Options of {@linkcode exactMomentsOfAll}. */
export interface ExactOptions {
  /**
   * Evaluate the estimators once this many batch combinations are waiting (whole groups of one
   * inner sequence at a time; default 2,048): memory against the number of graphs, never results.
   */
  readonly leavesPerGraph?: number;
}

/** One realised sequence of inner batches of a task, and the outer trajectories that follow it. */
interface LeafGroup {
  readonly inner: LearnerBatch[];
  readonly adapted: PolicyParams[];
  /** Every outer trajectory under θ^ζ, with its probability. */
  readonly outer: readonly WeightedTrajectory[];
  /** The task's weight times the inner batches' probability. */
  readonly probability: number;
}

/**
 * Each leaf's estimate (one task of one outer trajectory each) from the package's batched estimator
 * ({@linkcode taskGradientTensors}), flattened leaf after leaf.
 */
function leafGradients(
  policy: BatchedPolicy,
  theta: PolicyParams,
  leaves: readonly TaskBatches[],
  config: EstimatorConfig,
): Float32Array {
  const { values, grads } = taskGradientTensors(
    policy,
    theta,
    leaves,
    metaGradientBaselines(leaves, config),
    config,
  );
  try {
    return (grads[0].dataSync() as Float32Array).slice();
  } finally {
    tf.dispose([values, ...grads]);
  }
}
