/**
 * The Gaussian MLP policy: π(a | s; θ) = N(a; μ_θ(s), diag(exp(2·logStd))), with a
 * state-independent learned log standard deviation.
 *
 * Parameters live in plain `Float32Array`s between iterations (see {@linkcode PolicyParams}). Two
 * evaluations of the same parameters exist:
 *
 * - {@linkcode meanActions}, float64 (or float32 where the spec's `samplingPrecision` says so; on
 *   WebAssembly SIMD), used by the sampler. Every row is computed on its own with a fixed
 *   summation order, so a trajectory's actions do not depend on which other trajectories share its
 *   batch: any split of the sampling work gives the same bytes.
 * - {@linkcode logProbTensor}, TensorFlow.js, used by the learner: differentiable (to any order)
 *   in the parameter tensors.
 *
 * On the `native` backend the learner takes the same mean and log-density with derivatives written
 * out instead of the tape (src/estimators/explicit_meta_gradient.ts).
 *
 * @module
 */
import type * as tfType from "@tensorflow/tfjs";
import { tf } from "../kernels/backend.ts";
import { stream } from "../core/rng.ts";
import { exp, matMul, tanh } from "../kernels/tensor_ops.ts";
import { DENSE_PRECISIONS, type DensePrecision, DenseStack } from "../kernels/dense_simd.ts";

/**
 * Architecture of a Gaussian MLP policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramCount, type PolicySpec } from "./policy.ts";
 * const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [16], activation: "relu", initStd: 1 };
 * assert.equal(paramCount(spec), 2 * 16 + 16 + 16 * 2 + 2 + 2, "count");
 * ```
 */
export interface PolicySpec {
  /** Observation dimension. */
  readonly obsDim: number;
  /** Action dimension. */
  readonly actDim: number;
  /** Hidden layer sizes (paper: [100, 100]). */
  readonly hidden: readonly number[];
  /** Hidden activation (paper: "relu"; the reference code's default: "tanh"). */
  readonly activation: "relu" | "tanh";
  /** Initial standard deviation of every action dimension (paper: 1.0). */
  readonly initStd: number;
  /**
   * The arithmetic of the mean action μ_θ(s) while sampling: "float64" (when absent; the same
   * trajectories on every learner backend) or "float32" (as PyTorch samples; the policy about 1.5×
   * as fast, other trajectories). The learner's log-density is float32 tensors either way.
   */
  readonly samplingPrecision?: DensePrecision;
}

/**
 * Policy parameters, in this order: W₀, b₀, W₁, b₁, …, W_out, b_out, logStd. Each Wₖ is row-major
 * with shape [fan_in, fan_out] (inputs times weights: y = x·W + b).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initPolicyParams, type PolicyParams } from "./policy.ts";
 * const params: PolicyParams = initPolicyParams(
 *   { obsDim: 2, actDim: 1, hidden: [3], activation: "tanh", initStd: 0.5 }, 0);
 * // W₀ is [2, 3] row-major; the last array is logStd = log 0.5.
 * assert.equal(params[0].length, 6, "layout");
 * assert.equal(params[4][0], Math.fround(Math.log(0.5)), "layout");
 * ```
 */
export type PolicyParams = Float32Array[];

/**
 * Shapes of the parameter arrays of `spec`, in {@linkcode PolicyParams} order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramShapes } from "./policy.ts";
 * const shapes = paramShapes({ obsDim: 3, actDim: 2, hidden: [4], activation: "relu", initStd: 1 });
 * assert.equal(JSON.stringify(shapes), "[[3,4],[4],[4,2],[2],[2]]", "W0 b0 W1 b1 logStd");
 * ```
 */
export function paramShapes(spec: PolicySpec): number[][] {
  const sizes = [spec.obsDim, ...spec.hidden, spec.actDim];
  const shapes: number[][] = [];
  for (let k = 0; k + 1 < sizes.length; k++) {
    shapes.push([sizes[k], sizes[k + 1]], [sizes[k + 1]]);
  }
  shapes.push([spec.actDim]);
  return shapes;
}

