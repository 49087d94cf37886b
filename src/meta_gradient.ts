/**
 * The inner adaptation step and the meta-gradient estimators: SG-MRL, MAML and E-MAML, first or
 * second order, for ζ ≥ 1 inner steps.
 *
 * For one task, with θ⁰ = θ, θᵗ = θᵗ⁻¹ + α∇L(θᵗ⁻¹; D_t) and M_t = ∂θᵗ/∂θ for the realised batches,
 * the per-task meta-objective whose gradient is taken is
 *
 *   O(θ) = L(θ^ζ; D_o)                                          (all algorithms)
 *        + c_o · (J̃ − b) · Σ_{t=1..ζ} Σ_{n∈D_t} log π(aₙ|sₙ; θᵗ⁻¹)     (sgmrl)
 *        + e · mean_{n∈D_1} log π(aₙ|sₙ; θ)                          (emaml)
 *
 * with L(θ; D) = Σₙ wₙ log π(aₙ|sₙ; θ) (see batch.ts). Differentiating O through the inner updates
 * with the batches held fixed ("autodiff") gives M_ζᵀ∇L(θ^ζ; D_o) + c_o(J̃ − b)Σ_t M_{t−1}ᵀ Σ s(τ;
 * θᵗ⁻¹), the SG-MRL estimator of eq. 39 — with the true Jacobian of the inner
 * step, which is what makes it unbiased. With `hessian: "none"` every θᵗ is θ plus a constant, so
 * every M is the identity (first order). J̃ is the outer batch's mean discounted return from raw
 * rewards, never from normalised advantages, and all ζ inner batches contribute.
 *
 * @module
 */
import type * as tfType from "@tensorflow/tfjs";
import { tf } from "./backend.ts";
import type { LearnerBatch } from "./batch.ts";
import {
  type DifferentiablePolicy,
  paramsToTensors,
  type PolicyParams,
  tensorsToParams,
} from "./policy.ts";

/** Meta-gradient algorithms. */
export const ALGORITHMS = ["sgmrl", "maml", "emaml"] as const;
/** A meta-gradient algorithm. */
export type Algorithm = typeof ALGORITHMS[number];
/** How the Jacobians of the inner steps are treated. */
export const HESSIANS = ["autodiff", "none"] as const;
/** "autodiff": second order, differentiate through the inner updates; "none": first order. */
export type HessianMode = typeof HESSIANS[number];

/** Everything that selects an estimator. */
export interface EstimatorConfig {
  readonly algorithm: Algorithm;
  readonly hessian: HessianMode;
  /** ζ ≥ 1. */
  readonly innerSteps: number;
  /** α. */
  readonly innerLr: number;
  /** SG-MRL's baseline b: none, or the mean J̃ of the other tasks of the meta-batch. */
  readonly sgmrlBaseline: "none" | "leave-one-out";
}

/** The batches of one task: D_1 … D_ζ, and D_o. */
export interface TaskBatches {
  readonly inner: readonly LearnerBatch[];
  readonly outer: LearnerBatch;
  /** θ¹ … θ^ζ as realised during sampling (used by the first-order estimators). */
  readonly adapted: readonly PolicyParams[];
  /** E-MAML's exploration weight e for this task (ignored by the other algorithms). */
  readonly explorationWeight: number;
}

/** Result of {@linkcode metaGradient}. */
export interface MetaGradient {
  /** The task-batch mean of the per-task estimates, in {@linkcode PolicyParams} layout. */
  readonly gradient: PolicyParams;
  /** The meta-objective's value (the mean of O over tasks), for logging. */
  readonly objective: number;
}

interface BatchTensors {
  readonly obs: tfType.Tensor2D;
  readonly act: tfType.Tensor2D;
  readonly w: tfType.Tensor1D;
}

function batchTensors(policy: DifferentiablePolicy, b: LearnerBatch): BatchTensors {
  return {
    obs: tf.tensor2d(b.observations, [b.sampleCount, policy.obsDim]),
    act: tf.tensor2d(b.actions, [b.sampleCount, policy.actDim]),
    w: tf.tensor1d(b.weights),
  };
}

function surrogate(
  policy: DifferentiablePolicy,
  params: readonly tfType.Tensor[],
  b: BatchTensors,
): tfType.Scalar {
  return tf.sum(tf.mul(policy.logProb(params, b.obs, b.act), b.w));
}

/**
 * One inner step θ + α∇L(θ; D) on tensors. Inside a gradient computation it is differentiable in
 * `params` (the second-order terms included).
 */
function innerStepTensors(
  policy: DifferentiablePolicy,
  params: readonly tfType.Tensor[],
  b: BatchTensors,
  alpha: number,
): tfType.Tensor[] {
  const grads = tf.grads((...p: tfType.Tensor[]) => surrogate(policy, p, b))([...params]);
  return params.map((p, i) => tf.add(p, tf.mul(grads[i], alpha)));
}

