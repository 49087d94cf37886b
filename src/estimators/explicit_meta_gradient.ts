/**
 * The per-task meta-gradient and the inner step of a Gaussian MLP policy with explicit derivatives:
 * forward passes, backward passes and Hessian-vector products (Pearlmutter's R-operator) written out
 * as matrix products and element-wise operations, with no gradient tape.
 *
 * It computes what `taskGradients` computes for every algorithm and `hessian` of "autodiff" or
 * "none", at any ζ: with θ⁰ = θ and θᵗ⁺¹ = θᵗ + α∇L(θᵗ; Dᵗ) (first order: θᵗ⁺¹ = θ + (θᵗ⁺¹_realised −
 * θ), a constant offset), the adjoint v = ∇L(θᶻ; D_o) is carried back through each step as v ← v +
 * ∇²L(θᵗ; Dᵗ)·(αv) (first order: v unchanged), plus κᵗ∇Σₙ log π(θᵗ; Dᵗ) for the terms O adds at
 * each step (SG-MRL's c·(J̃ − b) at every step; E-MAML's and sgmrl-published's at θ), which ride on
 * the same backward pass. The tape (src/estimators/meta_gradient.ts) stays the definition, proven by
 * exact enumeration; this is the same function in another summation order, tested equal to the
 * float64 finite differences and to the tape to float32 rounding for every algorithm, order and
 * ζ = 1, 2, ReLU and tanh, on the default and the native backend (test/meta_gradient_test.ts). The
 * `native` backend's learner uses it: with the products on OpenBLAS, the tape's own work (copies of
 * the tensors it saves, reductions, about 500 kernels per task) was most of that backend's time.
 *
 * What is left besides the products is passes over N × width arrays, so the passes are few: each
 * layer's weights and bias are one matrix [W; b] and each layer's input carries a column of ones,
 * so that a product adds the bias and gives the bias's gradient (no addition, no column sums); a
 * ReLU layer's output, ones column and slope come from one pass, and a product's sum with another
 * and its mask σ' from the product kernel itself (`fused_ops.ts`: one kernel each on native,
 * composed from standard ops elsewhere).
 *
 * @module
 */
import type * as tfType from "@tensorflow/tfjs";
import { tf } from "../kernels/backend.ts";
import {
  gaussianHead,
  gaussianScore,
  gaussianScoreR,
  matMulSum,
  reluWithOnes,
  withOnes,
} from "../kernels/fused_ops.ts";
import type { LearnerBatch } from "./batch.ts";
import {
  type EstimatorConfig,
  type TaskBatches,
  type TaskGradient,
  validateTaskBatches,
} from "./meta_gradient.ts";
import { paramShapes, type PolicyParams, type PolicySpec } from "./policy.ts";

type Tensor = tfType.Tensor;
type Tensor2D = tfType.Tensor2D;

/** One batch as tensors: observations with a column of ones [N, obs + 1], actions [N, act]. */
interface BatchTensors {
  readonly obs: Tensor2D;
  readonly act: Tensor2D;
}

/**
 * What the forward pass of the mean keeps for the backward pass and the R-operator. Layer k's
 * weights and bias are one matrix Aₖ = [Wₖ; bₖ] and its input carries a column of ones, so that
 * Zₖ = [Hₖ₋₁, 1]·Aₖ adds the bias in the product and [Hₖ₋₁, 1]ᵀ·gₖ is the gradient of both.
 */
interface Forward {
  /** The input of each layer with a column of ones: the observations, then each hidden layer's. */
  readonly inputs: Tensor2D[];
  /** σ'(Zₖ) of each hidden layer. */
  readonly slopes: Tensor2D[];
  /** σ''(Zₖ) of each hidden layer (undefined for ReLU, whose second derivative is 0). */
  readonly curvatures: (Tensor2D | undefined)[];
  /** z = (a − μ)·e^{−logStd}, [N, act]. */
  readonly z: Tensor2D;
  /** e^{−logStd}, [act]. */
  readonly invStd: Tensor;
  /** log π(aₙ | sₙ) per row, [N, 1]. */
  readonly logProbs: Tensor;
}

