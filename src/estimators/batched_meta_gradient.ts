/**
 * The meta-gradient of a whole meta-batch as one graph, for a GPU backend and for the exact
 * analysis.
 *
 * {@linkcode metaGradient} takes each task's ∇O on a tape of its own: about 500 small kernels per
 * task, tens of thousands of GPU dispatches per iteration. Here the tasks are a leading axis of
 * every tensor: batches are [tasks, samples, width], padded to the longest with zero weights and a
 * mask, and θ is copied once per task, each task's objective differentiating its own copy, so that
 * the gradient with respect to copy i is task i's ∇O ({@linkcode taskGradientTensors}) and the
 * meta-gradient their mean. The objective is that of meta_gradient.ts term by term (every
 * algorithm and Jacobian mode, ζ ≥ 1); its results agree with the per-task estimator's to float32
 * rounding (tested), and its bytes are its own. It is what the learner runs on the `webgpu`
 * backend, where it cuts the kernels of a paper meta-gradient from 11,140 to 952
 * ({@linkcode innerStepsBatched} does the same for the inner steps), and what the exact analysis
 * runs on thousands of batch combinations at once. On CPU backends training keeps the per-task
 * path: there the time is the element-wise work, which batching does not reduce, and on wasm
 * batched products miss XNNPACK's fast kernel.
 *
 * @module
 */
import type * as tfType from "@tensorflow/tfjs";
import { tf } from "../kernels/backend.ts";
import { tanh } from "../kernels/tensor_ops.ts";
import type { LearnerBatch } from "./batch.ts";
import {
  combineTaskGradients,
  type Eq13Constants,
  eq13Constants,
  type EstimatorConfig,
  type MetaGradient,
  metaGradientBaselines,
  type TaskBatches,
  type TaskGradient,
} from "./meta_gradient.ts";
import {
  type DifferentiablePolicy,
  gaussianLogDensityTensor,
  gaussianMlp,
  type PolicyParams,
  type PolicySpec,
} from "./policy.ts";

/**
 * log π(a | s; θᵢ) of a Gaussian MLP for every task i and sample: parameters with a leading task
 * axis ([tasks, …shape]), observations [tasks, samples, obsDim] and actions [tasks, samples,
 * actDim]; returns [tasks, samples], differentiable to every order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logProbBatched } from "./batched_meta_gradient.ts";
 * import { logProbTensor } from "./policy.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * const tf = await useBackend("cpu");
 * const spec = { obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 } as const;
 * const params = [tf.tensor2d([[2]]), tf.tensor1d([0.5]), tf.tensor1d([0])];
 * const one = logProbTensor(spec, params, tf.tensor2d([[0], [1]]), tf.tensor2d([[1], [1]]));
 * const tiled = params.map((p) => tf.stack([p, p]));
 * const both = logProbBatched(spec, tiled, tf.tensor3d([[[0], [1]], [[0], [1]]]),
 *   tf.tensor3d([[[1], [1]], [[1], [1]]]));
 * const a = one.dataSync(), b = both.dataSync();
 * assert.ok(Math.abs(a[1] - b[3]) <= 1e-6, "each task its own copy of the parameters");
 * ```
 */
export function logProbBatched(
  spec: PolicySpec,
  params: readonly tfType.Tensor[],
  obs: tfType.Tensor3D,
  actions: tfType.Tensor3D,
): tfType.Tensor2D {
  const layers = spec.hidden.length + 1;
  let h: tfType.Tensor3D = obs;
  for (let k = 0; k < layers; k++) {
    h = tf.add(
      tf.matMul(h, params[2 * k] as tfType.Tensor3D),
      tf.expandDims(params[2 * k + 1], 1),
    );
    if (k < layers - 1) h = spec.activation === "relu" ? tf.relu(h) : tanh(h);
  }
  const logStd = tf.expandDims(params[params.length - 1], 1);
  return gaussianLogDensityTensor(actions, h, logStd) as tfType.Tensor2D;
}

