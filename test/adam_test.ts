// Adam as a gradient-ascent step: three steps against a float64 reference of bias-corrected Adam and
// against the arithmetic written out, custom hyperparameters, and the direction of the step.
import assert from "node:assert/strict";
import { adamAscend, adamInit } from "../src/estimators/adam.ts";

function assertClose(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: got ${actual}, expected ${expected} (error ${Math.abs(actual - expected)})`,
  );
}

/**
 * Bias-corrected Adam ascent in float64: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * θ ← θ + lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε).
 */
function referenceAdam(
  theta0: number[],
  gradients: number[][],
  lr: number,
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-8,
): { theta: number[][]; m: number[]; v: number[] } {
  const theta = [theta0.slice()];
  const m = theta0.map(() => 0), v = theta0.map(() => 0);
  gradients.forEach((g, s) => {
    const t = s + 1;
    const next = theta[s].slice();
    for (let i = 0; i < g.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const mHat = m[i] / (1 - b1 ** t), vHat = v[i] / (1 - b2 ** t);
      next[i] += lr * mHat / (Math.sqrt(vHat) + eps);
    }
    theta.push(next);
  });
  return { theta, m, v };
}

const GRADIENTS = [[0.5, -3], [0.25, 1], [-1, 2]];

Deno.test("adamAscend: three steps match bias-corrected Adam in float64", () => {
  // Two parameters in two arrays: θ = (1, −2).
  const params = [new Float32Array([1]), new Float32Array([-2])];
  const state = adamInit(params);
  assert.equal(state.step, 0);
  const ref = referenceAdam([1, -2], GRADIENTS, 0.01);
  GRADIENTS.forEach((g, s) => {
    adamAscend(params, [new Float32Array([g[0]]), new Float32Array([g[1]])], state, { lr: 0.01 });
    assert.equal(state.step, s + 1);
    // The parameters are float32: equal to the reference up to float32 rounding.
    assertClose(params[0][0], ref.theta[s + 1][0], 3e-7, `θ₀ after step ${s + 1}`);
    assertClose(params[1][0], ref.theta[s + 1][1], 3e-7, `θ₁ after step ${s + 1}`);
  });
  // The moments are float64.
  assertClose(state.m[0][0], ref.m[0], 1e-15, "m₀");
  assertClose(state.m[1][0], ref.m[1], 1e-15, "m₁");
  assertClose(state.v[0][0], ref.v[0], 1e-15, "v₀");
  assertClose(state.v[1][0], ref.v[1], 1e-15, "v₁");
});

Deno.test("adamAscend: the arithmetic of the first two steps written out", () => {
  const params = [new Float32Array([1, -2])];
  const state = adamInit(params);
  const lr = 0.01;
  // Step 1: m̂ = g, v̂ = g², so θ moves by lr·g/(|g| + ε): +0.01 and −0.01 (up to ε).
  adamAscend(params, [new Float32Array([0.5, -3])], state, { lr });
  assertClose(params[0][0], 1 + lr * 0.5 / (0.5 + 1e-8), 1e-7, "θ₀ after step 1");
  assertClose(params[0][1], -2 - lr * 3 / (3 + 1e-8), 2e-7, "θ₁ after step 1");
  assertClose(state.m[0][0], 0.05, 1e-15, "m₀ after step 1");
  assertClose(state.v[0][1], 0.009, 1e-15, "v₁ after step 1");
  const theta0 = params[0][0];
  // Step 2 with g₀ = 0.25: m = 0.9·0.05 + 0.1·0.25 = 0.07;
  // v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225; bias corrections 1 − 0.9² = 0.19 and
  // 1 − 0.999² = 0.001999, so the step is 0.01·(0.07/0.19)/(√(0.00031225/0.001999) + 1e-8).
  adamAscend(params, [new Float32Array([0.25, 1])], state, { lr });
  assertClose(state.m[0][0], 0.07, 1e-15, "m₀ after step 2");
  assertClose(state.v[0][0], 0.00031225, 1e-17, "v₀ after step 2");
  const step = 0.01 * (0.07 / 0.19) / (Math.sqrt(0.00031225 / 0.001999) + 1e-8);
  assertClose(step, 0.0093218, 1e-7, "the step itself");
  assertClose(params[0][0], Math.fround(theta0 + step), 1.2e-7, "θ₀ after step 2");
});

Deno.test("adamAscend: β₁, β₂ and ε are honoured", () => {
  // β₁ = β₂ = 0: m = g, v = g², no bias correction, step lr·g/(|g| + ε). With ε = 1 and g = 1 the
  // step is lr/2; with g = −3 it is −lr·3/4.
  const params = [new Float32Array([0, 0])];
  const state = adamInit(params);
  const config = { lr: 0.5, beta1: 0, beta2: 0, epsilon: 1 };
  adamAscend(params, [new Float32Array([1, -3])], state, config);
  assert.deepEqual(Array.from(params[0]), [0.25, -0.375]);
  // A second step forgets the first gradient entirely (β = 0).
  adamAscend(params, [new Float32Array([3, 1])], state, config);
  assert.deepEqual(Array.from(params[0]), [0.25 + 0.375, -0.375 + 0.25]);
  // Against the reference with non-default values.
  const p2 = [new Float32Array([1, -2])];
  const s2 = adamInit(p2);
  const ref = referenceAdam([1, -2], GRADIENTS, 0.03, 0.5, 0.9, 0.1);
  for (const g of GRADIENTS) {
    adamAscend(p2, [new Float32Array(g)], s2, { lr: 0.03, beta1: 0.5, beta2: 0.9, epsilon: 0.1 });
  }
  assertClose(p2[0][0], ref.theta[3][0], 3e-7, "θ₀");
  assertClose(p2[0][1], ref.theta[3][1], 3e-7, "θ₁");
});

Deno.test("adamAscend: moves uphill and climbs to the maximum of a concave objective", () => {
  // f(θ) = −Σ (θᵢ − cᵢ)², ∇f = −2(θ − c), maximum at c.
  const c = [[1, -2], [0.5]];
  const params = [new Float32Array([0, 0]), new Float32Array([0])];
  const state = adamInit(params);
  const f = () =>
    -params.reduce((a, p, k) => a + p.reduce((b, v, i) => b + (v - c[k][i]) ** 2, 0), 0);
  const gradient = () => params.map((p, k) => p.map((v, i) => -2 * (v - c[k][i])));
  const f0 = f();
  adamAscend(params, gradient(), state, { lr: 0.05 });
  // Each coordinate moved by lr towards its target.
  assertClose(params[0][0], 0.05, 1e-7, "θ₀");
  assertClose(params[0][1], -0.05, 1e-7, "θ₁");
  assertClose(params[1][0], 0.05, 1e-7, "θ₂");
  assert.ok(f() > f0);
  for (let s = 0; s < 20; s++) {
    const before = f();
    adamAscend(params, gradient(), state, { lr: 0.05 });
    assert.ok(f() > before, `step ${s + 2} increases f`);
  }
  for (let s = 0; s < 500; s++) adamAscend(params, gradient(), state, { lr: 0.05 });
  assert.ok(f() > -1e-3, `f = ${f()} near its maximum 0`);
  // Zero gradient at the start: nothing moves.
  const still = [new Float32Array([0.3])];
  adamAscend(still, [new Float32Array([0])], adamInit(still), { lr: 1 });
  assert.equal(still[0][0], Math.fround(0.3));
});