/** The backward pass of Σₙ cₙ log π(aₙ | sₙ): its gradient and each layer's ∂/∂Zₖ and ∂/∂Hₖ. */
interface Backward {
  /** ∂/∂Zₖ for every layer k (the last is ∂/∂μ). */
  readonly layerGrads: Tensor2D[];
  /**
   * ∂/∂Hₖ of each hidden layer's output (∂/∂Zₖ before the slope σ'(Zₖ)), kept where the R-operator
   * needs it: where σ''(Zₖ) ≠ 0 (tanh; undefined for ReLU).
   */
  readonly outputGrads: (Tensor2D | undefined)[];
  /** The gradient, in the layout of {@linkcode augment}: [A₀, …, A_L−1, logStd]. */
  readonly grads: Tensor[];
  /** Wₖ (Aₖ without its bias row) of each layer k ≥ 1, for the R-operator at the same point. */
  readonly weights: (Tensor2D | undefined)[];
}

const layerCount = (spec: PolicySpec) => spec.hidden.length + 1;

/**
 * θ in the layout of the explicit passes: each layer's Aₖ = [Wₖ; bₖ] (row-major, so the bias is
 * the last row: Wₖ's values then bₖ's), then logStd.
 */
function augment(spec: PolicySpec, params: PolicyParams): Tensor[] {
  const shapes = paramShapes(spec), layers = layerCount(spec);
  const out: Tensor[] = [];
  for (let k = 0; k < layers; k++) {
    const [rows, cols] = shapes[2 * k];
    const a = new Float32Array((rows + 1) * cols);
    a.set(params[2 * k]);
    a.set(params[2 * k + 1], rows * cols);
    out.push(tf.tensor2d(a, [rows + 1, cols]));
  }
  out.push(tf.tensor(params[2 * layers], shapes[2 * layers], "float32"));
  return out;
}

/** Values in {@linkcode augment}'s layout back in {@linkcode PolicyParams} layout. */
function unaugment(spec: PolicySpec, values: readonly Float32Array[]): PolicyParams {
  const shapes = paramShapes(spec), layers = layerCount(spec);
  const out: Float32Array[] = [];
  for (let k = 0; k < layers; k++) {
    const [rows, cols] = shapes[2 * k];
    out.push(values[k].slice(0, rows * cols), values[k].slice(rows * cols, (rows + 1) * cols));
  }
  out.push(Float32Array.from(values[layers]));
  return out;
}

/** Wₖ: Aₖ without its bias row. */
const weightsOf = (a: Tensor) =>
  tf.slice(a as Tensor2D, [0, 0], [a.shape[0] - 1, a.shape[1]!]) as Tensor2D;

function forward(spec: PolicySpec, p: readonly Tensor[], b: BatchTensors): Forward {
  const layers = layerCount(spec);
  const inputs: Tensor2D[] = [], slopes: Tensor2D[] = [], curvatures: (Tensor2D | undefined)[] = [];
  let h = b.obs;
  for (let k = 0; k < layers - 1; k++) {
    inputs.push(h);
    const pre = tf.matMul(h, p[k] as Tensor2D) as Tensor2D;
    if (spec.activation === "relu") {
      const { output, slope } = reluWithOnes(pre);
      h = output;
      slopes.push(slope);
      curvatures.push(undefined);
    } else {
      const t = tf.tanh(pre) as Tensor2D;
      const slope = tf.sub(1, tf.square(t)) as Tensor2D;
      h = withOnes(t);
      slopes.push(slope);
      curvatures.push(tf.mul(tf.mul(t, slope), -2) as Tensor2D);
    }
  }
  inputs.push(h);
  const mean = tf.matMul(h, p[layers - 1] as Tensor2D) as Tensor2D;
  return { inputs, slopes, curvatures, ...gaussianHead(mean, b.act, p[layers]) };
}