/**
 * A {@linkcode DifferentiablePolicy} whose log-likelihood also takes a leading task axis: one
 * parameter copy per task ([tasks, …shape]), observations [tasks, samples, obsDim] and actions
 * [tasks, samples, actDim], giving [tasks, samples], differentiable to every order. What the
 * batched estimators ({@linkcode taskGradientTensors}) need of a policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BatchedPolicy } from "./batched_meta_gradient.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * const tf = await useBackend("cpu");
 * // A one-action-dimension policy with a fixed unit Gaussian around 0: log N(a; 0, 1).
 * const logDensity = (a: ReturnType<typeof tf.tensor>) =>
 *   tf.sub(tf.mul(tf.square(a), -0.5), 0.5 * Math.log(2 * Math.PI));
 * const fixed: BatchedPolicy = {
 *   obsDim: 1, actDim: 1, shapes: [[1]],
 *   logProb: (_p, _obs, act) =>
 *     tf.reshape(logDensity(act), [-1]) as ReturnType<typeof tf.tensor1d>,
 *   logProbBatched: (_p, _obs, act) =>
 *     tf.squeeze(logDensity(act), [2]) as ReturnType<typeof tf.tensor2d>,
 * };
 * const lp = fixed.logProbBatched([tf.zeros([2, 1])], tf.zeros([2, 1, 1]), tf.zeros([2, 1, 1]));
 * assert.equal(lp.shape.join(), "2,1", "[tasks, samples]");
 * ```
 */
export interface BatchedPolicy extends DifferentiablePolicy {
  logProbBatched(
    params: readonly tfType.Tensor[],
    obs: tfType.Tensor3D,
    actions: tfType.Tensor3D,
  ): tfType.Tensor2D;
}

/**
 * The Gaussian MLP of `spec` as a {@linkcode BatchedPolicy} ({@linkcode gaussianMlp} and
 * {@linkcode logProbBatched}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianMlpBatched } from "./batched_meta_gradient.ts";
 * const policy = gaussianMlpBatched({
 *   obsDim: 2, actDim: 1, hidden: [3], activation: "tanh", initStd: 1,
 * });
 * assert.equal(policy.shapes.length, 5);
 * assert.equal(typeof policy.logProbBatched, "function");
 * ```
 */
export function gaussianMlpBatched(spec: PolicySpec): BatchedPolicy {
  return {
    ...gaussianMlp(spec),
    logProbBatched: (params, obs, actions) => logProbBatched(spec, params, obs, actions),
  };
}

/** One batch per task, padded to the longest: [tasks, samples, ·] tensors and a sample mask. */
interface PaddedBatch {
  readonly obs: tfType.Tensor3D;
  readonly act: tfType.Tensor3D;
  /** Surrogate weights, 0 on padding. */
  readonly w: tfType.Tensor2D;
  /** 1 on real samples, 0 on padding. */
  readonly mask: tfType.Tensor2D;
  /** Real samples per task. */
  readonly counts: tfType.Tensor1D;
}

function padded(
  spec: { readonly obsDim: number; readonly actDim: number },
  batches: readonly LearnerBatch[],
): PaddedBatch {
  const tasks = batches.length;
  const n = Math.max(1, ...batches.map((b) => b.sampleCount));
  const obs = new Float32Array(tasks * n * spec.obsDim);
  const act = new Float32Array(tasks * n * spec.actDim);
  const w = new Float32Array(tasks * n);
  const mask = new Float32Array(tasks * n);
  batches.forEach((b, i) => {
    obs.set(b.observations.subarray(0, b.sampleCount * spec.obsDim), i * n * spec.obsDim);
    act.set(b.actions.subarray(0, b.sampleCount * spec.actDim), i * n * spec.actDim);
    w.set(b.weights.subarray(0, b.sampleCount), i * n);
    mask.fill(1, i * n, i * n + b.sampleCount);
  });
  return {
    obs: tf.tensor3d(obs, [tasks, n, spec.obsDim]),
    act: tf.tensor3d(act, [tasks, n, spec.actDim]),
    w: tf.tensor2d(w, [tasks, n]),
    mask: tf.tensor2d(mask, [tasks, n]),
    counts: tf.tensor1d(batches.map((b) => b.sampleCount)),
  };
}

