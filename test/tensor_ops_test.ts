// exp and tanh differentiated to the first, second and third order against their closed forms, and
// the case that motivates them: the derivative of an expression that contains a gradient taken with
// respect to an intermediate tensor.
//
// Closed forms: (eˣ)' = (eˣ)'' = (eˣ)''' = eˣ; with t = tanh x, tanh' = 1 − t²,
// tanh'' = −2t(1 − t²), tanh''' = −2(1 − t²)(1 − 3t²).
import assert from "node:assert/strict";
import type * as tfType from "@tensorflow/tfjs";
import { tf, useBackend } from "../src/kernels/backend.ts";
import { exp, matMul, tanh } from "../src/kernels/tensor_ops.ts";

await useBackend("wasm");

type Scalar = tfType.Scalar;
type Fn = (x: tfType.Tensor) => tfType.Tensor;

const POINTS = [-1.3, -0.4, 0, 0.35, 1.1];

function assertClose(actual: number, expected: number, tol: number, what: string): void {
  const err = Math.abs(actual - expected);
  assert.ok(
    err <= tol * Math.max(1, Math.abs(expected)),
    `${what}: got ${actual}, expected ${expected} (error ${err})`,
  );
}

/** f, f', f'' and f''' at x, by nesting the gradient operator. */
function derivatives(f: Fn, x: number): number[] {
  return tf.tidy(() => {
    const d1 = tf.grad(f);
    const d2 = tf.grad((y: tfType.Tensor) => d1(y));
    const d3 = tf.grad((y: tfType.Tensor) => d2(y));
    const t = tf.scalar(x);
    return [f(t), d1(t), d2(t), d3(t)].map((v) => v.dataSync()[0]);
  });
}

Deno.test("exp: value and derivatives of order 1–3 equal eˣ", () => {
  for (const x of POINTS) {
    const e = Math.exp(x);
    const [v, d1, d2, d3] = derivatives((t) => exp(t), x);
    assertClose(v, e, 1e-6, `exp(${x})`);
    assertClose(d1, e, 1e-6, `exp'(${x})`);
    assertClose(d2, e, 1e-6, `exp''(${x})`);
    assertClose(d3, e, 1e-6, `exp'''(${x})`);
  }
});

Deno.test("tanh: value and derivatives of order 1–3 equal the closed forms", () => {
  for (const x of POINTS) {
    const t = Math.tanh(x);
    const [v, d1, d2, d3] = derivatives((u) => tanh(u), x);
    assertClose(v, t, 1e-6, `tanh(${x})`);
    assertClose(d1, 1 - t * t, 1e-6, `tanh'(${x})`);
    assertClose(d2, -2 * t * (1 - t * t), 1e-6, `tanh''(${x})`);
    assertClose(d3, -2 * (1 - t * t) * (1 - 3 * t * t), 1e-6, `tanh'''(${x})`);
  }
});

Deno.test("exp and tanh: element-wise on a vector, derivatives of every element", () => {
  const xs = [-0.7, 0.2, 0.9];
  const [e1, t2] = tf.tidy(() => {
    const x = tf.tensor1d(xs);
    const de = tf.grad((u: tfType.Tensor) =>
      tf.sum(tf.grad((w: tfType.Tensor) => tf.sum(exp(w)))(u))
    );
    const dt = tf.grad((u: tfType.Tensor) =>
      tf.sum(tf.grad((w: tfType.Tensor) => tf.sum(tanh(w)))(u))
    );
    return [de(x).dataSync(), dt(x).dataSync()];
  });
  xs.forEach((x, i) => {
    const t = Math.tanh(x);
    assertClose(e1[i], Math.exp(x), 1e-6, `exp''(${x})`);
    assertClose(t2[i], -2 * t * (1 - t * t), 1e-6, `tanh''(${x})`);
  });
});

/**
 * d/dx [y + f'(y)] with y = 2x an intermediate tensor and f'(y) = d f/dy computed by an inner
 * gradient: by the chain rule, 2 + 2 f''(2x).
 */
function outerOfInner(f: Fn, x: number): number {
  return tf.tidy(() => {
    const h = (u: tfType.Tensor) => {
      const y = tf.mul(u, 2);
      const [dfdy] = tf.grads((v: tfType.Tensor) => f(v))([y]);
      return tf.add(y, dfdy) as Scalar;
    };
    const [d] = tf.grads(h)([tf.scalar(x)]);
    return d.dataSync()[0];
  });
}

Deno.test("d/dx [y + f'(y)], y = 2x: exp gives 2 + 2e^{2x}", () => {
  for (const x of [-0.5, 0, 0.3]) {
    assertClose(outerOfInner((t) => exp(t), x), 2 + 2 * Math.exp(2 * x), 1e-6, `x = ${x}`);
  }
});

