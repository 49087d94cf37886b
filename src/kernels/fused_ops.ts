/**
 * Fused ops of the explicit derivatives (`explicit_meta_gradient.ts`): what several standard ops
 * compute, as one kernel where the active backend registers one (the `native` backend:
 * `native_fused_kernels.ts`), and composed from TensorFlow.js' own ops everywhere else. On a
 * learner's tensors of 2,000 × 100 every element-wise pass costs about as much as a tenth of a
 * matrix product, so passes saved are time saved. They are for derivatives written out: the fused
 * kernels have no gradients on the tape.
 *
 * @module
 */
import type * as tfType from "@tensorflow/tfjs";
import { tf } from "./backend.ts";
import {
  GAUSSIAN_HEAD,
  GAUSSIAN_SCORE,
  GAUSSIAN_SCORE_R,
  MAT_MUL_SUM,
  RELU_WITH_ONES,
} from "./native_fused_kernels.ts";

type Tensor = tfType.Tensor;
type Tensor2D = tfType.Tensor2D;

const fused = (kernel: string) => tf.getKernel(kernel, tf.getBackend()) !== undefined;

/**
 * `[x, 1]`: `x` with a column of ones appended, so that a product with `[W; b]` adds the bias.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withOnes } from "./fused_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const out = withOnes(tf.tensor2d([[2], [3]]));
 * assert.equal(out.dataSync().join(), "2,1,3,1", "a column of ones");
 * ```
 */
export function withOnes(x: Tensor2D): Tensor2D {
  return tf.tidy(() => tf.concat([x, tf.ones([x.shape[0], 1])], 1));
}

/**
 * `{ output: [relu(pre), 1], slope: step(pre) }` for a matrix `pre`: a hidden layer's output with
 * the column of ones the next layer's bias multiplies ({@linkcode withOnes}), and ReLU's derivative.
 * Element for element what `tf.relu` (NaN for NaN, x above 0, else +0) and `tf.step` (NaN for NaN, 1
 * above 0, else 0) compute.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reluWithOnes } from "./fused_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const { output, slope } = reluWithOnes(tf.tensor2d([[-1, 2]]));
 * assert.equal(output.dataSync().join(), "0,2,1", "relu, ones, step");
 * assert.equal(slope.dataSync().join(), "0,1", "relu, ones, step");
 * ```
 */
export function reluWithOnes(pre: Tensor2D): { output: Tensor2D; slope: Tensor2D } {
  if (fused(RELU_WITH_ONES)) {
    const [output, slope] = tf.engine().runKernel(RELU_WITH_ONES, { x: pre }) as Tensor2D[];
    return { output, slope };
  }
  return { output: tf.tidy(() => withOnes(tf.relu(pre))), slope: tf.step(pre) };
}

/** How {@linkcode matMulSum} takes its operands, and the mask it multiplies the sum by. */
export interface MatMulSumOptions {
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
  /** Multiplies the sum element by element (a layer's σ'), when given. */
  readonly mask?: Tensor2D;
}

/**
 * `(op(a₁)·op(b₁) [+ op(a₂)·op(b₂)]) ⊙ mask` for one or two products of matrices, `op` transposing
 * as the options say (the inner dimensions of the two products may differ), the mask optional.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matMulSum } from "./fused_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const out = matMulSum([
 *   [tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])],
 *   [tf.tensor2d([[5]]), tf.tensor2d([[6]])],
 * ], { mask: tf.tensor2d([[2]]) });
 * assert.equal(out.dataSync()[0], (1 * 3 + 2 * 4 + 5 * 6) * 2, "82");
 * ```
 */
export function matMulSum(
  terms: readonly (readonly [Tensor2D, Tensor2D])[],
  options: MatMulSumOptions = {},
): Tensor2D {
  if (terms.length !== 1 && terms.length !== 2) {
    throw new RangeError(`matMulSum: terms must be one or two products, got ${terms.length}`);
  }
  const { transposeA = false, transposeB = false, mask } = options;
  if (fused(MAT_MUL_SUM)) {
    const [[a1, b1], [a2, b2] = []] = terms;
    const inputs: Record<string, Tensor2D> = { a1, b1 };
    if (a2 !== undefined) Object.assign(inputs, { a2, b2 });
    if (mask !== undefined) inputs.mask = mask;
    return tf.engine().runKernel(MAT_MUL_SUM, inputs, { transposeA, transposeB }) as Tensor2D;
  }
  return tf.tidy(() => {
    const products = terms.map(([a, b]) => tf.matMul(a, b, transposeA, transposeB));
    const sum = products.length === 1 ? products[0] : tf.add(products[0], products[1]);
    return (mask === undefined ? sum : tf.mul(sum, mask)) as Tensor2D;
  });
}

/** The Gaussian policy's log-density at its mean, with what its derivatives reuse. */
export interface GaussianHead {
  /** z = (a − μ)·e^{−logStd}, [N, act]. */
  readonly z: Tensor2D;
  /** e^{−logStd}, [act]. */
  readonly invStd: Tensor;
  /** log π(aₙ | sₙ) = Σⱼ(−½zₙⱼ² − logStdⱼ) − ½·act·log 2π per row, [N, 1]. */
  readonly logProbs: Tensor2D;
}