/** Backward pass of Σₙ cₙ log π(aₙ | sₙ); `c` is [N, 1]. */
function backward(spec: PolicySpec, p: readonly Tensor[], f: Forward, c: Tensor): Backward {
  const layers = layerCount(spec);
  const grads: Tensor[] = new Array(layers + 1);
  const layerGrads: Tensor2D[] = new Array(layers);
  const outputGrads: (Tensor2D | undefined)[] = new Array(layers - 1);
  const weights: (Tensor2D | undefined)[] = new Array(layers);
  // ∂/∂μ = c·z·e^{−logStd}; ∂/∂logStd = Σₙ cₙ(zₙ² − 1).
  const head = gaussianScore(f.z, f.invStd, c as Tensor2D);
  let g = head.mean;
  grads[layers] = head.logStd;
  for (let k = layers - 1; k >= 0; k--) {
    layerGrads[k] = g;
    // [Hₖ₋₁, 1]ᵀgₖ: ∂/∂Wₖ, and ∂/∂bₖ = Σₙ gₖ in the last row.
    grads[k] = tf.matMul(f.inputs[k], g, true, false);
    if (k > 0) {
      weights[k] = weightsOf(p[k]);
      const slope = f.slopes[k - 1];
      if (f.curvatures[k - 1] === undefined) {
        g = matMulSum([[g, weights[k]!]], { transposeB: true, mask: slope });
      } else {
        const outputGrad = tf.matMul(g, weights[k]!, false, true) as Tensor2D;
        outputGrads[k - 1] = outputGrad;
        g = tf.mul(outputGrad, slope) as Tensor2D;
      }
    }
  }
  return { layerGrads, outputGrads, grads, weights };
}

/**
 * ∇²(Σₙ cₙ log π)·v + κ∇(Σₙ log π) at the point of `f` and `back` (Pearlmutter's R-operator through
 * the forward and the backward pass; the gradient of κ·Σₙ log π rides on the same backward pass,
 * since both are linear in the gradient at the mean).
 */
function hessianVector(
  spec: PolicySpec,
  f: Forward,
  back: Backward,
  c: Tensor,
  v: readonly Tensor[],
  kappa: number,
): Tensor[] {
  const layers = layerCount(spec);
  // R-forward: R{Zₖ} = R{Hₖ₋₁}Wₖ + [Hₖ₋₁, 1]·Vₖ (Vₖ = [Vwₖ; vbₖ]), R{Hₖ} = σ'(Zₖ)·R{Zₖ}.
  // R{Zₖ} itself is kept only where σ''(Zₖ) ≠ 0 (tanh) needs it.
  const rInputs: (Tensor2D | undefined)[] = [undefined];
  const rPre: (Tensor2D | undefined)[] = [];
  let rOut: Tensor2D | undefined;
  for (let k = 0; k < layers; k++) {
    const rIn = rInputs[k];
    const terms: [Tensor2D, Tensor2D][] = [[f.inputs[k], v[k] as Tensor2D]];
    if (rIn !== undefined) terms.push([rIn, back.weights[k]!]);
    if (k === layers - 1) rOut = matMulSum(terms);
    else if (f.curvatures[k] === undefined) {
      rPre.push(undefined);
      rInputs.push(matMulSum(terms, { mask: f.slopes[k] }));
    } else {
      const r = matMulSum(terms);
      rPre.push(r);
      rInputs.push(tf.mul(f.slopes[k], r) as Tensor2D);
    }
  }
  // At the head: R{∂/∂μ} and R{∂/∂logStd}, with κ·∂(Σ log π)/∂μ and κ·∂(Σ log π)/∂logStd.
  const head = gaussianScoreR(f.z, f.invStd, c as Tensor2D, rOut!, v[layers], kappa);
  const out: Tensor[] = new Array(layers + 1);
  let rg = head.mean;
  out[layers] = head.logStd;
  // R-backward: R{dAₖ} = [Hₖ₋₁, 1]ᵀR{gₖ} + [R{Hₖ₋₁}, 0]ᵀgₖ, R{dHₖ₋₁} = R{gₖ}Wₖᵀ + gₖVwₖᵀ,
  // R{gₖ₋₁} = R{dHₖ₋₁}·σ'(Zₖ₋₁) + dHₖ₋₁·σ''(Zₖ₋₁)·R{Zₖ₋₁}.
  for (let k = layers - 1; k >= 0; k--) {
    const g = back.layerGrads[k];
    const rIn = rInputs[k];
    let rdA: Tensor = tf.matMul(f.inputs[k], rg, true, false);
    if (rIn !== undefined) {
      rdA = tf.add(rdA, tf.pad(tf.matMul(rIn, g, true, false), [[0, 1], [0, 0]]));
    }
    out[k] = rdA;
    if (k > 0) {
      rg = matMulSum([[rg, back.weights[k]!], [g, weightsOf(v[k])]], {
        transposeB: true,
        mask: f.slopes[k - 1],
      });
      const curvature = f.curvatures[k - 1];
      if (curvature !== undefined) {
        const dH = back.outputGrads[k - 1]!;
        rg = tf.add(rg, tf.mul(tf.mul(dH, curvature), rPre[k - 1]!)) as Tensor2D;
      }
    }
  }
  return out;
}

