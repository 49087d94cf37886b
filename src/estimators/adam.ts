/**
 * Adam (Kingma & Ba 2015) as a gradient-ascent step on {@linkcode PolicyParams}, with the moment
 * estimates in float64. Defaults are TensorFlow's: β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
 *
 * @module
 */
import type { PolicyParams } from "./policy.ts";

/**
 * Adam's state: step count and first/second moment estimates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { adamAscend, adamInit, type AdamState } from "./adam.ts";
 * const theta = [new Float32Array([0])];
 * const state: AdamState = adamInit(theta);
 * adamAscend(theta, [new Float32Array([2])], state, { lr: 0.1 });
 * // m = (1 − β₁)·g, v = (1 − β₂)·g²
 * assert.equal(state.step, 1, "moments");
 * assert.ok(Math.abs(state.m[0][0] - 0.2) <= 1e-12, "moments");
 * assert.ok(Math.abs(state.v[0][0] - 0.004) <= 1e-12, "second moment");
 * ```
 */
export interface AdamState {
  step: number;
  readonly m: Float64Array[];
  readonly v: Float64Array[];
}

/** Hyperparameters of Adam. */
export interface AdamConfig {
  readonly lr: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

/**
 * Zero moments shaped like `params`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { adamInit } from "./adam.ts";
 * const state = adamInit([new Float32Array(3), new Float32Array(1)]);
 * assert.equal(state.step, 0, "zeros");
 * assert.equal(state.m[0].length, 3, "zeros");
 * assert.equal(state.v[1][0], 0, "zeros");
 * ```
 */
export function adamInit(params: PolicyParams): AdamState {
  return {
    step: 0,
    m: params.map((p) => new Float64Array(p.length)),
    v: params.map((p) => new Float64Array(p.length)),
  };
}

/**
 * One Adam ascent step in place: θ ← θ + lr · m̂ / (√v̂ + ε).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { adamAscend, adamInit } from "./adam.ts";
 * const theta = [new Float32Array([0])];
 * const state = adamInit(theta);
 * adamAscend(theta, [new Float32Array([5])], state, { lr: 0.1 });
 * // The first step moves every coordinate by lr in the gradient's direction.
 * assert.ok(Math.abs(theta[0][0] - 0.1) <= 1e-6, "unexpected step");
 * ```
 */
export function adamAscend(
  params: PolicyParams,
  gradient: PolicyParams,
  state: AdamState,
  config: AdamConfig,
): void {
  const b1 = config.beta1 ?? 0.9, b2 = config.beta2 ?? 0.999, eps = config.epsilon ?? 1e-8;
  state.step += 1;
  const c1 = 1 - Math.pow(b1, state.step), c2 = 1 - Math.pow(b2, state.step);
  for (let k = 0; k < params.length; k++) {
    const p = params[k], g = gradient[k], m = state.m[k], v = state.v[k];
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] = p[i] + config.lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
    }
  }
}
