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
 *        + Ā_o · Σ_{n∈D_1} log π(aₙ|sₙ; θ)                           (sgmrl-published)
 *
 * with L(θ; D) = Σₙ wₙ log π(aₙ|sₙ; θ) (see batch.ts). Differentiating O through the inner updates
 * with the batches held fixed ("autodiff") gives M_ζᵀ∇L(θ^ζ; D_o) + c_o(J̃ − b)Σ_t M_{t−1}ᵀ Σ s(τ;
 * θᵗ⁻¹), the SG-MRL estimator of eq. 39 — with the true Jacobian of the inner
 * step, which is what makes it unbiased. With `hessian: "paper-eq13"` the inner Jacobians are
 * instead I + α·mean_{τ∈D_t}[∇²ν(τ) + ∇ν(τ) s(τ)ᵀ], built from the paper's policy-Hessian estimate
 * u of eq. 8–9 as its eq. 13 writes them (biased: the score term is already carried by the J̃
 * term); it exists for the exact bias analysis. With `hessian: "none"` every θᵗ is θ plus a constant, so
 * every M is the identity (first order). J̃ is the outer batch's mean discounted return from raw
 * rewards, never from normalised advantages, and all ζ inner batches contribute.
 *
 * `sgmrl-published` is what the paper's published code computes (maml_zoo/meta_algos/
 * vpg_sgmrl.py in its ProMP fork): the MAML term differentiated through the inner step, plus
 * stop_gradient(Ā_o) × the summed log-likelihood of the first inner batch only, with Ā_o the mean
 * of the outer batch's advantages as processed for training — normalised per task, so Ā_o ≈ 0 and
 * the term all but vanishes (REPRODUCTION.md F2).
 *
 * @module
 */
import type * as tfType from "@tensorflow/tfjs";
import { tf } from "../kernels/backend.ts";
import type { LearnerBatch } from "./batch.ts";
import {
  type DifferentiablePolicy,
  paramsToTensors,
  type PolicyParams,
  tensorsToParams,
  tensorsToParamsAsync,
} from "./policy.ts";

/**
 * Meta-gradient algorithms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ALGORITHMS } from "./meta_gradient.ts";
 * assert.equal(ALGORITHMS.join(), "sgmrl,maml,emaml,sgmrl-published", "four estimators");
 * ```
 */
export const ALGORITHMS = ["sgmrl", "maml", "emaml", "sgmrl-published"] as const;
/**
 * A meta-gradient algorithm.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Algorithm, ALGORITHMS } from "./meta_gradient.ts";
 * const debiased: Algorithm = "sgmrl";
 * assert.ok(ALGORITHMS.includes(debiased), "a known algorithm");
 * ```
 */
export type Algorithm = typeof ALGORITHMS[number];
/**
 * How the Jacobians of the inner steps are treated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HESSIANS } from "./meta_gradient.ts";
 * assert.equal(HESSIANS.join(), "autodiff,none", "second order, first order");
 * ```
 */
export const HESSIANS = ["autodiff", "none"] as const;
/**
 * "autodiff": second order, differentiate through the inner updates; "none": first order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { HessianMode } from "./meta_gradient.ts";
 * const order = (h: HessianMode) => h === "autodiff" ? 2 : 1;
 * assert.equal(order("none"), 1, "first order");
 * ```
 */
export type HessianMode = typeof HESSIANS[number];
/** The Jacobian modes of the estimators: {@linkcode HessianMode}, or the paper's eq. 13 Jacobian. */
export const JACOBIANS = [...HESSIANS, "paper-eq13"] as const;
/** A Jacobian mode accepted by {@linkcode metaGradient}. */
export type JacobianMode = typeof JACOBIANS[number];

/**
 * Everything that selects an estimator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { EstimatorConfig } from "./meta_gradient.ts";
 * // Second-order SG-MRL with two inner steps and the leave-one-out baseline.
 * const config: EstimatorConfig = {
 *   algorithm: "sgmrl", hessian: "autodiff", innerSteps: 2, innerLr: 0.1,
 *   sgmrlBaseline: "leave-one-out",
 * };
 * assert.equal(config.innerSteps, 2, "ζ = 2");
 * ```
 */
export interface EstimatorConfig {
  readonly algorithm: Algorithm;
  readonly hessian: JacobianMode;
  /** ζ ≥ 1. */
  readonly innerSteps: number;
  /** α. */
  readonly innerLr: number;
  /** SG-MRL's baseline b: none, or the mean J̃ of the other tasks of the meta-batch. */
  readonly sgmrlBaseline: "none" | "leave-one-out";
}

