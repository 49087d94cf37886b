/**
 * Fused ops of the explicit derivatives (`explicit_meta_gradient.ts`): what several standard ops
 * compute, as one kernel where the active backend registers one (the `native` backend:
 * `native_fused_kernels.ts`), and composed from TensorFlow.js' own ops everywhere else. On a
 * learner's tensors of 2,000 × 100 every element-wise pass costs about as much as a tenth of a
 * matrix product, so passes saved are time saved.
 *
 * @module
 */
import type * as tfType from "@tensorflow/tfjs";
import { tf } from "./backend.ts";
import { MAT_MUL_SUM, RELU_WITH_ONES } from "./native_fused_kernels.ts";

type Tensor2D = tfType.Tensor2D;

const fused = (kernel: string) => tf.getKernel(kernel, tf.getBackend()) !== undefined;

/**
 * `[x, 1]`: `x` with a column of ones appended, so that a product with `[W; b]` adds the bias.
 *
 * @example
 * ```ts
 * import { withOnes } from "./fused_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const out = withOnes(tf.tensor2d([[2], [3]]));
 * if (out.dataSync().join() !== "2,1,3,1") throw new Error("a column of ones");
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
 * import { reluWithOnes } from "./fused_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const { output, slope } = reluWithOnes(tf.tensor2d([[-1, 2]]));
 * if (output.dataSync().join() !== "0,2,1" || slope.dataSync().join() !== "0,1") {
 *   throw new Error("relu, ones, step");
 * }
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
 * import { matMulSum } from "./fused_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const out = matMulSum([
 *   [tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])],
 *   [tf.tensor2d([[5]]), tf.tensor2d([[6]])],
 * ], { mask: tf.tensor2d([[2]]) });
 * if (out.dataSync()[0] !== (1 * 3 + 2 * 4 + 5 * 6) * 2) throw new Error("82");
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
