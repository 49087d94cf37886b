/**
 * Exact expectations of the meta-gradient estimators on tabular problems: every combination of
 * trajectory batches D_1 … D_ζ, D_o is enumerated, the package's own estimator code
 * ({@linkcode innerStep}, {@linkcode metaGradient}, on batches from {@linkcode learnerBatch} in the
 * raw configuration) runs on it, and the results are averaged with their probabilities.
 *
 * Compared with ∇V_ζ from {@linkcode exactMetaGradient} (float64 enumeration and central
 * differences, independent of the estimators) this gives each estimator's exact bias.
 *
 * @module
 */
import { learnerBatch, type SurrogateConfig } from "../estimators/batch.ts";
import {
  type Algorithm,
  type EstimatorConfig,
  innerStep,
  type JacobianMode,
  metaGradient,
} from "../estimators/meta_gradient.ts";
import type { PolicyParams } from "../estimators/policy.ts";
import { rawAdvantageConfig } from "../estimators/returns.ts";
import type { Path } from "../estimators/sampler.ts";
import {
  enumerateTrajectories,
  forEachBatch,
  type TabularProblem,
  tabularSoftmax,
  type WeightedTrajectory,
} from "./tabular.ts";

/** Estimators whose exact expectation this module computes. */
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

/** A tabular trajectory as the sampler would have produced it (one-hot observations). */
function toPath(problem: TabularProblem, tau: WeightedTrajectory): Path {
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

/** The first two moments of an estimator over tasks and batches. */
export interface EstimatorMoments {
  /** E[estimate]. */
  readonly mean: Float64Array;
  /** E[‖estimate‖²]. */
  readonly meanSquaredNorm: number;
}

/**
 * E[estimate] and E[‖estimate‖²] for one estimator, exactly, by the enumeration of
 * {@linkcode exactExpectation}: the trace of the estimator's covariance is E‖g‖² − ‖E g‖², its mean
 * squared error against ∇V is E‖g‖² − 2⟨E g, ∇V⟩ + ‖∇V‖².
 */
export function exactMoments(
  problem: TabularProblem,
  theta: readonly number[],
  settings: ExactSettings,
  estimator: keyof typeof EXACT_ESTIMATORS,
): EstimatorMoments {
  const policy = tabularSoftmax(problem.states, problem.actions);
  const choice = EXACT_ESTIMATORS[estimator];
  const config: EstimatorConfig = {
    ...choice,
    innerSteps: settings.innerSteps,
    innerLr: settings.alpha,
    sgmrlBaseline: "none",
  };
  const surrogate: SurrogateConfig = {
    advantages: rawAdvantageConfig(problem.gamma),
    mean: "trajectories",
  };
  const batchOf = (b: readonly WeightedTrajectory[]) =>
    learnerBatch(b.map((t) => toPath(problem, t)), problem.states, 1, surrogate);
  const total = new Float64Array(problem.states * problem.actions);
  let squared = 0;
  const theta0: PolicyParams = [Float32Array.from(theta)];
  for (const task of problem.tasks) {
    const rec = (
      current: PolicyParams,
      inner: ReturnType<typeof batchOf>[],
      adapted: PolicyParams[],
      probability: number,
    ) => {
      const trajectories = enumerateTrajectories(problem, task, current[0]);
      if (inner.length === settings.innerSteps) {
        forEachBatch(trajectories, settings.batchOut, (outer, p) => {
          const { gradient } = metaGradient(policy, theta0, [{
            inner,
            outer: batchOf(outer),
            adapted,
            explorationWeight: 0,
          }], config);
          const w = task.weight * probability * p;
          gradient[0].forEach((g, k) => (total[k] += w * g, squared += w * g * g));
        });
        return;
      }
      forEachBatch(trajectories, settings.batchIn, (batch, p) => {
        const b = batchOf(batch);
        const next = innerStep(policy, current, b, settings.alpha);
        rec(next, [...inner, b], [...adapted, next], probability * p);
      });
    };
    rec(theta0, [], [], 1);
  }
  return { mean: total, meanSquaredNorm: squared };
}