function batchTensors(spec: PolicySpec, b: LearnerBatch): BatchTensors {
  const d = spec.obsDim, width = d + 1, source = b.observations;
  const obs = new Float32Array(b.sampleCount * width);
  for (let n = 0, i = 0, o = 0; n < b.sampleCount; n++, o++) {
    for (let j = 0; j < d; j++) obs[o++] = source[i++];
    obs[o] = 1;
  }
  return {
    obs: tf.tensor2d(obs, [b.sampleCount, width]),
    act: tf.tensor2d(b.actions, [b.sampleCount, spec.actDim]),
  };
}

const column = (values: Float32Array) => tf.tensor2d(values, [values.length, 1]);
const constantColumn = (rows: number, value: number) => tf.fill([rows, 1], value);
const axpy = (y: readonly Tensor[], a: number, x: readonly Tensor[]) =>
  y.map((t, i) => tf.add(t, tf.mul(x[i], a)));

/**
 * What an inner step at θ on one batch computed, for a meta-gradient at the same θ and batch (see
 * {@linkcode InnerStepCache}).
 */
export interface InnerStepRecord {
  readonly backend: string;
  readonly spec: string;
  /** Copies of θ and of the batch's arrays, compared bit for bit. */
  readonly params: PolicyParams;
  readonly observations: Float32Array;
  readonly actions: Float32Array;
  readonly weights: Float32Array;
  readonly f: Forward;
  readonly back: Backward;
  readonly c: Tensor;
  /** Every tensor above, once. */
  readonly tensors: readonly Tensor[];
  readonly bytes: number;
}