/**
 * The batches of one task: D_1 … D_ζ, and D_o.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TaskBatches } from "./meta_gradient.ts";
 * const batch = (s: number, a: number, w: number, jTilde: number) => ({
 *   observations: new Float32Array([s]), actions: new Float32Array([a]),
 *   weights: new Float32Array([w]), sampleCount: 1, trajectoryCount: 1, returnEstimate: jTilde,
 *   meanUndiscountedReturn: jTilde, scale: 1, rewards: new Float64Array([jTilde]), meanAdvantage: w,
 * });
 * const theta = [new Float32Array(1), new Float32Array(1), new Float32Array(1)];
 * // ζ = 1: one inner batch D_1 (at θ), the adapted θ¹ and the outer batch D_o (at θ¹).
 * const task: TaskBatches = {
 *   inner: [batch(1, 0.5, 1, 0)], adapted: [theta], outer: batch(1, 2, 1, 3), explorationWeight: 0,
 * };
 * assert.equal(task.inner.length, task.adapted.length, "one θᵗ per inner batch");
 * ```
 */
export interface TaskBatches {
  readonly inner: readonly LearnerBatch[];
  readonly outer: LearnerBatch;
  /** θ¹ … θ^ζ as realised during sampling (used by the first-order estimators). */
  readonly adapted: readonly PolicyParams[];
  /** E-MAML's exploration weight e for this task (ignored by the other algorithms). */
  readonly explorationWeight: number;
}

/**
 * Result of {@linkcode metaGradient}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianMlp } from "./policy.ts";
 * import { type MetaGradient, metaGradient } from "./meta_gradient.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const batch = (s: number, a: number, w: number, jTilde: number) => ({
 *   observations: new Float32Array([s]), actions: new Float32Array([a]),
 *   weights: new Float32Array([w]), sampleCount: 1, trajectoryCount: 1, returnEstimate: jTilde,
 *   meanUndiscountedReturn: jTilde, scale: 1, rewards: new Float64Array([jTilde]), meanAdvantage: w,
 * });
 * const theta = [new Float32Array(1), new Float32Array(1), new Float32Array(1)];
 * const task = { inner: [batch(1, 0.5, 1, 0)], adapted: [theta], outer: batch(1, 2, 1, 3),
 *   explorationWeight: 0 };
 * const policy = gaussianMlp({ obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 });
 * const m: MetaGradient = metaGradient(policy, theta, [task], { algorithm: "maml",
 *   hessian: "none", innerSteps: 1, innerLr: 0.1, sgmrlBaseline: "none" });
 * // W, b, logStd: the outer surrogate's gradient at θ¹ = 0, w·(a − μ)·s, w·(a − μ), w·((a − μ)² − 1)
 * assert.equal(m.gradient.map((g) => g[0]).join(), "2,2,3", "first-order MAML");
 * ```
 */
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
  return innerStepAndScore(policy, params, b, alpha, null).next;
}

/**
 * The inner step and, when `kept` is given, Σₙ log π(aₙ|sₙ; params) over the same batch from the
 * same forward pass (the SG-MRL term needs it): both stay differentiable in `params`, and the
 * network runs once. The sum must outlive the gradient's own scope, so it is kept and also pushed
 * onto `kept`, which the caller disposes once it has differentiated everything.
 */
function innerStepAndScore(
  policy: DifferentiablePolicy,
  params: readonly tfType.Tensor[],
  b: BatchTensors,
  alpha: number,
  kept: tfType.Tensor[] | null,
): { next: tfType.Tensor[]; score: tfType.Tensor | undefined } {
  let score: tfType.Tensor | undefined;
  const grads = tf.grads((...p: tfType.Tensor[]) => {
    const lp = policy.logProb(p, b.obs, b.act);
    if (kept !== null) {
      score = tf.keep(tf.sum(lp));
      kept.push(score);
    }
    return tf.sum(tf.mul(lp, b.w));
  })([...params]);
  return { next: params.map((p, i) => tf.add(p, tf.mul(grads[i], alpha))), score };
}

/**
 * One inner adaptation step on plain parameters: θ' = θ + α∇L(θ; D).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { innerStep } from "./meta_gradient.ts";
 * import { gaussianMlp, initPolicyParams } from "./policy.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("cpu");
 * const spec = { obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 } as const;
 * const theta = initPolicyParams(spec, 0);
 * const batch = {
 *   observations: new Float32Array([1]), actions: new Float32Array([1]),
 *   weights: new Float32Array([1]), sampleCount: 1, trajectoryCount: 1, returnEstimate: 0,
 *   meanUndiscountedReturn: 0, scale: 1, rewards: new Float64Array([0]), meanAdvantage: 1,
 * };
 * const next = innerStep(gaussianMlp(spec), theta, batch, 0.1);
 * // ∂ log N(a; w·s + b, 1)/∂b = a − (w·s + b); the bias moves by 0.1 times that.
 * const expected = 0.1 * (1 - theta[0][0]);
 * assert.ok(Math.abs(next[1][0] - expected) <= 1e-6, "unexpected step");
 * ```
 */
