/**
 * Element-wise ops whose gradients are differentiable to every order.
 *
 * TensorFlow.js' own `exp` and `tanh` compute their gradients from their saved *outputs*. The copy
 * of a saved output is recorded on the gradient tape before the op that produces it, so a gradient
 * of a gradient through them silently loses the terms that flow through that output (measured:
 * d/dx of x + d(eˣ)/dx comes out as 1 instead of 1 + eˣ). The versions here save their *input* and
 * recompute the derivative from it with themselves, so every order is exact. The tests in
 * test/tensor_ops_test.ts check first, second and third derivatives against closed forms.
 *
 * @module
 */
import type * as tfType from "@tensorflow/tfjs";
import { tf } from "./backend.ts";

type Save = (tensors: tfType.Tensor[]) => void;
type Unary = <T extends tfType.Tensor>(x: T) => T;
type Custom = Parameters<typeof tf.customGrad>[0];

/** tfjs types a custom gradient's arguments as tensors-or-save-function; ours are (x, save). */
const withSavedInput = (
  f: (x: tfType.Tensor, save: Save) => {
    value: tfType.Tensor;
    gradFunc: (dy: tfType.Tensor, saved: tfType.Tensor[]) => tfType.Tensor;
  },
): Custom => f as unknown as Custom;

/**
 * eˣ, differentiable to every order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exp } from "./tensor_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const d2 = tf.grad(tf.grad((x) => exp(x)))(tf.scalar(0));
 * assert.ok(Math.abs(d2.dataSync()[0] - 1) <= 1e-6, "d²eˣ/dx² at 0 is 1");
 * ```
 */
export const exp: Unary = tf.customGrad(withSavedInput((x: tfType.Tensor, save: Save) => {
  save([x]);
  return {
    value: tf.exp(x),
    gradFunc: (dy: tfType.Tensor, saved: tfType.Tensor[]) => tf.mul(dy, exp(saved[0])),
  };
})) as unknown as Unary;

/**
 * tanh x, differentiable to every order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tanh } from "./tensor_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const d1 = tf.grad((x) => tanh(x))(tf.scalar(0));
 * assert.ok(Math.abs(d1.dataSync()[0] - 1) <= 1e-6, "tanh'(0) is 1");
 * ```
 */
export const tanh: Unary = tf.customGrad(withSavedInput((x: tfType.Tensor, save: Save) => {
  save([x]);
  return {
    value: tf.tanh(x),
    gradFunc: (dy: tfType.Tensor, saved: tfType.Tensor[]) =>
      tf.mul(dy, tf.sub(1, tf.square(tanh(saved[0])))),
  };
})) as unknown as Unary;

type Binary = (a: tfType.Tensor2D, b: tfType.Tensor2D) => tfType.Tensor2D;
type Save2 = (tensors: tfType.Tensor[]) => void;

/** Gradient of a custom binary op: (dy, saved) → [da, db]. */
const withSavedInputs = (
  f: (a: tfType.Tensor, b: tfType.Tensor, save: Save2) => {
    value: tfType.Tensor;
    gradFunc: (dy: tfType.Tensor, saved: tfType.Tensor[]) => tfType.Tensor[];
  },
): Custom => f as unknown as Custom;

/**
 * The matrix product a·b of two 2-D tensors, differentiable to every order, whose forward product
 * and every product of its gradients run without transpose flags.
 *
 * The WebAssembly backend sends an untransposed, unbatched product to XNNPACK's fully-connected
 * kernel, and every other product (`transposeA` or `transposeB` set, as in the gradients of
 * `tf.matMul`) to a scalar blocked loop about ten times slower on this package's shapes. Here the
 * gradients are da = dy·bᵀ and db = aᵀ·dy with the transposes materialised first (a copy, linear
 * in size), each through this same function, so that derivatives of any order stay on the fast
 * kernel. On the `native` backend, whose OpenBLAS products take transposed operands at full speed,
 * the gradients are `tf.matMul` with transpose flags instead (its own gradients are exact to every
 * order). Values are those of `tf.matMul(a, b)` on the same backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matMul } from "./tensor_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const a = tf.tensor2d([[1, 2], [3, 4]]);
 * const b = tf.tensor2d([[5], [6]]);
 * // d/da Σ a·b = 1·bᵀ for every row.
 * const da = tf.grad((x) => tf.sum(matMul(x as typeof a, b)))(a);
 * assert.equal(da.dataSync().join(), "5,6,5,6", "d(Σ a·b)/da = 1·bᵀ");
 * ```
 */
export const matMul: Binary = tf.customGrad(
  withSavedInputs((a: tfType.Tensor, b: tfType.Tensor, save: Save2) => {
    save([a, b]);
    return {
      value: tf.matMul(a as tfType.Tensor2D, b as tfType.Tensor2D),
      gradFunc: (dy: tfType.Tensor, saved: tfType.Tensor[]) => {
        const [a, b] = saved as tfType.Tensor2D[];
        const d = dy as tfType.Tensor2D;
        // OpenBLAS takes transposed operands at full speed: no copies on the native backend.
        if (tf.getBackend() === "native") {
          return [tf.matMul(d, b, false, true), tf.matMul(a, d, true)];
        }
        return [matMul(d, tf.transpose(b)), matMul(tf.transpose(a), d)];
      },
    };
  }),
) as unknown as Binary;