/** Whether two float arrays hold the same bits. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * The forward and backward passes of recent inner steps, kept so that the meta-gradient at the
 * same parameters does not compute them again: a second-order meta-gradient repeats, at each θᵗ on
 * Dᵗ⁺¹, exactly the passes that the adaptation step θᵗ⁺¹ = θᵗ + α∇L(θᵗ; Dᵗ⁺¹) took (about a
 * quarter of its work at ζ = 1). A record is used only when the policy, the backend, θᵗ and the
 * batch's observations, actions and weights are bit for bit those it was made from (it keeps
 * copies; a θᵗ after the first is read back with `dataSync`, so this is for the CPU backends), so
 * the meta-gradient's bytes are those it has without the cache; each record is used once. Records
 * are kept up to `budgetBytes` of tensors, the oldest dropped first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { explicitInnerSteps, explicitTaskGradients, InnerStepCache } from "./explicit_meta_gradient.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("cpu");
 * const spec = { obsDim: 1, actDim: 1, hidden: [2], activation: "relu", initStd: 1 } as const;
 * const theta = [[0.5, -0.3], [0.1, 0.2], [0.4, -0.6], [0.05], [-0.1]]
 *   .map((v) => new Float32Array(v));
 * const batch = {
 *   observations: new Float32Array([0.7, -1.2]), actions: new Float32Array([0.3, -0.4]),
 *   weights: new Float32Array([0.6, -0.4]), sampleCount: 2, trajectoryCount: 1, returnEstimate: 2,
 *   meanUndiscountedReturn: 2, scale: 1, rewards: new Float64Array([1, 1]), meanAdvantage: 0.1,
 * };
 * const config = { algorithm: "maml", hessian: "autodiff", innerSteps: 1, innerLr: 0.5,
 *   sgmrlBaseline: "none" } as const;
 * const cache = new InnerStepCache(2 ** 20);
 * const [adapted] = await explicitInnerSteps(spec, [{ params: theta, batch }], 0.5, cache);
 * const tasks = [{ inner: [batch], adapted: [adapted], outer: batch, explorationWeight: 0 }];
 * const [reused] = await explicitTaskGradients(spec, theta, tasks, [0], config, cache);
 * const [fresh] = await explicitTaskGradients(spec, theta, tasks, [0], config);
 * assert.equal(cache.hits, 1, "used once, then dropped");
 * assert.equal(cache.size, 0, "used once, then dropped");
 * assert.equal(reused.grads.join(), fresh.grads.join(), "the same bytes");
 * cache.clear();
 * ```
 */
export class InnerStepCache {
  /** Oldest first. */
  readonly #records: InnerStepRecord[] = [];
  #bytes = 0;
  #hits = 0;

  /** Keep at most `budgetBytes` of tensors (0 keeps nothing). */
  constructor(readonly budgetBytes: number) {
    if (!(Number.isFinite(budgetBytes) && budgetBytes >= 0)) {
      throw new RangeError(`InnerStepCache: budgetBytes must be a finite number ≥ 0`);
    }
  }

  /** How many records a meta-gradient has used. */
  get hits(): number {
    return this.#hits;
  }

  /** How many records are kept. */
  get size(): number {
    return this.#records.length;
  }

  /** Tensor bytes kept. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Drop every record and free its tensors. */
  clear(): void {
    for (const r of this.#records.splice(0)) tf.dispose([...r.tensors]);
    this.#bytes = 0;
  }

  /**
   * Keep the passes of an inner step at `params` on `batch` (called inside the step's tensor
   * scope: the tensors are kept out of it). Returns false, keeping nothing, when they do not fit.
   */
  store(
    spec: PolicySpec,
    params: PolicyParams,
    batch: LearnerBatch,
    step: { f: Forward; back: Backward; c: Tensor },
  ): boolean {
    const { f, back, c } = step;
    const tensors = [
      ...new Set<Tensor>([
        ...f.inputs,
        ...f.slopes,
        ...f.curvatures.filter((t): t is Tensor2D => t !== undefined),
        f.z,
        f.invStd,
        f.logProbs,
        ...back.layerGrads,
        ...back.outputGrads.filter((t): t is Tensor2D => t !== undefined),
        ...back.grads,
        ...back.weights.filter((t): t is Tensor2D => t !== undefined),
        c,
      ]),
    ];
    const bytes = tensors.reduce((n, t) => n + 4 * t.size, 0);
    if (bytes > this.budgetBytes) return false;
    while (this.#bytes + bytes > this.budgetBytes) {
      const old = this.#records.shift()!;
      tf.dispose([...old.tensors]);
      this.#bytes -= old.bytes;
    }
    for (const t of tensors) tf.keep(t);
    this.#records.push({
      backend: tf.getBackend(),
      spec: JSON.stringify(spec),
      params: params.map((p) => p.slice()),
      observations: batch.observations.slice(),
      actions: batch.actions.slice(),
      weights: batch.weights.slice(),
      f,
      back,
      c,
      tensors,
      bytes,
    });
    this.#bytes += bytes;
    return true;
  }

  /**
   * The record of an inner step at exactly `params` on exactly `batch`, removed from the cache
   * (the caller frees its tensors with {@linkcode InnerStepCache.release}), or undefined.
   */
  take(spec: PolicySpec, params: PolicyParams, batch: LearnerBatch): InnerStepRecord | undefined {
    const key = JSON.stringify(spec), backend = tf.getBackend();
    const i = this.#records.findIndex((r) =>
      r.backend === backend && r.spec === key && r.params.length === params.length &&
      r.params.every((p, j) => sameBits(p, params[j])) &&
      sameBits(r.observations, batch.observations) && sameBits(r.actions, batch.actions) &&
      sameBits(r.weights, batch.weights)
    );
    if (i < 0) return undefined;
    const [record] = this.#records.splice(i, 1);
    this.#bytes -= record.bytes;
    this.#hits++;
    return record;
  }

  /** Free the tensors of a record that {@linkcode InnerStepCache.take} returned. */
  release(record: InnerStepRecord): void {
    tf.dispose([...record.tensors]);
  }
}