/**
 * Total number of scalar parameters of `spec`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramCount } from "./policy.ts";
 * // 2·100 + 100, 100·100 + 100, 100·2 + 2, and 2 log standard deviations
 * const n = paramCount({ obsDim: 2, actDim: 2, hidden: [100, 100], activation: "relu", initStd: 1 });
 * assert.equal(n, 300 + 10100 + 202 + 2, `${n}`);
 * ```
 */
export function paramCount(spec: PolicySpec): number {
  return paramShapes(spec).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
}

/**
 * Fresh parameters: weights Glorot-uniform (limit √(6/(fan_in+fan_out))), biases 0,
 * logStd = log(initStd). Layer k's weights come from the stream {seed, "init", task: k}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initPolicyParams } from "./policy.ts";
 * const p = initPolicyParams({ obsDim: 2, actDim: 2, hidden: [4], activation: "tanh", initStd: 1 }, 7);
 * assert.equal(p.length, 5, "unexpected layout");
 * assert.equal(p[4][0], 0, "unexpected layout");
 * ```
 */
export function initPolicyParams(spec: PolicySpec, seed: number): PolicyParams {
  validateSpec(spec);
  const shapes = paramShapes(spec);
  const params: PolicyParams = [];
  for (let i = 0; i < shapes.length - 1; i++) {
    const shape = shapes[i];
    if (shape.length === 2) {
      const limit = Math.sqrt(6 / (shape[0] + shape[1]));
      const w = new Float32Array(shape[0] * shape[1]);
      stream({ seed, purpose: "init", task: i / 2 }).fillUniform(w, -limit, limit);
      params.push(w);
    } else {
      params.push(new Float32Array(shape[0]));
    }
  }
  params.push(new Float32Array(spec.actDim).fill(Math.log(spec.initStd)));
  return params;
}

/** Throw a one-line error naming the field when `spec` is not a valid architecture. */
export function validateSpec(spec: PolicySpec): void {
  const posInt = (v: number) => Number.isInteger(v) && v > 0;
  if (!posInt(spec.obsDim)) throw new RangeError(`policy.obsDim must be a positive integer`);
  if (!posInt(spec.actDim)) throw new RangeError(`policy.actDim must be a positive integer`);
  if (!spec.hidden.every(posInt)) {
    throw new RangeError(`policy.hidden must be a list of positive integers`);
  }
  if (spec.activation !== "relu" && spec.activation !== "tanh") {
    throw new RangeError(`policy.activation must be "relu" or "tanh", got "${spec.activation}"`);
  }
  if (!(spec.initStd > 0 && Number.isFinite(spec.initStd))) {
    throw new RangeError(`policy.initStd must be a positive finite number`);
  }
  if (spec.samplingPrecision !== undefined && !DENSE_PRECISIONS.includes(spec.samplingPrecision)) {
    throw new RangeError(
      `policy.samplingPrecision must be one of ${
        DENSE_PRECISIONS.join(", ")
      }, got "${spec.samplingPrecision}"`,
    );
  }
}

/** Deep copy of parameters. */
export function cloneParams(params: PolicyParams): PolicyParams {
  return params.map((p) => p.slice());
}

/**
 * Mean actions μ_θ(s) for `rows` observations (row-major `obs`, rows × obsDim), computed in the
 * spec's sampling precision (float64 unless it says "float32") and returned as float64.
 *
 * Each output row depends only on its own input row, and each output is summed in a fixed order:
 * the bias, then xᵢ·wᵢⱼ for the inputs xᵢ ≠ 0 in increasing i (so a ReLU's zeros cost nothing), on
 * WebAssembly SIMD with the bits of the plain loop in that precision ({@linkcode DenseStack}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { meanActions } from "./policy.ts";
 * const spec = { obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 } as const;
 * const params = [new Float32Array([2]), new Float32Array([0.5]), new Float32Array([0])];
 * const mu = meanActions(spec, params, new Float64Array([3]), 1);
 * assert.equal(mu[0], 6.5, "expected 2·3 + 0.5");
 * ```
 */
export function meanActions(
  spec: PolicySpec,
  params: PolicyParams,
  obs: Float64Array,
  rows: number,
): Float64Array {
  return policyForward(spec, params)(obs, rows);
}