/**
 * The log-density of actions [N, act] under a Gaussian of means [N, act] and log standard
 * deviations [act] (see {@linkcode GaussianHead}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianHead } from "./fused_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const { z, logProbs } = gaussianHead(tf.tensor2d([[0]]), tf.tensor2d([[2]]), tf.tensor1d([0]));
 * const expected = -0.5 * 4 - 0.5 * Math.log(2 * Math.PI);
 * assert.equal(z.dataSync()[0], 2, "N(2; 0, 1)");
 * assert.ok(Math.abs(logProbs.dataSync()[0] - expected) <= 1e-6, "N(2; 0, 1)");
 * ```
 */
export function gaussianHead(mean: Tensor2D, actions: Tensor2D, logStd: Tensor): GaussianHead {
  if (fused(GAUSSIAN_HEAD)) {
    const [z, invStd, logProbs] = tf.engine().runKernel(
      GAUSSIAN_HEAD,
      { mean, actions, logStd },
    ) as Tensor[];
    return { z: z as Tensor2D, invStd, logProbs: logProbs as Tensor2D };
  }
  const invStd = tf.exp(tf.neg(logStd));
  const z = tf.tidy(() => tf.mul(tf.sub(actions, mean), invStd)) as Tensor2D;
  const logProbs = tf.tidy(() =>
    tf.sub(
      tf.sum(tf.sub(tf.mul(tf.square(z), -0.5), logStd), 1, true),
      0.5 * actions.shape[1] * Math.log(2 * Math.PI),
    )
  ) as Tensor2D;
  return { z, invStd, logProbs };
}

/** Derivatives at the Gaussian head: with respect to the means [N, act] and to logStd [act]. */
export interface HeadGradient {
  readonly mean: Tensor2D;
  readonly logStd: Tensor;
}

/**
 * The gradient of Σₙ cₙ log π(aₙ | sₙ) at the head (`c` [N, 1]): ∂/∂μ = c·z·e^{−logStd} and
 * ∂/∂logStd = Σₙ cₙ(zₙ² − 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianScore } from "./fused_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const g = gaussianScore(tf.tensor2d([[2]]), tf.tensor1d([0.5]), tf.tensor2d([[3]]));
 * assert.equal(g.mean.dataSync()[0], 3, "3, 9");
 * assert.equal(g.logStd.dataSync()[0], 9, "3, 9");
 * ```
 */
export function gaussianScore(z: Tensor2D, invStd: Tensor, c: Tensor2D): HeadGradient {
  if (fused(GAUSSIAN_SCORE)) {
    const [mean, logStd] = tf.engine().runKernel(GAUSSIAN_SCORE, { z, invStd, c }) as Tensor[];
    return { mean: mean as Tensor2D, logStd };
  }
  return {
    mean: tf.tidy(() => tf.mul(tf.mul(z, invStd), c)) as Tensor2D,
    logStd: tf.tidy(() => tf.sum(tf.mul(tf.sub(tf.square(z), 1), c), 0)),
  };
}

/**
 * Pearlmutter's R-operator of {@linkcode gaussianScore} in the direction whose mean part at the
 * head is `rMean` (R{μ}, [N, act]) and logStd part `vLogStd` ([act]), plus κ times the gradient of
 * Σₙ log π: with R{z} = −R{μ}·e^{−logStd} − z·v_logStd,
 * R{∂/∂μ} = c·e^{−logStd}·(R{z} − z·v_logStd) + κ·z·e^{−logStd} and
 * R{∂/∂logStd} = Σₙ 2cₙ·zₙ·R{zₙ} + κ·Σₙ(zₙ² − 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianScoreR } from "./fused_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * // z = 2, e^{−logStd} = 1, c = 1, R{μ} = 1, v_logStd = 0, κ = 0: R{z} = −1.
 * const r = gaussianScoreR(tf.tensor2d([[2]]), tf.tensor1d([1]), tf.tensor2d([[1]]),
 *   tf.tensor2d([[1]]), tf.tensor1d([0]), 0);
 * assert.equal(r.mean.dataSync()[0], -1, "-1, -4");
 * assert.equal(r.logStd.dataSync()[0], -4, "-1, -4");
 * ```
 */
export function gaussianScoreR(
  z: Tensor2D,
  invStd: Tensor,
  c: Tensor2D,
  rMean: Tensor2D,
  vLogStd: Tensor,
  kappa: number,
): HeadGradient {
  if (fused(GAUSSIAN_SCORE_R)) {
    const [mean, logStd] = tf.engine().runKernel(
      GAUSSIAN_SCORE_R,
      { z, invStd, c, rMean, vLogStd },
      { kappa },
    ) as Tensor[];
    return { mean: mean as Tensor2D, logStd };
  }
  return tf.tidy(() => {
    const zv = tf.mul(z, vLogStd);
    const rz = tf.sub(tf.neg(tf.mul(rMean, invStd)), zv);
    let logStd = tf.sum(tf.mul(tf.mul(z, rz), tf.mul(c, 2)), 0);
    let mean = tf.mul(tf.mul(tf.sub(rz, zv), invStd), c) as Tensor2D;
    if (kappa !== 0) {
      mean = tf.add(mean, tf.mul(tf.mul(z, invStd), kappa));
      logStd = tf.add(logStd, tf.mul(tf.sum(tf.sub(tf.square(z), 1), 0), kappa));
    }
    return { mean, logStd };
  });
}