/**
 * Whether {@linkcode explicitTaskGradients} computes `config`'s estimator (every algorithm, with
 * `hessian` "autodiff" or "none"; the eq. 13 Jacobian stays on the tape).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { explicitSupports } from "./explicit_meta_gradient.ts";
 * const config = { algorithm: "sgmrl", hessian: "autodiff", innerSteps: 2, innerLr: 0.1,
 *   sgmrlBaseline: "leave-one-out" } as const;
 * assert.ok(explicitSupports(config), "autodiff and none only");
 * assert.ok(!explicitSupports({ ...config, hessian: "paper-eq13" }), "autodiff and none only");
 * ```
 */
export function explicitSupports(config: EstimatorConfig): boolean {
  return config.hessian === "autodiff" || config.hessian === "none";
}

/** ∇O and O of one task as tensors, inside the caller's scope. */
function explicitTaskGradient(
  spec: PolicySpec,
  params: PolicyParams,
  task: TaskBatches,
  baseline: number,
  config: EstimatorConfig,
  kept?: (t: number, point: readonly Tensor[]) => InnerStepRecord | undefined,
): { value: Tensor; grads: Tensor[] } {
  const theta = augment(spec, params);
  const secondOrder = config.hessian === "autodiff";
  const sgmrl = config.algorithm === "sgmrl";
  // θᵗ for t = 0 … ζ, and at each inner step what the adjoint pass needs (the adaptation step's
  // own passes when they were kept).
  const points: Tensor[][] = [theta];
  const steps: { f: Forward; back: Backward; c: Tensor }[] = [];
  for (let t = 0; t < config.innerSteps; t++) {
    const here = points[t];
    if (secondOrder) {
      const record = kept?.(t, here);
      const f = record?.f ?? forward(spec, here, batchTensors(spec, task.inner[t]));
      const c = record?.c ?? column(task.inner[t].weights);
      const back = record?.back ?? backward(spec, here, f, c);
      steps.push({ f, back, c });
      points.push(axpy(here, config.innerLr, back.grads));
    } else {
      // θ + (θᵗ⁺¹_realised − θ), the difference a constant, as on the tape.
      const offsets = augment(
        spec,
        task.adapted[t].map((a, i) => {
          const d = new Float32Array(a.length);
          for (let j = 0; j < a.length; j++) d[j] = a[j] - params[i][j];
          return d;
        }),
      );
      points.push(theta.map((p, i) => tf.add(p, offsets[i])));
    }
  }
  const outer = batchTensors(spec, task.outer);
  const last = points[config.innerSteps];
  const fo = forward(spec, last, outer);
  const wo = column(task.outer.weights);
  let grads = backward(spec, last, fo, wo).grads;
  let value: Tensor = tf.sum(tf.mul(fo.logProbs, wo));
  // κᵗ·Σₙ log π(θᵗ; Dᵗ) joins O at each step: SG-MRL's term c·(J̃ − b) at every step, E-MAML's
  // exploration weight (on the mean) and sgmrl-published's mean advantage at θ.
  const factor = task.outer.scale * (task.outer.returnEstimate - baseline);
  const atTheta = config.algorithm === "emaml"
    ? task.explorationWeight / task.inner[0].sampleCount
    : config.algorithm === "sgmrl-published"
    ? task.outer.meanAdvantage
    : 0;
  for (let t = config.innerSteps - 1; t >= 0; t--) {
    const kappa = (sgmrl ? factor : 0) + (t === 0 ? atTheta : 0);
    const step = steps[t], here = points[t];
    if (step !== undefined) {
      // v ← v + ∇²L(θᵗ; Dᵗ)·(αv) + κᵗ∇Σₙ log π(θᵗ; Dᵗ), one R-backward pass for both.
      const direction = grads.map((g) => tf.mul(g, config.innerLr));
      const hv = hessianVector(spec, step.f, step.back, step.c, direction, kappa);
      grads = grads.map((g, i) => tf.add(g, hv[i]));
    }
    if (kappa !== 0) {
      const f = step?.f ?? kept?.(t, here)?.f ??
        forward(spec, here, batchTensors(spec, task.inner[t]));
      if (step === undefined) {
        const score =
          backward(spec, here, f, constantColumn(task.inner[t].sampleCount, kappa)).grads;
        grads = grads.map((g, i) => tf.add(g, score[i]));
      }
      value = tf.add(value, tf.mul(tf.sum(f.logProbs), kappa));
    }
  }
  return { value, grads };
}