export function innerStep(
  policy: DifferentiablePolicy,
  params: PolicyParams,
  batch: LearnerBatch,
  alpha: number,
): PolicyParams {
  return readSync(innerStepResult(policy, params, batch, alpha));
}

/**
 * {@linkcode innerStep} with the result read back asynchronously, which every backend supports
 * (WebGPU's has no synchronous read-back); the same bytes as `innerStep` on the same backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { innerStep, innerStepAsync } from "./meta_gradient.ts";
 * import { gaussianMlp, initPolicyParams } from "./policy.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const spec = { obsDim: 1, actDim: 1, hidden: [2], activation: "tanh", initStd: 1 } as const;
 * const theta = initPolicyParams(spec, 3);
 * const batch = {
 *   observations: new Float32Array([1]), actions: new Float32Array([1]),
 *   weights: new Float32Array([1]), sampleCount: 1, trajectoryCount: 1, returnEstimate: 0,
 *   meanUndiscountedReturn: 0, scale: 1, rewards: new Float64Array([0]), meanAdvantage: 1,
 * };
 * const a = innerStep(gaussianMlp(spec), theta, batch, 0.1);
 * const b = await innerStepAsync(gaussianMlp(spec), theta, batch, 0.1);
 * assert.equal(a.map((x) => x.join()).join(), b.map((x) => x.join()).join(), "bytes");
 * ```
 */
export function innerStepAsync(
  policy: DifferentiablePolicy,
  params: PolicyParams,
  batch: LearnerBatch,
  alpha: number,
): Promise<PolicyParams> {
  return readAsync(innerStepResult(policy, params, batch, alpha));
}

/** The inner step's parameters as tensors, for the caller to read back and dispose. */
function innerStepResult(
  policy: DifferentiablePolicy,
  params: PolicyParams,
  batch: LearnerBatch,
  alpha: number,
): tfType.Tensor[] {
  return tf.tidy(() =>
    innerStepTensors(policy, paramsToTensors(policy, params), batchTensors(policy, batch), alpha)
  );
}