Deno.test("d/dx [y + f'(y)], y = 2x: tanh gives 2 − 4t(1 − t²), t = tanh 2x", () => {
  for (const x of [-0.5, 0.1, 0.3]) {
    const t = Math.tanh(2 * x);
    assertClose(outerOfInner((u) => tanh(u), x), 2 - 4 * t * (1 - t * t), 1e-6, `x = ${x}`);
  }
});

// The built-in tf.exp and tf.tanh compute their gradients from their saved outputs; the second-order
// term that flows through that output is lost, so the same expression comes out as 2 instead of
// 2 + 2f''(2x). This documents the defect that the versions under test exist to avoid.
Deno.test("the built-in tf.exp and tf.tanh miss the second-order term in the same expression", () => {
  const x = 0.3;
  const t = Math.tanh(2 * x);
  const cases: [string, Fn, number][] = [
    ["tf.exp", (u) => tf.exp(u), 2 + 2 * Math.exp(2 * x)],
    ["tf.tanh", (u) => tf.tanh(u), 2 - 4 * t * (1 - t * t)],
  ];
  for (const [name, f, correct] of cases) {
    const builtin = outerOfInner(f, x);
    assert.ok(
      Math.abs(builtin - correct) > 0.5,
      `${name} gave ${builtin}, the correct value; the defect is gone upstream`,
    );
  }
});

// matMul: closed forms in float64 for a ∈ R^{3×4}, b ∈ R^{4×2}. With W ∈ R^{3×2},
// ∂/∂a Σ W ⊙ ab = W·bᵀ and ∂/∂b Σ W ⊙ ab = aᵀ·W. With L = ½‖ab‖², ∂L/∂b = aᵀab; for V ∈ R^{4×2}
// and M = bVᵀ + Vbᵀ (symmetric), h(a) = Σ V ⊙ ∂L/∂b = tr(a·bVᵀ·aᵀ) has ∂h/∂a = a·M, and for
// U ∈ R^{3×4}, ∂/∂a Σ U ⊙ ∂h/∂a = U·M: orders one, two and three.
type Matrix = number[][];
const mm = (x: Matrix, y: Matrix): Matrix =>
  x.map((row) => y[0].map((_, j) => row.reduce((s, v, k) => s + v * y[k][j], 0)));
const tr = (x: Matrix): Matrix => x[0].map((_, j) => x.map((row) => row[j]));
const plus = (x: Matrix, y: Matrix): Matrix => x.map((row, i) => row.map((v, j) => v + y[i][j]));
const fill = (rows: number, cols: number, f: (i: number, j: number) => number): Matrix =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => f(i, j)));

const A = fill(3, 4, (i, j) => Math.sin(1 + 3 * i + j));
const B = fill(4, 2, (i, j) => Math.cos(2 + 2 * i - j));
const W = fill(3, 2, (i, j) => 0.5 - 0.3 * i + 0.7 * j);
const V = fill(4, 2, (i, j) => 0.2 * i - 0.4 * j + 0.1);
const U = fill(3, 4, (i, j) => Math.sin(i - 2 * j));
const M = plus(mm(B, tr(V)), mm(V, tr(B)));

function assertMatrixClose(actual: tfType.Tensor, expected: Matrix, what: string): void {
  const got = actual.arraySync() as Matrix;
  assert.deepEqual(actual.shape, [expected.length, expected[0].length], `${what}: shape`);
  expected.forEach((row, i) => row.forEach((v, j) => assertClose(got[i][j], v, 1e-5, what)));
}

Deno.test("matMul: value and first derivatives equal ab, W·bᵀ and aᵀ·W", () => {
  tf.tidy(() => {
    const a = tf.tensor2d(A), b = tf.tensor2d(B), w = tf.tensor2d(W);
    assertMatrixClose(matMul(a, b), mm(A, B), "ab");
    const [da, db] = tf.grads((x: tfType.Tensor, y: tfType.Tensor) =>
      tf.sum(tf.mul(w, matMul(x as tfType.Tensor2D, y as tfType.Tensor2D)))
    )([a, b]);
    assertMatrixClose(da, mm(W, tr(B)), "∂/∂a");
    assertMatrixClose(db, mm(tr(A), W), "∂/∂b");
  });
});

Deno.test("matMul: second and third derivatives through an inner gradient equal a·M and U·M", () => {
  tf.tidy(() => {
    const a = tf.tensor2d(A), b = tf.tensor2d(B), v = tf.tensor2d(V), u = tf.tensor2d(U);
    const h = (x: tfType.Tensor) => {
      const dLdb = tf.grad((y: tfType.Tensor) =>
        tf.mul(tf.sum(tf.square(matMul(x as tfType.Tensor2D, y as tfType.Tensor2D))), 0.5)
      )(b);
      return tf.sum(tf.mul(v, dLdb));
    };
    const dh = tf.grad(h);
    assertMatrixClose(dh(a), mm(A, M), "∂h/∂a");
    assertMatrixClose(
      tf.grad((x: tfType.Tensor) => tf.sum(tf.mul(u, dh(x))))(a),
      mm(U, M),
      "third",
    );
  });
});