/**
 * ∇O and O of each task (`baselines[i]` from `metaGradientBaselines`), as `taskGradientsAsync`
 * computes them, with explicit derivatives (see the module documentation); each task in a tensor
 * scope of its own, read back before the next starts. Throws a `RangeError` for a configuration
 * {@linkcode explicitSupports} refuses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { explicitTaskGradients } from "./explicit_meta_gradient.ts";
 * import { gaussianMlp } from "./policy.ts";
 * import { taskGradients } from "./meta_gradient.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("cpu");
 * const spec = { obsDim: 1, actDim: 1, hidden: [3], activation: "tanh", initStd: 1 } as const;
 * const theta = [[0.5, -0.3, 0.8], [0.1, 0, -0.2], [0.4, -0.6, 0.2], [0.05], [-0.1]]
 *   .map((v) => new Float32Array(v));
 * const batch = {
 *   observations: new Float32Array([0.7, -1.2]), actions: new Float32Array([0.3, -0.4]),
 *   weights: new Float32Array([0.6, -0.4]), sampleCount: 2, trajectoryCount: 1, returnEstimate: 2,
 *   meanUndiscountedReturn: 2, scale: 1, rewards: new Float64Array([1, 1]), meanAdvantage: 0.1,
 * };
 * const tasks = [{ inner: [batch], adapted: [theta], outer: batch, explorationWeight: 0 }];
 * const config = { algorithm: "sgmrl", hessian: "autodiff", innerSteps: 1, innerLr: 0.5,
 *   sgmrlBaseline: "none" } as const;
 * const [tape] = taskGradients(gaussianMlp(spec), theta, tasks, [0], config);
 * const [explicit] = await explicitTaskGradients(spec, theta, tasks, [0], config);
 * const a = tape.grads.flatMap((g) => [...g]), b = explicit.grads.flatMap((g) => [...g]);
 * assert.ok(!a.some((x, i) => Math.abs(x - b[i]) > 1e-5), "the same estimator");
 * ```
 */