/** Σ over samples of mask · log π, per task: [tasks]. */
function maskedSum(lp: tfType.Tensor2D, mask: tfType.Tensor2D): tfType.Tensor1D {
  return tf.sum(tf.mul(lp, mask), 1) as tfType.Tensor1D;
}

/**
 * θᵢ + α∇L(θᵢ; Dᵢ) for every task i at once: parameters stacked on a leading task axis, the
 * tasks' surrogates summed (each task's gradient lands in its own slice); differentiable in
 * `params`, so the meta-gradient's objective differentiates through it.
 */
function innerStepStacked(
  policy: BatchedPolicy,
  params: readonly tfType.Tensor[],
  b: PaddedBatch,
  alpha: number,
): tfType.Tensor[] {
  const step = tf.grads((...p: tfType.Tensor[]) =>
    tf.sum(tf.mul(policy.logProbBatched(p, b.obs, b.act), b.w))
  )(params as tfType.Tensor[]);
  return params.map((p, k) => tf.add(p, tf.mul(step[k], alpha)));
}

/**
 * Every task's inner step θᵢ + α∇L(θᵢ; Dᵢ), as {@linkcode innerStep} defines it, computed as one
 * graph with the tasks as a leading axis (padded batches, one parameter copy per task); read back
 * asynchronously. What the learner runs on the `webgpu` backend: a paper meta-batch's inner steps
 * in tens of kernels instead of hundreds per task. Agrees with `innerStep` to float32 rounding
 * (tested); its bytes are its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { innerStepsBatched } from "./batched_meta_gradient.ts";
 * import { gaussianMlp, initPolicyParams } from "./policy.ts";
 * import { innerStep } from "./meta_gradient.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("cpu");
 * const spec = { obsDim: 1, actDim: 1, hidden: [3], activation: "tanh", initStd: 1 } as const;
 * const batch = (s: number[], a: number[]) => ({
 *   observations: Float32Array.from(s), actions: Float32Array.from(a),
 *   weights: Float32Array.from(a, () => 0.5), sampleCount: s.length, trajectoryCount: 1,
 *   returnEstimate: 1, meanUndiscountedReturn: 1, scale: 1, rewards: new Float64Array(s.length),
 *   meanAdvantage: 0.2,
 * });
 * // Two tasks, each from its own parameters, whose batches differ in length.
 * const params = [initPolicyParams(spec, 1), initPolicyParams(spec, 2)];
 * const batches = [batch([1, 2], [0.5, -1]), batch([0.3], [2])];
 * const got = await innerStepsBatched(spec, params, batches, 0.1);
 * batches.forEach((b, i) => {
 *   const want = innerStep(gaussianMlp(spec), params[i], b, 0.1).flatMap((p) => [...p]);
 *   const mine = got[i].flatMap((p) => [...p]);
 *   assert.ok(!want.some((x, j) => Math.abs(x - mine[j]) > 1e-6), "the same step");
 * });
 * ```
 */
export async function innerStepsBatched(
  spec: PolicySpec,
  params: readonly PolicyParams[],
  batches: readonly LearnerBatch[],
  alpha: number,
  options: BatchedOptions = {},
): Promise<PolicyParams[]> {
  if (params.length !== batches.length) {
    throw new RangeError(
      `innerStepsBatched: ${params.length} parameter sets for ${batches.length} batches`,
    );
  }
  const policy = gaussianMlpBatched(spec);
  const sizes = policy.shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const out: PolicyParams[] = [];
  for (const [start, end] of graphChunks(batches.map((b) => b.sampleCount), options)) {
    const count = end - start;
    const adapted = tf.tidy(() => {
      const stacked = policy.shapes.map((shape, k) => {
        const values = new Float32Array(count * sizes[k]);
        for (let i = 0; i < count; i++) values.set(params[start + i][k], i * sizes[k]);
        return tf.tensor(values, [count, ...shape], "float32");
      });
      const batch = padded(policy, batches.slice(start, end));
      return innerStepStacked(policy, stacked, batch, alpha);
    });
    try {
      const data = await Promise.all(adapted.map((t) => t.data() as Promise<Float32Array>));
      for (let i = 0; i < count; i++) {
        out.push(data.map((d, k) => d.slice(i * sizes[k], (i + 1) * sizes[k])));
      }
    } finally {
      tf.dispose(adapted);
    }
  }
  return out;
}