/**
 * {@linkcode meanActions} for fixed parameters: the weights are converted to the sampling precision
 * once, here, so the returned function costs only the products (what the sampler uses for the many
 * steps of one task). Later changes to `params` do not reach it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initPolicyParams, meanActions, policyForward } from "./policy.ts";
 * const spec = { obsDim: 2, actDim: 2, hidden: [16], activation: "relu", initStd: 1 } as const;
 * const params = initPolicyParams(spec, 0);
 * const mu = policyForward(spec, params);
 * const obs = new Float64Array([0.1, -0.2, 0.3, 0.4]);
 * assert.equal(mu(obs, 2).join(), meanActions(spec, params, obs, 2).join(), "same");
 * ```
 */
export function policyForward(
  spec: PolicySpec,
  params: PolicyParams,
): (obs: Float64Array, rows: number) => Float64Array {
  const sizes = [spec.obsDim, ...spec.hidden, spec.actDim];
  const stack = new DenseStack(sizes, params, spec.samplingPrecision ?? "float64");
  const activation = spec.activation === "relu" ? "relu" : tanhInPlace;
  return (obs, rows) => stack.forward(obs, rows, activation);
}

function tanhInPlace(values: Float64Array | Float32Array): void {
  for (let q = 0; q < values.length; q++) values[q] = Math.tanh(values[q]);
}

/**
 * log N(a; μ, diag σ²) for one action, with σ = exp(logStd), in float64 (the Gaussian formula that
 * {@linkcode logProbTensor} must agree with).
 */
export function gaussianLogDensity(
  action: ArrayLike<number>,
  mean: ArrayLike<number>,
  logStd: ArrayLike<number>,
): number {
  let s = 0;
  for (let j = 0; j < action.length; j++) {
    const z = (action[j] - mean[j]) / Math.exp(logStd[j]);
    s += -0.5 * z * z - logStd[j] - 0.5 * Math.log(2 * Math.PI);
  }
  return s;
}

/**
 * What the learner needs of a policy: the shapes of its parameter arrays and a log-density that
 * is differentiable to every order in them. The estimators in meta_gradient.ts see nothing else,
 * so any policy that implements this (a Gaussian MLP, a tabular softmax) trains and is checked by
 * the same code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DifferentiablePolicy } from "./policy.ts";
 * import { innerStep } from "./meta_gradient.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * const tf = await useBackend("wasm");
 * // An own policy: a ~ N(θ, 1) whatever the observation, one parameter array of one entry.
 * const constantMean: DifferentiablePolicy = {
 *   obsDim: 1, actDim: 1, shapes: [[1]],
 *   logProb: ([theta], _obs, actions) =>
 *     tf.sub(tf.mul(tf.square(tf.sub(actions, theta)), -0.5), 0.5 * Math.log(2 * Math.PI))
 *       .reshape([-1]) as ReturnType<DifferentiablePolicy["logProb"]>,
 * };
 * const batch = {
 *   observations: new Float32Array([0]), actions: new Float32Array([1]),
 *   weights: new Float32Array([1]), sampleCount: 1, trajectoryCount: 1, returnEstimate: 0,
 *   meanUndiscountedReturn: 0, scale: 1, rewards: new Float64Array([0]), meanAdvantage: 1,
 * };
 * // θ' = θ + α·w·(a − θ) = 0 + 0.5·1·(1 − 0)
 * const [next] = innerStep(constantMean, [new Float32Array([0])], batch, 0.5);
 * assert.equal(next[0], 0.5, "the same estimators train any DifferentiablePolicy");
 * ```
 */
export interface DifferentiablePolicy {
  /** Width of one observation row of a batch. */
  readonly obsDim: number;
  /** Width of one action row of a batch. */
  readonly actDim: number;
  /** Shapes of the parameter arrays, in {@linkcode PolicyParams} order. */
  readonly shapes: readonly (readonly number[])[];
  /** log π(a | s; θ) for every row, shape [rows]. */
  logProb(
    params: readonly tfType.Tensor[],
    obs: tfType.Tensor2D,
    actions: tfType.Tensor2D,
  ): tfType.Tensor1D;
}