export async function explicitTaskGradients(
  spec: PolicySpec,
  params: PolicyParams,
  tasks: readonly TaskBatches[],
  baselines: readonly number[],
  config: EstimatorConfig,
  cache?: InnerStepCache,
): Promise<TaskGradient[]> {
  validateTaskBatches(tasks, config);
  if (!explicitSupports(config)) {
    throw new RangeError(`explicitTaskGradients: hessian must be autodiff or none`);
  }
  const out: TaskGradient[] = [];
  for (const [i, task] of tasks.entries()) {
    // The kept passes of an inner step at θᵗ on Dᵗ, if any: θ is `params`; a later θᵗ is read
    // back to be compared.
    const taken: InnerStepRecord[] = [];
    const kept = (t: number, point: readonly Tensor[]) => {
      if (cache === undefined || cache.size === 0) return undefined;
      const at = t === 0 ? params : unaugment(spec, point.map((p) => p.dataSync() as Float32Array));
      const record = cache.take(spec, at, task.inner[t]);
      if (record !== undefined) taken.push(record);
      return record;
    };
    let result: { value: Tensor; grads: Tensor[] };
    try {
      result = tf.tidy(() => {
        const r = explicitTaskGradient(spec, params, task, baselines[i], config, kept);
        return { value: r.value, grads: r.grads };
      });
    } finally {
      for (const record of taken) cache!.release(record);
    }
    const { value, grads } = result;
    try {
      const [v, ...g] = await Promise.all([value, ...grads].map((t) => t.data()));
      out.push({ value: v[0], grads: unaugment(spec, g as Float32Array[]) });
    } finally {
      tf.dispose([value, ...grads]);
    }
  }
  return out;
}

/**
 * One inner step θ + α∇L(θ; D) for each task, as `innerStepAsync` computes it, with an explicit
 * forward and backward pass (see the module documentation).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { explicitInnerSteps } from "./explicit_meta_gradient.ts";
 * import { gaussianMlp } from "./policy.ts";
 * import { innerStep } from "./meta_gradient.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("cpu");
 * const spec = { obsDim: 1, actDim: 1, hidden: [2], activation: "relu", initStd: 1 } as const;
 * const params = [[0.5, -0.3], [0.1, 0.2], [0.4, -0.6], [0.05], [-0.1]]
 *   .map((v) => new Float32Array(v));
 * const batch = {
 *   observations: new Float32Array([0.7, -1.2]), actions: new Float32Array([0.3, -0.4]),
 *   weights: new Float32Array([0.6, -0.4]), sampleCount: 2, trajectoryCount: 1, returnEstimate: 2,
 *   meanUndiscountedReturn: 2, scale: 1, rewards: new Float64Array([1, 1]), meanAdvantage: 0.1,
 * };
 * const [explicit] = await explicitInnerSteps(spec, [{ params, batch }], 0.5);
 * const tape = innerStep(gaussianMlp(spec), params, batch, 0.5);
 * const a = tape.flatMap((p) => [...p]), b = explicit.flatMap((p) => [...p]);
 * assert.ok(!a.some((x, i) => Math.abs(x - b[i]) > 1e-6), "the same step");
 * ```
 */
export async function explicitInnerSteps(
  spec: PolicySpec,
  tasks: readonly { readonly params: PolicyParams; readonly batch: LearnerBatch }[],
  alpha: number,
  cache?: InnerStepCache,
): Promise<PolicyParams[]> {
  const out: PolicyParams[] = [];
  for (const { params, batch } of tasks) {
    const next = tf.tidy(() => {
      const theta = augment(spec, params);
      const f = forward(spec, theta, batchTensors(spec, batch));
      const c = column(batch.weights);
      const back = backward(spec, theta, f, c);
      cache?.store(spec, params, batch, { f, back, c });
      return axpy(theta, alpha, back.grads);
    });
    try {
      const data = await Promise.all(next.map((t) => t.data()));
      out.push(unaugment(spec, data as Float32Array[]));
    } finally {
      tf.dispose(next);
    }
  }
  return out;
}