/**
 * The meta-gradient of `tasks` at `params`, as {@linkcode metaGradient} defines it, computed as one
 * graph with the tasks as a leading axis (see the module documentation) per run of tasks of at most
 * `samplesPerGraph` samples, read back asynchronously (as every backend can), and the tasks' ∇O
 * summed in float64 in task order as {@linkcode combineTaskGradients} does. `paper-eq13` is refused
 * here: it exists for the exact analysis (through {@linkcode taskGradientTensors}) and needs
 * synchronous read-back, which WebGPU lacks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metaGradientBatched } from "./batched_meta_gradient.ts";
 * import { gaussianMlp, initPolicyParams } from "./policy.ts";
 * import { metaGradient } from "./meta_gradient.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("cpu");
 * const spec = { obsDim: 1, actDim: 1, hidden: [3], activation: "tanh", initStd: 1 } as const;
 * const theta = initPolicyParams(spec, 1);
 * const batch = (s: number[], a: number[]) => ({
 *   observations: Float32Array.from(s), actions: Float32Array.from(a),
 *   weights: Float32Array.from(a, () => 0.5), sampleCount: s.length, trajectoryCount: 1,
 *   returnEstimate: 1, meanUndiscountedReturn: 1, scale: 1, rewards: new Float64Array(s.length),
 *   meanAdvantage: 0.2,
 * });
 * // Two tasks whose batches differ in length (the shorter is padded).
 * const tasks = [batch([1, 2], [0.5, -1]), batch([0.3], [2])].map((b) => ({
 *   inner: [b], outer: b, adapted: [theta], explorationWeight: 0 }));
 * const config = { algorithm: "sgmrl", hessian: "autodiff", innerSteps: 1, innerLr: 0.1,
 *   sgmrlBaseline: "leave-one-out" } as const;
 * const a = metaGradient(gaussianMlp(spec), theta, tasks, config).gradient.flatMap((g) => [...g]);
 * const batched = await metaGradientBatched(spec, theta, tasks, config);
 * const b = batched.gradient.flatMap((g) => [...g]);
 * assert.ok(!a.some((x, i) => Math.abs(x - b[i]) > 1e-5), "the same estimator");
 * ```
 */
export async function metaGradientBatched(
  spec: PolicySpec,
  params: PolicyParams,
  tasks: readonly TaskBatches[],
  config: EstimatorConfig,
  options: BatchedOptions = {},
): Promise<MetaGradient> {
  if (config.hessian === "paper-eq13") {
    throw new RangeError("metaGradientBatched: hessian must be autodiff or none");
  }
  const baselines = metaGradientBaselines(tasks, config);
  const policy = gaussianMlpBatched(spec);
  const parts: TaskGradient[] = [];
  for (const [start, end] of graphChunks(tasks.map((t) => sampleCount(t)), options)) {
    const { values, grads } = taskGradientTensors(
      policy,
      params,
      tasks.slice(start, end),
      baselines.slice(start, end),
      config,
    );
    try {
      const [v, ...g] = await Promise.all(
        [values, ...grads].map((t) => t.data() as Promise<Float32Array>),
      );
      const sizes = grads.map((t) => t.size / (end - start));
      for (let i = 0; i < end - start; i++) {
        parts.push({
          value: v[i],
          grads: g.map((d, k) => d.slice(i * sizes[k], (i + 1) * sizes[k])),
        });
      }
    } finally {
      tf.dispose([values, ...grads]);
    }
  }
  return combineTaskGradients(parts);
}