/**
 * One inner adaptation step on plain parameters: θ' = θ + α∇L(θ; D).
 *
 * @example
 * ```ts
 * import { innerStep } from "./meta_gradient.ts";
 * import { gaussianMlp, initPolicyParams } from "./policy.ts";
 * import { useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const spec = { obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 } as const;
 * const theta = initPolicyParams(spec, 0);
 * const batch = {
 *   observations: new Float32Array([1]), actions: new Float32Array([1]),
 *   weights: new Float32Array([1]), sampleCount: 1, trajectoryCount: 1, returnEstimate: 0,
 *   meanUndiscountedReturn: 0, scale: 1, rewards: new Float64Array([0]),
 * };
 * const next = innerStep(gaussianMlp(spec), theta, batch, 0.1);
 * // ∂ log N(a; w·s + b, 1)/∂b = a − (w·s + b); the bias moves by 0.1 times that.
 * const expected = 0.1 * (1 - theta[0][0]);
 * if (Math.abs(next[1][0] - expected) > 1e-6) throw new Error("unexpected step");
 * ```
 */
export function innerStep(
  policy: DifferentiablePolicy,
  params: PolicyParams,
  batch: LearnerBatch,
  alpha: number,
): PolicyParams {
  return tf.tidy(() => {
    const theta = paramsToTensors(policy, params);
    return tensorsToParams(innerStepTensors(policy, theta, batchTensors(policy, batch), alpha));
  });
}

/**
 * The leave-one-out baselines bᵢ = mean_{j≠i} J̃ⱼ (0 for a meta-batch of one task).
 */
export function leaveOneOutBaselines(returns: readonly number[]): number[] {
  const n = returns.length;
  if (n < 2) return returns.map(() => 0);
  const total = returns.reduce((a, b) => a + b, 0);
  return returns.map((r) => (total - r) / (n - 1));
}

/**
 * The meta-gradient estimate for a meta-batch of tasks: the mean over tasks of ∇O (see the
 * module documentation), evaluated at `params`.
 */
export function metaGradient(
  policy: DifferentiablePolicy,
  params: PolicyParams,
  tasks: readonly TaskBatches[],
  config: EstimatorConfig,
): MetaGradient {
  validateEstimatorConfig(config);
  for (const t of tasks) {
    if (t.inner.length !== config.innerSteps || t.adapted.length !== config.innerSteps) {
      throw new RangeError(`each task needs innerSteps = ${config.innerSteps} inner batches`);
    }
  }
  const baselines = config.sgmrlBaseline === "leave-one-out"
    ? leaveOneOutBaselines(tasks.map((t) => t.outer.returnEstimate))
    : tasks.map(() => 0);
  return tf.tidy(() => {
    const theta = paramsToTensors(policy, params);
    const data = tasks.map((t) => ({
      inner: t.inner.map((b) => batchTensors(policy, b)),
      outer: batchTensors(policy, t.outer),
      // First order: θᵗ = θ + (θᵗ_realised − θ) with the difference a constant.
      offsets: config.hessian === "none"
        ? t.adapted.map((a) => a.map((v, i) => tf.tensor(sub(v, params[i]), theta[i].shape)))
        : [],
    }));
    const objective = (...th: tfType.Tensor[]): tfType.Scalar => {
      let total: tfType.Tensor = tf.scalar(0);
      data.forEach((d, i) => {
        const task = tasks[i];
        let current: tfType.Tensor[] = th;
        let scoreSum: tfType.Tensor = tf.scalar(0);
        for (let t = 0; t < config.innerSteps; t++) {
          const b = d.inner[t];
          if (config.algorithm === "sgmrl") {
            scoreSum = tf.add(scoreSum, tf.sum(policy.logProb(current, b.obs, b.act)));
          }
          if (config.algorithm === "emaml" && t === 0) {
            const ll = tf.mean(policy.logProb(th, b.obs, b.act));
            total = tf.add(total, tf.mul(ll, task.explorationWeight));
          }
          current = config.hessian === "autodiff"
            ? innerStepTensors(policy, current, b, config.innerLr)
            : th.map((p, k) => tf.add(p, d.offsets[t][k]));
        }
        total = tf.add(total, surrogate(policy, current, d.outer));
        if (config.algorithm === "sgmrl") {
          const factor = task.outer.scale * (task.outer.returnEstimate - baselines[i]);
          total = tf.add(total, tf.mul(scoreSum, factor));
        }
      });
      return tf.div(total, tasks.length) as tfType.Scalar;
    };
    const { value, grads } = tf.valueAndGrads((...th: tfType.Tensor[]) => objective(...th))(theta);
    const gradient = tensorsToParams(grads);
    const objectiveValue = value.dataSync()[0];
    return { gradient, objective: objectiveValue };
  });
}

function sub(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] - b[i];
  return out;
}

/** Throw a one-line error naming the field when `config` is not a valid estimator. */
export function validateEstimatorConfig(config: EstimatorConfig): void {
  if (!ALGORITHMS.includes(config.algorithm)) {
    throw new RangeError(
      `algorithm must be one of ${ALGORITHMS.join(", ")}, got "${config.algorithm}"`,
    );
  }
  if (!HESSIANS.includes(config.hessian)) {
    throw new RangeError(`hessian must be one of ${HESSIANS.join(", ")}, got "${config.hessian}"`);
  }
  if (!Number.isInteger(config.innerSteps) || config.innerSteps < 1) {
    throw new RangeError(`innerSteps must be an integer ≥ 1, got ${config.innerSteps}`);
  }
  if (!(Number.isFinite(config.innerLr) && config.innerLr >= 0)) {
    throw new RangeError(`innerLr must be a finite number ≥ 0, got ${config.innerLr}`);
  }
}