/**
 * The Gaussian MLP of `spec` as a {@linkcode DifferentiablePolicy}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianMlp } from "./policy.ts";
 * const policy = gaussianMlp({ obsDim: 2, actDim: 2, hidden: [4], activation: "relu", initStd: 1 });
 * assert.equal(policy.shapes.length, 5, "W0, b0, W1, b1, logStd");
 * ```
 */
export function gaussianMlp(spec: PolicySpec): DifferentiablePolicy {
  validateSpec(spec);
  return {
    obsDim: spec.obsDim,
    actDim: spec.actDim,
    shapes: paramShapes(spec),
    logProb: (params, obs, actions) => logProbTensor(spec, params, obs, actions),
  };
}

/** Upload parameters as tensors shaped for `policy` (the caller disposes them). */
export function paramsToTensors(
  policy: Pick<DifferentiablePolicy, "shapes">,
  params: PolicyParams,
): tfType.Tensor[] {
  if (params.length !== policy.shapes.length) {
    throw new RangeError(
      `params must hold ${policy.shapes.length} arrays for this policy, got ${params.length}`,
    );
  }
  return policy.shapes.map((shape, i) => tf.tensor(params[i], [...shape], "float32"));
}

/** Download parameter tensors into fresh `Float32Array`s. */
export function tensorsToParams(tensors: readonly tfType.Tensor[]): PolicyParams {
  return tensors.map((t) => Float32Array.from(t.dataSync() as Float32Array));
}

/** Download parameter tensors into fresh `Float32Array`s, asynchronously (every backend can). */
export async function tensorsToParamsAsync(
  tensors: readonly tfType.Tensor[],
): Promise<PolicyParams> {
  const data = await Promise.all(tensors.map((t) => t.data()));
  return data.map((d) => Float32Array.from(d as Float32Array));
}

/** μ_θ(s) as a tensor, differentiable in `params`. */
export function meanActionsTensor(
  spec: PolicySpec,
  params: readonly tfType.Tensor[],
  obs: tfType.Tensor2D,
): tfType.Tensor2D {
  const layers = spec.hidden.length + 1;
  let h: tfType.Tensor2D = obs;
  for (let k = 0; k < layers; k++) {
    h = tf.add(matMul(h, params[2 * k] as tfType.Tensor2D), params[2 * k + 1]);
    if (k < layers - 1) h = spec.activation === "relu" ? tf.relu(h) : tanh(h);
  }
  return h;
}

/**
 * log π(a | s; θ) for every row, as a tensor of shape [rows], differentiable (to any order) in
 * `params`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logProbTensor } from "./policy.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * const tf = await useBackend("wasm");
 * const spec = { obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 } as const;
 * // μ = 2·s + 0.5, σ = 1: log N(1; 0.5, 1) at s = 0.
 * const params = [tf.tensor2d([[2]]), tf.tensor1d([0.5]), tf.tensor1d([0])];
 * const lp = logProbTensor(spec, params, tf.tensor2d([[0]]), tf.tensor2d([[1]]));
 * const expected = -0.125 - 0.5 * Math.log(2 * Math.PI);
 * assert.ok(Math.abs(lp.dataSync()[0] - expected) <= 1e-6, "log-density");
 * ```
 */
export function logProbTensor(
  spec: PolicySpec,
  params: readonly tfType.Tensor[],
  obs: tfType.Tensor2D,
  actions: tfType.Tensor2D,
): tfType.Tensor1D {
  const logStd = params[params.length - 1];
  const mean = meanActionsTensor(spec, params, obs);
  return gaussianLogDensityTensor(actions, mean, logStd) as tfType.Tensor1D;
}

/**
 * log N(a; μ, diag σ²) summed over the last axis, σ = exp(logStd) broadcast against `actions`,
 * differentiable to every order (the tensor form of {@linkcode gaussianLogDensity}).
 */
export function gaussianLogDensityTensor(
  actions: tfType.Tensor,
  mean: tfType.Tensor,
  logStd: tfType.Tensor,
): tfType.Tensor {
  const z = tf.mul(tf.sub(actions, mean), exp(tf.neg(logStd)));
  const perDim = tf.sub(tf.mul(tf.square(z), -0.5), logStd);
  const actDim = actions.shape[actions.shape.length - 1];
  return tf.sub(tf.sum(perDim, -1), 0.5 * actDim * Math.log(2 * Math.PI));
}