/**
 * Options of {@linkcode metaGradientBatched} and {@linkcode innerStepsBatched}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BatchedOptions } from "./batched_meta_gradient.ts";
 * // At most 20,000 samples per graph: a meta-batch of 20 tasks × 2,000 samples takes two graphs.
 * const options: BatchedOptions = { samplesPerGraph: 20_000 };
 * assert.equal(options.samplesPerGraph, 20_000);
 * ```
 */
export interface BatchedOptions {
  /**
   * The most samples (tasks × the longest batch's samples) in one graph: larger meta-batches are
   * taken in consecutive runs of tasks, which bounds device memory (default
   * {@linkcode SAMPLES_PER_GRAPH}). The per-task results do not depend on it.
   */
  readonly samplesPerGraph?: number;
}

/**
 * Samples per graph by default: twice the paper's 2D-navigation meta-batch (20 tasks × 2,000), so
 * that it is one graph and a paper locomotion meta-batch (40 × 4,000) two. One second-order graph
 * of the 2D-navigation meta-batch peaked at 1.2 GiB of tensors (lavapipe, ζ = 1).
 */
export const SAMPLES_PER_GRAPH = 80_000;

/** The samples of a task's largest batch (what its row of a padded tensor holds). */
function sampleCount(task: TaskBatches): number {
  return Math.max(task.outer.sampleCount, ...task.inner.map((b) => b.sampleCount));
}

/**
 * Consecutive runs [start, end) of tasks, each as long as its padded size (runs × its longest
 * task) stays within `samplesPerGraph`, and at least one task.
 */
function graphChunks(samples: readonly number[], options: BatchedOptions): [number, number][] {
  const limit = options.samplesPerGraph ?? SAMPLES_PER_GRAPH;
  if (!(limit >= 1)) throw new RangeError(`samplesPerGraph must be at least 1, got ${limit}`);
  const chunks: [number, number][] = [];
  let start = 0, longest = 0;
  samples.forEach((n, i) => {
    const widest = Math.max(longest, n);
    if (i > start && (i + 1 - start) * widest > limit) {
      chunks.push([start, i]);
      start = i;
      longest = n;
    } else {
      longest = widest;
    }
  });
  if (start < samples.length) chunks.push([start, samples.length]);
  return chunks;
}

/**
 * Every task's ∇O at `params` (see meta_gradient.ts) from one graph with the tasks as a leading
 * axis, as tensors for the caller to read back and dispose: `grads[k]` is [tasks, …shape of
 * parameter array k] (task i's gradient in slice i) and `values` [tasks] each Oᵢ. Each task
 * differentiates its own copy of θ, so the gradient with respect to copy i is task i's alone.
 * Every algorithm and Jacobian mode; with `paper-eq13` every task's batches must have the same
 * number of trajectories per inner step, and the constants of eq. 13 are computed once per
 * distinct inner batch and parameters (tasks that share them, as the exact analysis's do, share
 * the work). Must run where tensors can be read synchronously when `paper-eq13` is used (not on
 * webgpu).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianMlpBatched, taskGradientTensors } from "./batched_meta_gradient.ts";
 * import { initPolicyParams } from "./policy.ts";
 * import { taskGradients } from "./meta_gradient.ts";
 * import { tf, useBackend } from "../kernels/backend.ts";
 * await useBackend("cpu");
 * const spec = { obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 } as const;
 * const policy = gaussianMlpBatched(spec);
 * const theta = initPolicyParams(spec, 1);
 * const batch = (s: number, a: number) => ({
 *   observations: Float32Array.of(s), actions: Float32Array.of(a), weights: Float32Array.of(1),
 *   sampleCount: 1, trajectoryCount: 1, returnEstimate: 1, meanUndiscountedReturn: 1, scale: 1,
 *   rewards: Float64Array.of(1), meanAdvantage: 1,
 * });
 * const tasks = [batch(1, 0.5), batch(-1, 2)].map((b) => ({
 *   inner: [b], outer: b, adapted: [theta], explorationWeight: 0 }));
 * const config = { algorithm: "maml", hessian: "autodiff", innerSteps: 1, innerLr: 0.1,
 *   sgmrlBaseline: "none" } as const;
 * const { values, grads } = taskGradientTensors(policy, theta, tasks, [0, 0], config);
 * const perTask = grads[0].arraySync() as number[][][];
 * taskGradients(policy, theta, tasks, [0, 0], config).forEach((t, i) => {
 *   assert.ok(Math.abs(t.grads[0][0] - perTask[i][0][0]) <= 1e-5, "task i's own");
 * });
 * tf.dispose([values, ...grads]);
 * ```
 */
