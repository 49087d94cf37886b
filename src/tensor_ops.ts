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
 * import { exp } from "./tensor_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const d2 = tf.grad(tf.grad((x) => exp(x)))(tf.scalar(0));
 * if (Math.abs(d2.dataSync()[0] - 1) > 1e-6) throw new Error("d²eˣ/dx² at 0 is 1");
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
 * import { tanh } from "./tensor_ops.ts";
 * import { tf, useBackend } from "./backend.ts";
 * await useBackend("cpu");
 * const d1 = tf.grad((x) => tanh(x))(tf.scalar(0));
 * if (Math.abs(d1.dataSync()[0] - 1) > 1e-6) throw new Error("tanh'(0) is 1");
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