/** Read parameter tensors back synchronously, then dispose them. */
function readSync(tensors: tfType.Tensor[]): PolicyParams {
  try {
    return tensorsToParams(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/** Read parameter tensors back asynchronously, then dispose them. */
async function readAsync(tensors: tfType.Tensor[]): Promise<PolicyParams> {
  try {
    return await tensorsToParamsAsync(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/**
 * The leave-one-out baselines bᵢ = mean_{j≠i} J̃ⱼ (0 for a meta-batch of one task).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { leaveOneOutBaselines } from "./meta_gradient.ts";
 * // Each task's baseline is the mean J̃ of the others: (2 + 3)/2, (1 + 3)/2, (1 + 2)/2.
 * assert.equal(leaveOneOutBaselines([1, 2, 3]).join(), "2.5,2,1.5", "baselines");
 * assert.equal(leaveOneOutBaselines([7]).join(), "0", "one task: no baseline");
 * ```
 */
export function leaveOneOutBaselines(returns: readonly number[]): number[] {
  const n = returns.length;
  if (n < 2) return returns.map(() => 0);
  const total = returns.reduce((a, b) => a + b, 0);
  return returns.map((r) => (total - r) / (n - 1));
}

/**
 * ∇O and O of one task, in {@linkcode PolicyParams} layout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { combineTaskGradients, type TaskGradient } from "./meta_gradient.ts";
 * const parts: TaskGradient[] = [
 *   { value: -1, grads: [new Float32Array([0.5])] },
 *   { value: -3, grads: [new Float32Array([1.5])] },
 * ];
 * assert.equal(combineTaskGradients(parts).gradient[0][0], 1, "the task mean");
 * ```
 */
export interface TaskGradient {
  readonly value: number;
  readonly grads: PolicyParams;
}

/**
 * Check `config` (see {@linkcode validateEstimatorConfig}) and that every task has one inner batch
 * and one realised parameter set per inner step; throws a `RangeError` naming what is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateTaskBatches } from "./meta_gradient.ts";
 * const batch = {
 *   observations: new Float32Array([0]), actions: new Float32Array([0]),
 *   weights: new Float32Array([1]), sampleCount: 1, trajectoryCount: 1, returnEstimate: 0,
 *   meanUndiscountedReturn: 0, scale: 1, rewards: new Float64Array([0]), meanAdvantage: 1,
 * };
 * const theta = [new Float32Array(1), new Float32Array(1), new Float32Array(1)];
 * const config = { algorithm: "maml", hessian: "autodiff", innerSteps: 2, innerLr: 0.1,
 *   sgmrlBaseline: "none" } as const;
 * // One inner batch for ζ = 2 is refused.
 * const task = { inner: [batch], adapted: [theta], outer: batch, explorationWeight: 0 };
 * assert.throws(() => validateTaskBatches([task], config), RangeError);
 * ```
 */
export function validateTaskBatches(tasks: readonly TaskBatches[], config: EstimatorConfig): void {
  validateEstimatorConfig(config);
  for (const t of tasks) {
    if (t.inner.length !== config.innerSteps || t.adapted.length !== config.innerSteps) {
      throw new RangeError(`each task needs innerSteps = ${config.innerSteps} inner batches`);
    }
  }
}

/**
 * Check `tasks` against `config` and return each task's SG-MRL baseline bᵢ (all 0 unless
 * `config.sgmrlBaseline` is "leave-one-out"): the part of the meta-gradient that needs the whole
 * meta-batch, so that the per-task parts ({@linkcode taskGradients}) can run anywhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metaGradientBaselines } from "./meta_gradient.ts";
 * const batch = (s: number, a: number, w: number, jTilde: number) => ({
 *   observations: new Float32Array([s]), actions: new Float32Array([a]),
 *   weights: new Float32Array([w]), sampleCount: 1, trajectoryCount: 1, returnEstimate: jTilde,
 *   meanUndiscountedReturn: jTilde, scale: 1, rewards: new Float64Array([jTilde]), meanAdvantage: w,
 * });
 * const theta = [new Float32Array(1), new Float32Array(1), new Float32Array(1)];
 * const task = (jTilde: number) => ({ inner: [batch(1, 0, 1, 0)], adapted: [theta],
 *   outer: batch(1, 0, 1, jTilde), explorationWeight: 0 });
 * const config = { algorithm: "sgmrl", hessian: "autodiff", innerSteps: 1, innerLr: 0.1,
 *   sgmrlBaseline: "leave-one-out" } as const;
 * assert.equal(metaGradientBaselines([task(1), task(3)], config).join(), "3,1", "b");
 * ```
 */
export function metaGradientBaselines(
  tasks: readonly TaskBatches[],
  config: EstimatorConfig,
): number[] {
  validateTaskBatches(tasks, config);
  return config.sgmrlBaseline === "leave-one-out"
    ? leaveOneOutBaselines(tasks.map((t) => t.outer.returnEstimate))
    : tasks.map(() => 0);
}

/**
 * ∇O and O of each task (`baselines[i]` from {@linkcode metaGradientBaselines} for the whole
 * meta-batch), each on a tape of its own that is freed before the next task's, so tensor memory is
 * that of one task. A task's result depends on nothing but its own inputs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianMlp } from "./policy.ts";
 * import {
 *   combineTaskGradients, metaGradient, metaGradientBaselines, taskGradients,
 * } from "./meta_gradient.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const batch = (s: number, a: number, w: number, jTilde: number) => ({
 *   observations: new Float32Array([s]), actions: new Float32Array([a]),
 *   weights: new Float32Array([w]), sampleCount: 1, trajectoryCount: 1, returnEstimate: jTilde,
 *   meanUndiscountedReturn: jTilde, scale: 1, rewards: new Float64Array([jTilde]), meanAdvantage: w,
 * });
 * const theta = [new Float32Array([0.3]), new Float32Array([-0.1]), new Float32Array([0])];
 * const tasks = [1, 2, 3].map((j) => ({ inner: [batch(1, 0.5 * j, 1, 0)], adapted: [theta],
 *   outer: batch(-1, j, 1, j), explorationWeight: 0 }));
 * const policy = gaussianMlp({ obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 });
 * const config = { algorithm: "sgmrl", hessian: "autodiff", innerSteps: 1, innerLr: 0.1,
 *   sgmrlBaseline: "leave-one-out" } as const;
 * // The baselines need the whole meta-batch; the per-task parts can then run anywhere, in pieces.
 * const b = metaGradientBaselines(tasks, config);
 * const parts = [
 *   ...taskGradients(policy, theta, tasks.slice(0, 1), b.slice(0, 1), config),
 *   ...taskGradients(policy, theta, tasks.slice(1), b.slice(1), config),
 * ];
 * const whole = metaGradient(policy, theta, tasks, config).gradient.map((g) => g.join());
 * assert.equal(
 *   combineTaskGradients(parts).gradient.map((g) => g.join()).join(),
 *   whole.join(),
 *   "the same bytes",
 * );
 * ```
 */
export function taskGradients(
  policy: DifferentiablePolicy,
  params: PolicyParams,
  tasks: readonly TaskBatches[],
  baselines: readonly number[],
  config: EstimatorConfig,
): TaskGradient[] {
  return tasks.map((task, i) => {
    const { value, grads } = taskGradientResult(policy, params, task, baselines[i], config);
    try {
      return { value: value.dataSync()[0], grads: tensorsToParams(grads) };
    } finally {
      tf.dispose([value, ...grads]);
    }
  });
}

/**
 * {@linkcode taskGradients} with each task's result read back asynchronously before the next task
 * starts (so tensor memory is still one task's), which every backend supports; the same bytes as
 * `taskGradients` on the same backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianMlp } from "./policy.ts";
 * import { taskGradients, taskGradientsAsync } from "./meta_gradient.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const batch = (s: number, a: number) => ({
 *   observations: new Float32Array([s]), actions: new Float32Array([a]),
 *   weights: new Float32Array([1]), sampleCount: 1, trajectoryCount: 1, returnEstimate: a,
 *   meanUndiscountedReturn: a, scale: 1, rewards: new Float64Array([a]), meanAdvantage: 1,
 * });
 * const theta = [new Float32Array([0.3]), new Float32Array([-0.1]), new Float32Array([0])];
 * const tasks = [{ inner: [batch(1, 0.5)], adapted: [theta], outer: batch(-1, 2),
 *   explorationWeight: 0 }];
 * const policy = gaussianMlp({ obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 });
 * const config = { algorithm: "sgmrl", hessian: "autodiff", innerSteps: 1, innerLr: 0.1,
 *   sgmrlBaseline: "none" } as const;
 * const [a] = taskGradients(policy, theta, tasks, [0], config);
 * const [b] = await taskGradientsAsync(policy, theta, tasks, [0], config);
 * assert.equal(a.value, b.value, "bytes");
 * assert.equal(a.grads.join(), b.grads.join(), "bytes");
 * ```
 */
export async function taskGradientsAsync(
  policy: DifferentiablePolicy,
  params: PolicyParams,
  tasks: readonly TaskBatches[],
  baselines: readonly number[],
  config: EstimatorConfig,
): Promise<TaskGradient[]> {
  const out: TaskGradient[] = [];
  for (const [i, task] of tasks.entries()) {
    const { value, grads } = taskGradientResult(policy, params, task, baselines[i], config);
    try {
      out.push({ value: (await value.data())[0], grads: await tensorsToParamsAsync(grads) });
    } finally {
      tf.dispose([value, ...grads]);
    }
  }
  return out;
}

/**
 * The meta-batch mean of per-task results, summed in float64 in task order (so the bytes do not
 * depend on where each task's part was computed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { combineTaskGradients } from "./meta_gradient.ts";
 * const m = combineTaskGradients([
 *   { value: 1, grads: [new Float32Array([1, 2])] },
 *   { value: 3, grads: [new Float32Array([3, 6])] },
 * ]);
 * assert.equal(m.objective, 2, "task means");
 * assert.equal(m.gradient[0].join(), "2,4", "task means");
 * ```
 */
export function combineTaskGradients(parts: readonly TaskGradient[]): MetaGradient {
  if (parts.length === 0) throw new RangeError("a meta-gradient needs at least one task");
  const sums = parts[0].grads.map((p) => new Float64Array(p.length));
  let objectiveSum = 0;
  for (const { value, grads } of parts) {
    objectiveSum += value;
    grads.forEach((g, k) => {
      const sum = sums[k];
      for (let j = 0; j < g.length; j++) sum[j] += g[j];
    });
  }
  return {
    gradient: sums.map((sum) => Float32Array.from(sum, (v) => v / parts.length)),
    objective: objectiveSum / parts.length,
  };
}

/**
 * The meta-gradient estimate for a meta-batch of tasks: the mean over tasks of ∇O (see the
 * module documentation), evaluated at `params`.
 *
 * Each task's ∇O is taken on its own tape and freed before the next task's, so tensor memory is
 * that of one task whatever the meta-batch size; the per-task gradients are summed in float64 in
 * task order. It is {@linkcode combineTaskGradients} of {@linkcode taskGradients}, which a
 * parallel learner runs on several threads with the same bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianMlp } from "./policy.ts";
 * import { metaGradient } from "./meta_gradient.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const batch = (s: number, a: number, w: number, jTilde: number) => ({
 *   observations: new Float32Array([s]), actions: new Float32Array([a]),
 *   weights: new Float32Array([w]), sampleCount: 1, trajectoryCount: 1, returnEstimate: jTilde,
 *   meanUndiscountedReturn: jTilde, scale: 1, rewards: new Float64Array([jTilde]), meanAdvantage: w,
 * });
 * // μ = w·s + b with σ = 1, at θ = θ¹ = 0 (first order, ζ = 1). D_1: s = 1, a = 0.5; D_o: s = 1,
 * // a = 2, weight 1, J̃ = 3.
 * const theta = [new Float32Array(1), new Float32Array(1), new Float32Array(1)];
 * const task = { inner: [batch(1, 0.5, 1, 0)], adapted: [theta], outer: batch(1, 2, 1, 3),
 *   explorationWeight: 0 };
 * const policy = gaussianMlp({ obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 });
 * const grad = (algorithm: "maml" | "sgmrl") =>
 *   metaGradient(policy, theta, [task], { algorithm, hessian: "none", innerSteps: 1, innerLr: 0.1,
 *     sgmrlBaseline: "none" }).gradient[1][0];
 * // MAML: ∂L(θ¹; D_o)/∂b = 1·(2 − 0). SG-MRL adds J̃ · ∂ log π(a₁|s₁; θ)/∂b = 3 · (0.5 − 0).
 * assert.equal(grad("maml"), 2, "the SG-MRL term");
 * assert.equal(grad("sgmrl"), 3.5, "the SG-MRL term");
 * ```
 */
export function metaGradient(
  policy: DifferentiablePolicy,
  params: PolicyParams,
  tasks: readonly TaskBatches[],
  config: EstimatorConfig,
): MetaGradient {
  const baselines = metaGradientBaselines(tasks, config);
  return combineTaskGradients(taskGradients(policy, params, tasks, baselines, config));
}

/**
 * {@linkcode metaGradient} with every result read back asynchronously, as every backend can
 * (WebGPU's has no synchronous read-back); the same bytes as `metaGradient` on the same backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianMlp } from "./policy.ts";
 * import { metaGradient, metaGradientAsync } from "./meta_gradient.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const batch = (s: number, a: number) => ({
 *   observations: new Float32Array([s]), actions: new Float32Array([a]),
 *   weights: new Float32Array([1]), sampleCount: 1, trajectoryCount: 1, returnEstimate: a,
 *   meanUndiscountedReturn: a, scale: 1, rewards: new Float64Array([a]), meanAdvantage: 1,
 * });
 * const theta = [new Float32Array([0.3]), new Float32Array([-0.1]), new Float32Array([0])];
 * const tasks = [1, 2].map((j) => ({ inner: [batch(1, 0.5 * j)], adapted: [theta],
 *   outer: batch(-1, j), explorationWeight: 0 }));
 * const policy = gaussianMlp({ obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 });
 * const config = { algorithm: "sgmrl", hessian: "autodiff", innerSteps: 1, innerLr: 0.1,
 *   sgmrlBaseline: "leave-one-out" } as const;
 * const a = metaGradient(policy, theta, tasks, config);
 * const b = await metaGradientAsync(policy, theta, tasks, config);
 * assert.equal(a.gradient.join(), b.gradient.join(), "");
 * assert.equal(a.objective, b.objective, "");
 * ```
 */
export async function metaGradientAsync(
  policy: DifferentiablePolicy,
  params: PolicyParams,
  tasks: readonly TaskBatches[],
  config: EstimatorConfig,
): Promise<MetaGradient> {
  const baselines = metaGradientBaselines(tasks, config);
  return combineTaskGradients(await taskGradientsAsync(policy, params, tasks, baselines, config));
}

/**
 * ∇O and O of one task (see the module documentation), on a tape of its own, as tensors for the
 * caller to read back and dispose.
 */
function taskGradientResult(
  policy: DifferentiablePolicy,
  params: PolicyParams,
  task: TaskBatches,
  baseline: number,
  config: EstimatorConfig,
): { value: tfType.Scalar; grads: tfType.Tensor[] } {
  return tf.tidy(() => {
    const theta = paramsToTensors(policy, params);
    const d = {
      inner: task.inner.map((b) => batchTensors(policy, b)),
      outer: batchTensors(policy, task.outer),
      // First order: θᵗ = θ + (θᵗ_realised − θ) with the difference a constant.
      offsets: config.hessian === "none"
        ? task.adapted.map((a) => a.map((v, i) => tf.tensor(sub(v, params[i]), theta[i].shape)))
        : [],
      scoreTerms: config.hessian === "paper-eq13"
        ? task.inner.map((b, k) => eq13Constants(policy, k === 0 ? params : task.adapted[k - 1], b))
        : [],
    };
    // The SG-MRL sums kept past their gradient scopes (see innerStepAndScore).
    const kept: tfType.Tensor[] = [];
    const objective = (...th: tfType.Tensor[]): tfType.Scalar => {
      const terms = algorithmTerms(policy, task, baseline, config.algorithm);
      let total: tfType.Tensor = tf.scalar(0);
      let current: tfType.Tensor[] = th;
      for (let t = 0; t < config.innerSteps; t++) {
        const b = d.inner[t];
        // With the inner step differentiated, its forward pass also gives the SG-MRL term.
        const step = config.hessian === "none"
          ? undefined
          : innerStepAndScore(policy, current, b, config.innerLr, terms.keepsScore ? kept : null);
        const added = terms.atInnerStep(t, th, current, b, step?.score);
        if (added !== null) total = tf.add(total, added);
        // θᵗ: realised (first order), differentiated (autodiff), or with eq. 13's extra term.
        if (step === undefined) {
          current = th.map((p, k) => tf.add(p, d.offsets[t][k]));
        } else {
          current = config.hessian === "autodiff"
            ? step.next
            : addEq13Term(policy, current, step.next, b, d.scoreTerms[t], config.innerLr);
        }
      }
      // MAML's term, the outer surrogate at θ^ζ, and what the algorithm adds at the end.
      total = tf.add(total, surrogate(policy, current, d.outer));
      const last = terms.atEnd();
      if (last !== null) total = tf.add(total, last);
      return total as tfType.Scalar;
    };
    try {
      const { value, grads } = tf.valueAndGrads((...th: tfType.Tensor[]) => objective(...th))(
        theta,
      );
      return { value, grads };
    } finally {
      for (const t of kept) t.dispose();
    }
  });
}

/**
 * What an algorithm adds to the meta-objective O beyond MAML's surrogate L(θ^ζ; D_o), read per
 * inner step t = 0 … ζ − 1 (with that step's batch D_{t+1}, drawn at θᵗ) and at the end:
 *
 * - `maml`: nothing;
 * - `sgmrl`: at every step the score Σ_{τ∈D_{t+1}} log q(τ; θᵗ), and at the end their sum times
 *   c_o·(J̃(θ^ζ, D_o) − b) (its gradient is J̃ · Σ_t M_tᵀ Σ_τ s(τ; θᵗ));
 * - `emaml`: at step 0, e · mean_{(s,a)∈D_1} log π(a|s; θ) (the reference's exploration term);
 * - `sgmrl-published`: at step 0, Ā_o · Σ_{(s,a)∈D_1} log π(a|s; θ) (what the published code adds).
 */
interface AlgorithmTerms {
  /** Whether the differentiated inner step must keep its score (for `atInnerStep`). */
  readonly keepsScore: boolean;
  /** The term added at inner step t (θ, θᵗ, D_{t+1}, the step's score when computed), or null. */
  atInnerStep(
    t: number,
    theta: readonly tfType.Tensor[],
    current: readonly tfType.Tensor[],
    batch: BatchTensors,
    score: tfType.Tensor | undefined,
  ): tfType.Tensor | null;
  /** The term added after the inner steps, or null. */
  atEnd(): tfType.Tensor | null;
}

/** {@linkcode AlgorithmTerms} of `algorithm` for one task (fresh state per objective evaluation). */
function algorithmTerms(
  policy: DifferentiablePolicy,
  task: TaskBatches,
  baseline: number,
  algorithm: Algorithm,
): AlgorithmTerms {
  const firstStepOnly = (
    term: (theta: readonly tfType.Tensor[], b: BatchTensors) => tfType.Tensor,
  ): AlgorithmTerms => ({
    keepsScore: false,
    atInnerStep: (t, theta, _current, b) => (t === 0 ? term(theta, b) : null),
    atEnd: () => null,
  });
  switch (algorithm) {
    case "maml":
      return { keepsScore: false, atInnerStep: () => null, atEnd: () => null };
    case "sgmrl": {
      let scores: tfType.Tensor = tf.scalar(0);
      return {
        keepsScore: true,
        atInnerStep: (_t, _theta, current, b, score) => {
          scores = tf.add(scores, score ?? tf.sum(policy.logProb(current, b.obs, b.act)));
          return null;
        },
        atEnd: () => tf.mul(scores, task.outer.scale * (task.outer.returnEstimate - baseline)),
      };
    }
    case "emaml":
      return firstStepOnly((theta, b) =>
        tf.mul(tf.mean(policy.logProb(theta, b.obs, b.act)), task.explorationWeight)
      );
    case "sgmrl-published":
      return firstStepOnly((theta, b) =>
        tf.mul(tf.sum(policy.logProb(theta, b.obs, b.act)), task.outer.meanAdvantage)
      );
  }
}

/** What the eq. 13 Jacobian needs of one inner batch, evaluated at the realised θᵗ⁻¹. */
export interface Eq13Constants {
  /** [|D|, N] indicator of which samples belong to which trajectory. */
  readonly segments: tfType.Tensor2D;
  /** log q(τ; θᵗ⁻¹) = Σ_{n∈τ} log π(aₙ|sₙ), shape [|D|, 1]. */
  readonly logq: tfType.Tensor2D;
  /** ∇ν(τ; θᵗ⁻¹) per parameter array, each of shape [|D|, size]. */
  readonly gradNu: tfType.Tensor2D[];
}

/**
 * The constants of eq. 13's Jacobian for `batch` at `at` (which needs the batch's `pathLengths`),
 * as tensors inside the caller's scope; used by the per-task and the batched estimators.
 */
export function eq13Constants(
  policy: DifferentiablePolicy,
  at: PolicyParams,
  batch: LearnerBatch,
): Eq13Constants {
  const lengths = batch.pathLengths;
  if (lengths === undefined) {
    throw new RangeError(`hessian "paper-eq13" needs the batches' pathLengths`);
  }
  const d = lengths.length, n = batch.sampleCount;
  const indicator = new Float32Array(d * n);
  let offset = 0;
  lengths.forEach((len, k) => {
    for (let j = 0; j < len; j++) indicator[k * n + offset + j] = 1;
    offset += len;
  });
  const theta = paramsToTensors(policy, at);
  const b = batchTensors(policy, batch);
  const segments = tf.tensor2d(indicator, [d, n]);
  const lp = policy.logProb(theta, b.obs, b.act);
  const logq = tf.matMul(segments, tf.reshape(lp, [n, 1])) as tfType.Tensor2D;
  // ∇ν(τ) = |D|·∇Σ_{n∈τ} wₙ log π: the trajectory's share of the batch gradient, times |D|.
  const perTrajectory = Array.from(lengths, (_, k) => {
    const w = tf.mul(tf.mul(b.w, segments.slice([k, 0], [1, n]).reshape([n])), d);
    return tf.grads((...p: tfType.Tensor[]) => tf.sum(tf.mul(policy.logProb(p, b.obs, b.act), w)))(
      theta,
    );
  });
  const gradNu = theta.map((_, i) =>
    tf.stack(perTrajectory.map((g) => tf.reshape(g[i], [-1]))) as tfType.Tensor2D
  );
  return {
    segments,
    logq: tf.tensor2d(logq.dataSync() as Float32Array, [d, 1]),
    gradNu: gradNu.map((g) => tf.tensor2d(g.dataSync() as Float32Array, g.shape)),
  };
}

/**
 * θᵗ plus α·mean_τ ∇ν(τ)·(log q(τ; θᵗ⁻¹) − its realised value): zero in value, and its Jacobian
 * adds α·mean_τ ∇ν(τ) s(τ)ᵀ, the part of the paper's u that the true Jacobian lacks.
 */
function addEq13Term(
  policy: DifferentiablePolicy,
  previous: readonly tfType.Tensor[],
  next: tfType.Tensor[],
  b: BatchTensors,
  c: Eq13Constants,
  alpha: number,
): tfType.Tensor[] {
  const n = b.obs.shape[0];
  const lp = tf.reshape(policy.logProb(previous, b.obs, b.act), [n, 1]);
  const delta = tf.sub(tf.matMul(c.segments, lp), c.logq); // [|D|, 1], zero in value
  const d = c.segments.shape[0];
  return next.map((p, i) =>
    tf.add(
      p,
      tf.reshape(tf.mul(tf.matMul(delta, c.gradNu[i], true, false), alpha / d), p.shape),
    )
  );
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
  if (!JACOBIANS.includes(config.hessian)) {
    throw new RangeError(`hessian must be one of ${JACOBIANS.join(", ")}, got "${config.hessian}"`);
  }
  if (!Number.isInteger(config.innerSteps) || config.innerSteps < 1) {
    throw new RangeError(`innerSteps must be an integer ≥ 1, got ${config.innerSteps}`);
  }
  if (!(Number.isFinite(config.innerLr) && config.innerLr >= 0)) {
    throw new RangeError(`innerLr must be a finite number ≥ 0, got ${config.innerLr}`);
  }
}