export function taskGradientTensors(
  policy: BatchedPolicy,
  params: PolicyParams,
  tasks: readonly TaskBatches[],
  baselines: readonly number[],
  config: EstimatorConfig,
): { values: tfType.Tensor1D; grads: tfType.Tensor[] } {
  const count = tasks.length;
  const shapes = policy.shapes;
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  return tf.tidy(() => {
    const tiled = params.map((p, k) => {
      const values = new Float32Array(count * sizes[k]);
      for (let i = 0; i < count; i++) values.set(p, i * sizes[k]);
      return tf.tensor(values, [count, ...shapes[k]], "float32");
    });
    const inner = Array.from(
      { length: config.innerSteps },
      (_, t) => padded(policy, tasks.map((task) => task.inner[t])),
    );
    const outer = padded(policy, tasks.map((task) => task.outer));
    const perTask = (f: (task: TaskBatches, i: number) => number) =>
      tf.tensor1d(tasks.map((task, i) => f(task, i)));
    const sgmrlFactor = perTask((task, i) =>
      task.outer.scale * (task.outer.returnEstimate - baselines[i])
    );
    const exploration = perTask((task) => task.explorationWeight);
    const meanAdvantage = perTask((task) => task.outer.meanAdvantage);
    // First order: θᵗᵢ = θ + (θᵗᵢ realised − θ), the difference a float32 constant per task.
    const offsets = config.hessian === "none"
      ? Array.from({ length: config.innerSteps }, (_, t) =>
        shapes.map((shape, k) => {
          const values = new Float32Array(count * sizes[k]);
          tasks.forEach((task, i) => {
            const a = task.adapted[t][k], p = params[k];
            for (let j = 0; j < sizes[k]; j++) values[i * sizes[k] + j] = a[j] - p[j];
          });
          return tf.tensor(values, [count, ...shape], "float32");
        }))
      : [];
    const eq13 = config.hessian === "paper-eq13"
      ? Array.from({ length: config.innerSteps }, (_, t) => stackedEq13(policy, params, tasks, t))
      : [];
    // Each task's Oᵢ, kept from inside the gradient computation.
    let values: tfType.Tensor1D | undefined;
    const objective = (...copies: tfType.Tensor[]): tfType.Scalar => {
      let current = copies;
      let total: tfType.Tensor = tf.zeros([count]);
      let scoreSum: tfType.Tensor = tf.zeros([count]);
      for (let t = 0; t < config.innerSteps; t++) {
        const b = inner[t];
        if (config.algorithm === "sgmrl") {
          scoreSum = tf.add(
            scoreSum,
            maskedSum(policy.logProbBatched(current, b.obs, b.act), b.mask),
          );
        }
        if (config.algorithm === "emaml" && t === 0) {
          const mean = tf.div(
            maskedSum(policy.logProbBatched(copies, b.obs, b.act), b.mask),
            b.counts,
          );
          total = tf.add(total, tf.mul(mean, exploration));
        }
        if (config.algorithm === "sgmrl-published" && t === 0) {
          const sum = maskedSum(policy.logProbBatched(copies, b.obs, b.act), b.mask);
          total = tf.add(total, tf.mul(sum, meanAdvantage));
        }
        if (config.hessian === "none") {
          current = copies.map((p, k) => tf.add(p, offsets[t][k]));
        } else {
          const next = innerStepStacked(policy, current, b, config.innerLr);
          current = config.hessian === "autodiff"
            ? next
            : addStackedEq13Term(policy, current, next, b, eq13[t], config.innerLr);
        }
      }
      const last = policy.logProbBatched(current, outer.obs, outer.act);
      total = tf.add(total, tf.sum(tf.mul(last, outer.w), 1));
      if (config.algorithm === "sgmrl") total = tf.add(total, tf.mul(scoreSum, sgmrlFactor));
      values = tf.keep(total as tfType.Tensor1D);
      return tf.sum(total);
    };
    const { value, grads } = tf.valueAndGrads(objective)(tiled);
    value.dispose();
    return { values: values!, grads };
  });
}

/** The eq. 13 constants of every task's inner batch t, stacked on a leading task axis. */
interface StackedEq13 {
  /** [tasks, |D|, samples]: which (padded) samples belong to which trajectory. */
  readonly segments: tfType.Tensor3D;
  /** [tasks, |D|, 1]. */
  readonly logq: tfType.Tensor3D;
  /** Per parameter array, [tasks, |D|, size]. */
  readonly gradNu: tfType.Tensor3D[];
  /** |D|. */
  readonly trajectories: number;
}

function stackedEq13(
  policy: DifferentiablePolicy,
  params: PolicyParams,
  tasks: readonly TaskBatches[],
  t: number,
): StackedEq13 {
  const batches = tasks.map((task) => task.inner[t]);
  const d = batches[0].pathLengths?.length ?? 0;
  if (batches.some((b) => b.pathLengths?.length !== d)) {
    throw new RangeError(
      `hessian "paper-eq13" needs every task's inner batch ${t} to have the same number of ` +
        "trajectories",
    );
  }
  const n = Math.max(1, ...batches.map((b) => b.sampleCount));
  const segments = new Float32Array(tasks.length * d * n);
  batches.forEach((b, i) => {
    let offset = 0;
    b.pathLengths!.forEach((len, k) => {
      segments.fill(1, (i * d + k) * n + offset, (i * d + k) * n + offset + len);
      offset += len;
    });
  });
  // One evaluation per distinct (batch, parameters) pair.
  const cache = new Map<LearnerBatch, Map<PolicyParams, Eq13Constants>>();
  const constants = tasks.map((task) => {
    const at = t === 0 ? params : task.adapted[t - 1];
    const byParams = cache.get(task.inner[t]) ?? new Map<PolicyParams, Eq13Constants>();
    cache.set(task.inner[t], byParams);
    const c = byParams.get(at) ?? eq13Constants(policy, at, task.inner[t]);
    byParams.set(at, c);
    return c;
  });
  return {
    segments: tf.tensor3d(segments, [tasks.length, d, n]),
    logq: tf.stack(constants.map((c) => c.logq)) as tfType.Tensor3D,
    gradNu: policy.shapes.map((_, k) =>
      tf.stack(constants.map((c) => c.gradNu[k])) as tfType.Tensor3D
    ),
    trajectories: d,
  };
}

/** meta_gradient.ts' eq. 13 term (θᵗ plus a term zero in value) for every task at once. */
function addStackedEq13Term(
  policy: BatchedPolicy,
  previous: readonly tfType.Tensor[],
  next: tfType.Tensor[],
  b: PaddedBatch,
  c: StackedEq13,
  alpha: number,
): tfType.Tensor[] {
  const lp = tf.expandDims(policy.logProbBatched(previous, b.obs, b.act), 2); // [tasks, n, 1]
  const delta = tf.sub(tf.matMul(c.segments, lp as tfType.Tensor3D), c.logq); // zero in value
  return next.map((p, k) =>
    tf.add(
      p,
      tf.reshape(
        tf.mul(tf.matMul(delta, c.gradNu[k], true, false), alpha / c.trajectories),
        p.shape,
      ),
    )
  );
}
