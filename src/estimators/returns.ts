/**
 * Discounting, reward-to-go, generalised advantage estimation (GAE), the linear feature
 * baseline and advantage normalisation, in float64.
 *
 * A trajectory ("path") of length L ≥ 1 is given by its rewards r_0 … r_{L−1} and, where a
 * baseline is fitted, its observations s_0 … s_{L−1} (row-major, L rows × obsDim).
 *
 * Two reward-to-go conventions appear:
 * - absolute (the paper's eq. 4): R^h = Σ_{t≥h} γ^t r_t, so R^0 = R(τ) = Σ_t γ^t r_t;
 * - relative (the usual discounted cumulative sum): G^h = Σ_{t≥h} γ^{t−h} r_t.
 *
 * They are related by R^h = γ^h G^h. Every function is deterministic: the same inputs give
 * bit-identical outputs, because every sum is accumulated in a fixed order.
 *
 * @module
 */

/** Which reward-to-go convention {@link rewardToGo} uses. */
export type RewardToGoMode = "absolute" | "relative";

/** One trajectory as the estimators see it. */
export interface ReturnPath {
  /** s_0 … s_{L−1}, row-major, L × obsDim. */
  readonly observations: Float64Array;
  /** r_0 … r_{L−1}, L ≥ 1. */
  readonly rewards: Float64Array;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

function checkUnitInterval(name: string, value: number): void {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be a number in [0, 1], got ${value}`);
  }
}

function checkFinite(name: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number, got ${value}`);
  }
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

function checkSteps(name: string, values: Float64Array): void {
  if (!(values instanceof Float64Array)) {
    throw new RangeError(`${name} must be a Float64Array`);
  }
  if (values.length < 1) throw new RangeError(`${name} must have at least one step`);
}

function checkObservations(
  name: string,
  observations: Float64Array,
  obsDim: number,
  length: number,
): void {
  if (!(observations instanceof Float64Array)) {
    throw new RangeError(`${name} must be a Float64Array`);
  }
  if (observations.length !== length * obsDim) {
    throw new RangeError(
      `${name} has length ${observations.length}, expected ${length} steps × obsDim ${obsDim}`,
    );
  }
}

function checkPaths(paths: ReadonlyArray<ReturnPath>, obsDim: number): void {
  if (!Array.isArray(paths) || paths.length < 1) {
    throw new RangeError("paths must contain at least one path");
  }
  checkPositiveInteger("obsDim", obsDim);
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i];
    checkSteps(`paths[${i}].rewards`, p.rewards);
    checkObservations(`paths[${i}].observations`, p.observations, obsDim, p.rewards.length);
  }
}

// ---------------------------------------------------------------------------------------------
// Discounting
// ---------------------------------------------------------------------------------------------

/**
 * γ^0 … γ^{L−1} by repeated multiplication (γ^0 = 1, γ^h = γ^{h−1}·γ). Every step is one
 * correctly rounded IEEE product, so the powers are deterministic, and 0^0 = 1.
 */
function discountPowers(gamma: number, length: number): Float64Array {
  const powers = new Float64Array(length);
  let p = 1;
  for (let h = 0; h < length; h++) {
    powers[h] = p;
    p *= gamma;
  }
  return powers;
}

/** R^h = γ^h r_h + R^{h+1} with R^L = 0, given the powers γ^h. */
function absoluteRewardToGo(rewards: Float64Array, powers: Float64Array): Float64Array {
  const out = new Float64Array(rewards.length);
  let acc = 0;
  for (let h = rewards.length - 1; h >= 0; h--) {
    acc = powers[h] * rewards[h] + acc;
    out[h] = acc;
  }
  return out;
}

/**
 * The discounted return R(τ) = Σ_{t=0}^{L−1} γ^t r_t.
 *
 * The sum is accumulated backwards (from t = L−1 to 0) with γ^t formed by repeated
 * multiplication, exactly as {@link rewardToGo} does in "absolute" mode, so the result is
 * bit-identical to that function's R^0.
 *
 * @param rewards r_0 … r_{L−1}, L ≥ 1.
 * @param gamma The discount factor γ ∈ [0, 1].
 * @returns R(τ).
 * @throws {RangeError} When `rewards` is empty or `gamma` lies outside [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { discountedReturn } from "./returns.ts";
 *
 * // 1 + 0.5·2 + 0.25·4 = 3
 * assert.equal(discountedReturn(new Float64Array([1, 2, 4]), 0.5), 3, "unexpected");
 * ```
 */
export function discountedReturn(rewards: Float64Array, gamma: number): number {
  checkSteps("rewards", rewards);
  checkUnitInterval("gamma", gamma);
  const powers = discountPowers(gamma, rewards.length);
  let acc = 0;
  for (let t = rewards.length - 1; t >= 0; t--) acc = powers[t] * rewards[t] + acc;
  return acc;
}

/**
 * The discounted cumulative sum y_h = Σ_{t≥h} factor^{t−h} x_t, computed by the backward
 * recursion y_{L−1} = x_{L−1}, y_h = x_h + factor·y_{h+1}.
 *
 * An empty input gives an empty output.
 *
 * @param x x_0 … x_{L−1}.
 * @param factor The per-step factor (any finite number; γ for returns, γλ for GAE).
 * @returns y_0 … y_{L−1}.
 * @throws {RangeError} When `factor` is not finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { discountCumsum } from "./returns.ts";
 *
 * // y_2 = 3, y_1 = 2 + 0.5·3 = 3.5, y_0 = 1 + 0.5·3.5 = 2.75
 * const y = discountCumsum(new Float64Array([1, 2, 3]), 0.5);
 * assert.equal(y[0], 2.75, "unexpected");
 * assert.equal(y[1], 3.5, "unexpected");
 * assert.equal(y[2], 3, "unexpected");
 * ```
 */
export function discountCumsum(x: Float64Array, factor: number): Float64Array {
  if (!(x instanceof Float64Array)) throw new RangeError("x must be a Float64Array");
  checkFinite("factor", factor);
  const out = new Float64Array(x.length);
  if (x.length === 0) return out;
  let acc = x[x.length - 1];
  out[x.length - 1] = acc;
  for (let h = x.length - 2; h >= 0; h--) {
    acc = x[h] + factor * acc;
    out[h] = acc;
  }
  return out;
}

/**
 * Reward-to-go for every step of a path.
 *
 * - `"absolute"` (the paper's eq. 4, used by the raw estimator): R^h = Σ_{t≥h} γ^t r_t, so
 *   R^0 = R(τ). Computed by the backward recursion R^h = γ^h r_h + R^{h+1} (R^L = 0), with
 *   γ^h formed by repeated multiplication γ^h = γ^{h−1}·γ. Each term γ^t r_t is therefore
 *   formed once and the sum is the plain backward sum of those terms: no quantity is
 *   rescaled after summation, and R^0 equals {@link discountedReturn} bit for bit.
 * - `"relative"`: G^h = Σ_{t≥h} γ^{t−h} r_t, i.e. {@link discountCumsum}(rewards, γ).
 *
 * @param rewards r_0 … r_{L−1}, L ≥ 1.
 * @param gamma The discount factor γ ∈ [0, 1].
 * @param mode `"absolute"` or `"relative"`.
 * @returns One value per step.
 * @throws {RangeError} When `rewards` is empty, `gamma` lies outside [0, 1] or `mode` is unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewardToGo } from "./returns.ts";
 *
 * const r = new Float64Array([1, 2, 4]);
 * const abs = rewardToGo(r, 0.5, "absolute"); // [1 + 1 + 1, 0.5·2 + 0.25·4, 0.25·4] = [3, 2, 1]
 * const rel = rewardToGo(r, 0.5, "relative"); // [1 + 1 + 1, 2 + 0.5·4, 4] = [3, 4, 4]
 * assert.equal(abs.join(), "3,2,1", "unexpected");
 * assert.equal(rel.join(), "3,4,4", "unexpected");
 * ```
 */
export function rewardToGo(
  rewards: Float64Array,
  gamma: number,
  mode: RewardToGoMode,
): Float64Array {
  checkSteps("rewards", rewards);
  checkUnitInterval("gamma", gamma);
  if (mode === "absolute") {
    return absoluteRewardToGo(rewards, discountPowers(gamma, rewards.length));
  }
  if (mode === "relative") return discountCumsum(rewards, gamma);
  throw new RangeError(`mode must be "absolute" or "relative", got ${String(mode)}`);
}

/**
 * Generalised advantage estimation for one path.
 *
 * The path is treated as ended after its last step (no bootstrap, v_L = 0):
 * δ_h = r_h + γ v_{h+1} − v_h and Â_h = Σ_{t≥h} (γλ)^{t−h} δ_t = discountCumsum(δ, γλ)_h.
 * With λ = 1, Â_h = G^h − v_h (relative reward-to-go minus the value); with λ = 0, Â_h = δ_h.
 *
 * @param rewards r_0 … r_{L−1}, L ≥ 1.
 * @param values v_0 … v_{L−1}: the baseline's prediction at each step.
 * @param gamma The discount factor γ ∈ [0, 1].
 * @param lambda The GAE parameter λ ∈ [0, 1].
 * @returns Â_0 … Â_{L−1}.
 * @throws {RangeError} On an empty path, mismatched lengths, or γ or λ outside [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gae } from "./returns.ts";
 *
 * // δ = [1 + 0.5·1 − 1, 2 + 0 − 1] = [0.5, 1]; Â = [0.5 + 0.25·1, 1] = [0.75, 1]
 * const a = gae(new Float64Array([1, 2]), new Float64Array([1, 1]), 0.5, 0.5);
 * assert.equal(a[0], 0.75, "unexpected");
 * assert.equal(a[1], 1, "unexpected");
 * ```
 */
export function gae(
  rewards: Float64Array,
  values: Float64Array,
  gamma: number,
  lambda: number,
): Float64Array {
  checkSteps("rewards", rewards);
  if (!(values instanceof Float64Array)) throw new RangeError("values must be a Float64Array");
  if (values.length !== rewards.length) {
    throw new RangeError(
      `values has length ${values.length}, expected the rewards length ${rewards.length}`,
    );
  }
  checkUnitInterval("gamma", gamma);
  checkUnitInterval("lambda", lambda);
  const L = rewards.length;
  const deltas = new Float64Array(L);
  for (let h = 0; h < L; h++) {
    const next = h + 1 < L ? values[h + 1] : 0;
    deltas[h] = rewards[h] + gamma * next - values[h];
  }
  return discountCumsum(deltas, gamma * lambda);
}

// ---------------------------------------------------------------------------------------------
// Linear feature baseline
// ---------------------------------------------------------------------------------------------

/**
 * The number of features per step of the linear baseline: k = 2·obsDim + 4.
 *
 * @param obsDim The observation dimension (a positive integer).
 * @returns 2·obsDim + 4.
 * @throws {RangeError} When `obsDim` is not a positive integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { baselineFeatureCount } from "./returns.ts";
 *
 * assert.equal(baselineFeatureCount(3), 10, "unexpected");
 * ```
 */
export function baselineFeatureCount(obsDim: number): number {
  checkPositiveInteger("obsDim", obsDim);
  return 2 * obsDim + 4;
}

/**
 * The linear baseline's features of one path.
 *
 * Row h is [o, o², t, t², t³, 1] with o = clip(s_h, −10, 10) elementwise, o² its elementwise
 * square, and t = h/100 (t² = t·t, t³ = t·t·t). A NaN observation stays NaN.
 *
 * @param observations s_0 … s_{L−1}, row-major, `length` × `obsDim`.
 * @param obsDim The observation dimension.
 * @param length The number of steps L ≥ 1.
 * @returns `length` × (2·obsDim + 4) features, row-major.
 * @throws {RangeError} When `obsDim` or `length` is not a positive integer or the observation
 * count does not match.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { baselineFeatures } from "./returns.ts";
 *
 * // one step (h = 0, t = 0) of a 1-dimensional observation 12 → clipped to 10
 * const f = baselineFeatures(new Float64Array([12]), 1, 1);
 * assert.equal(f.join(), "10,100,0,0,0,1", "unexpected");
 * ```
 */
export function baselineFeatures(
  observations: Float64Array,
  obsDim: number,
  length: number,
): Float64Array {
  const k = baselineFeatureCount(obsDim);
  checkPositiveInteger("length", length);
  checkObservations("observations", observations, obsDim, length);
  const out = new Float64Array(length * k);
  for (let h = 0; h < length; h++) {
    const row = h * k;
    for (let j = 0; j < obsDim; j++) {
      const s = observations[h * obsDim + j];
      const o = s > 10 ? 10 : s < -10 ? -10 : s;
      out[row + j] = o;
      out[row + obsDim + j] = o * o;
    }
    const t = h / 100;
    out[row + 2 * obsDim] = t;
    out[row + 2 * obsDim + 1] = t * t;
    out[row + 2 * obsDim + 2] = t * t * t;
    out[row + 2 * obsDim + 3] = 1;
  }
  return out;
}

/**
 * Solves the k × k linear system A x = b in float64, deterministically.
 *
 * A is first factorised by Cholesky (A = L Lᵀ, reading A's lower triangle, so A is assumed
 * symmetric). If a Cholesky pivot is not a positive finite number, A is not numerically
 * positive definite and the system is solved instead by Gaussian elimination with partial
 * pivoting on the full matrix (the first row of largest absolute value wins a tie). If that
 * meets a pivot column that is entirely zero, A is singular and the result is all NaN; if A
 * or b contains a non-finite entry the result is all NaN as well. A and b are not modified.
 *
 * @param matrix A, row-major, k × k.
 * @param rhs b, length k.
 * @param k The dimension.
 * @returns x, length k (all NaN when A is singular).
 * @throws {RangeError} When the sizes do not match.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { solveLinearSystem } from "./returns.ts";
 *
 * // [[4, 2], [2, 3]] x = [10, 8] → x = [1.75, 1.5]
 * const x = solveLinearSystem(new Float64Array([4, 2, 2, 3]), new Float64Array([10, 8]), 2);
 * assert.ok(Math.abs(x[0] - 1.75) <= 1e-12, "unexpected");
 * assert.ok(Math.abs(x[1] - 1.5) <= 1e-12, "unexpected");
 * // singular: all NaN
 * const y = solveLinearSystem(new Float64Array([1, 1, 1, 1]), new Float64Array([1, 1]), 2);
 * assert.ok(Number.isNaN(y[0]), "unexpected");
 * ```
 */
export function solveLinearSystem(
  matrix: Float64Array,
  rhs: Float64Array,
  k: number,
): Float64Array {
  checkPositiveInteger("k", k);
  if (!(matrix instanceof Float64Array) || matrix.length !== k * k) {
    throw new RangeError(`matrix must be a Float64Array of length k·k = ${k * k}`);
  }
  if (!(rhs instanceof Float64Array) || rhs.length !== k) {
    throw new RangeError(`rhs must be a Float64Array of length k = ${k}`);
  }
  for (let i = 0; i < k * k; i++) {
    if (!Number.isFinite(matrix[i])) return new Float64Array(k).fill(NaN);
  }
  for (let i = 0; i < k; i++) if (!Number.isFinite(rhs[i])) return new Float64Array(k).fill(NaN);
  return choleskySolve(matrix, rhs, k) ?? gaussianSolve(matrix, rhs, k);
}

/** Cholesky solve; undefined when A is not numerically positive definite. */
function choleskySolve(a: Float64Array, b: Float64Array, k: number): Float64Array | undefined {
  const l = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j];
    for (let m = 0; m < j; m++) d -= l[j * k + m] * l[j * k + m];
    if (!(d > 0) || !Number.isFinite(d)) return undefined;
    const ljj = Math.sqrt(d);
    l[j * k + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      let s = a[i * k + j];
      for (let m = 0; m < j; m++) s -= l[i * k + m] * l[j * k + m];
      l[i * k + j] = s / ljj;
    }
  }
  // L z = b
  const z = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i];
    for (let m = 0; m < i; m++) s -= l[i * k + m] * z[m];
    z[i] = s / l[i * k + i];
  }
  // Lᵀ x = z
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = z[i];
    for (let m = i + 1; m < k; m++) s -= l[m * k + i] * x[m];
    x[i] = s / l[i * k + i];
  }
  return x;
}

/** Gaussian elimination with partial pivoting; all NaN when A is singular. */
function gaussianSolve(a0: Float64Array, b0: Float64Array, k: number): Float64Array {
  const a = Float64Array.from(a0);
  const b = Float64Array.from(b0);
  for (let c = 0; c < k; c++) {
    let p = c;
    let best = Math.abs(a[c * k + c]);
    for (let r = c + 1; r < k; r++) {
      const v = Math.abs(a[r * k + c]);
      if (v > best) (best = v, p = r);
    }
    if (!(best > 0)) return new Float64Array(k).fill(NaN);
    if (p !== c) {
      for (let j = 0; j < k; j++) {
        const tmp = a[c * k + j];
        a[c * k + j] = a[p * k + j];
        a[p * k + j] = tmp;
      }
      const tb = b[c];
      b[c] = b[p];
      b[p] = tb;
    }
    const pivot = a[c * k + c];
    for (let r = c + 1; r < k; r++) {
      const f = a[r * k + c] / pivot;
      if (f === 0) continue;
      a[r * k + c] = 0;
      for (let j = c + 1; j < k; j++) a[r * k + j] -= f * a[c * k + j];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < k; j++) s -= a[i * k + j] * x[j];
    x[i] = s / a[i * k + i];
  }
  return x;
}

/** Outcome of a regularised least-squares solve with retries. */
export interface RidgeSolution {
  /** The coefficients w (all zeros when every attempt failed). */
  readonly coeffs: Float64Array;
  /** The regularisation of the successful attempt, or of the last attempt when all failed. */
  readonly regCoeff: number;
  /** How many solves were attempted (1 … retries). */
  readonly attempts: number;
  /** Whether an attempt produced finite coefficients. */
  readonly converged: boolean;
}

/**
 * Solves (G + reg·I) w = c, retrying with reg multiplied by 10 while the solution has a NaN or
 * other non-finite coefficient, for at most `retries` attempts. When every attempt fails the
 * coefficients are all zero (a baseline that predicts 0 everywhere, like an unfitted baseline).
 * Note that a starting reg of 0 stays 0 on every retry.
 *
 * @param gram G, row-major, k × k (symmetric, e.g. FᵀF).
 * @param rhs c, length k (e.g. Fᵀy).
 * @param k The dimension.
 * @param regCoeff The starting regularisation reg ≥ 0.
 * @param retries The maximum number of attempts (a positive integer).
 * @returns The coefficients and how they were obtained.
 * @throws {RangeError} When sizes do not match, `regCoeff` is negative or not finite, or
 * `retries` is not a positive integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { solveRidgeWithRetries } from "./returns.ts";
 *
 * // G + 1·I = [[1, 1], [1, 1]] is singular; the retry with reg = 10 succeeds.
 * const s = solveRidgeWithRetries(new Float64Array([0, 1, 1, 0]), new Float64Array([11, 11]), 2, 1, 5);
 * assert.equal(s.attempts, 2, "unexpected");
 * assert.equal(s.regCoeff, 10, "unexpected");
 * assert.ok(s.converged, "unexpected");
 * assert.ok(Math.abs(s.coeffs[0] - 1) <= 1e-12, "unexpected");
 * assert.ok(Math.abs(s.coeffs[1] - 1) <= 1e-12, "unexpected");
 * ```
 */
export function solveRidgeWithRetries(
  gram: Float64Array,
  rhs: Float64Array,
  k: number,
  regCoeff: number,
  retries: number,
): RidgeSolution {
  checkPositiveInteger("k", k);
  if (!(gram instanceof Float64Array) || gram.length !== k * k) {
    throw new RangeError(`gram must be a Float64Array of length k·k = ${k * k}`);
  }
  if (!(rhs instanceof Float64Array) || rhs.length !== k) {
    throw new RangeError(`rhs must be a Float64Array of length k = ${k}`);
  }
  if (typeof regCoeff !== "number" || !Number.isFinite(regCoeff) || regCoeff < 0) {
    throw new RangeError(`regCoeff must be a finite number ≥ 0, got ${regCoeff}`);
  }
  checkPositiveInteger("retries", retries);
  let reg = regCoeff;
  for (let attempt = 1; attempt <= retries; attempt++) {
    const a = Float64Array.from(gram);
    for (let i = 0; i < k; i++) a[i * k + i] += reg;
    const w = solveLinearSystem(a, rhs, k);
    if (w.every(Number.isFinite)) {
      return { coeffs: w, regCoeff: reg, attempts: attempt, converged: true };
    }
    if (attempt < retries) reg *= 10;
  }
  return { coeffs: new Float64Array(k), regCoeff: reg, attempts: retries, converged: false };
}

/** Options of {@link fitLinearBaseline}. */
export interface LinearBaselineOptions {
  /** Starting ridge regularisation (default 1e-5). */
  readonly regCoeff?: number;
  /** Maximum number of solve attempts, reg ×10 after each failure (default 5). */
  readonly retries?: number;
}

/** The ridge fit's default regularisation and number of attempts ({@link fitLinearBaseline}). */
const DEFAULT_REG_COEFF = 1e-5, DEFAULT_RETRIES = 5;

/**
 * Fits the linear feature baseline to a batch of paths by ridge regression.
 *
 * The features F (N × k, see {@link baselineFeatures}) of all paths are stacked in order, with
 * targets y = the relative reward-to-go G^h = Σ_{t≥h} γ^{t−h} r_t of each path. The
 * coefficients solve (FᵀF + reg·I) w = Fᵀy; FᵀF and Fᵀy are accumulated row by row (paths in
 * order, steps in order), so the fit is bit-identical from run to run. If a coefficient is
 * NaN or otherwise non-finite, reg is multiplied by 10 and the system solved again, for at
 * most `retries` attempts ({@link solveRidgeWithRetries}); if every attempt fails, the
 * coefficients are all zero, so the baseline predicts 0 — the prediction of a baseline that
 * was never fitted.
 *
 * @param paths The batch (at least one path).
 * @param obsDim The observation dimension.
 * @param gamma The discount factor γ ∈ [0, 1] of the targets.
 * @param options `regCoeff` (default 1e-5) and `retries` (default 5).
 * @returns The coefficients, length 2·obsDim + 4, and how they were obtained.
 * @throws {RangeError} On invalid paths, `obsDim`, `gamma` or options.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitLinearBaseline, predictLinearBaseline } from "./returns.ts";
 *
 * // A constant reward of 1 with γ = 0: the targets are all 1, which the bias feature fits.
 * const path = { observations: new Float64Array([0.3, -0.2, 0.7]), rewards: new Float64Array([1, 1, 1]) };
 * const { coeffs } = fitLinearBaseline([path], 1, 0);
 * const b = predictLinearBaseline(coeffs, path.observations, 1, 3);
 * assert.ok(!b.some((v) => Math.abs(v - 1) > 1e-3), "unexpected");
 * ```
 */
export function fitLinearBaseline(
  paths: ReadonlyArray<ReturnPath>,
  obsDim: number,
  gamma: number,
  options: LinearBaselineOptions = {},
): RidgeSolution {
  checkPaths(paths, obsDim);
  checkUnitInterval("gamma", gamma);
  const regCoeff = options.regCoeff ?? DEFAULT_REG_COEFF;
  const retries = options.retries ?? DEFAULT_RETRIES;
  if (typeof regCoeff !== "number" || !Number.isFinite(regCoeff) || regCoeff < 0) {
    throw new RangeError(`options.regCoeff must be a finite number ≥ 0, got ${regCoeff}`);
  }
  if (!Number.isInteger(retries) || retries < 1) {
    throw new RangeError(`options.retries must be a positive integer, got ${retries}`);
  }
  const features = paths.map((p) => baselineFeatures(p.observations, obsDim, p.rewards.length));
  return fitFromFeatures(paths, features, obsDim, gamma, regCoeff, retries);
}

/**
 * {@link fitLinearBaseline} from each path's features (computed once by the caller, who may use
 * them again for the prediction): FᵀF and Fᵀy accumulated row by row, paths in order, then solved.
 */
function fitFromFeatures(
  paths: ReadonlyArray<ReturnPath>,
  features: readonly Float64Array[],
  obsDim: number,
  gamma: number,
  regCoeff: number,
  retries: number,
): RidgeSolution {
  const k = 2 * obsDim + 4;
  const gram = new Float64Array(k * k);
  const rhs = new Float64Array(k);
  paths.forEach((path, p) => {
    const L = path.rewards.length;
    const f = features[p];
    const y = discountCumsum(path.rewards, gamma);
    for (let h = 0; h < L; h++) {
      const row = h * k;
      for (let i = 0; i < k; i++) {
        const fi = f[row + i];
        rhs[i] += fi * y[h];
        for (let j = 0; j <= i; j++) gram[i * k + j] += fi * f[row + j];
      }
    }
  });
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) gram[i * k + j] = gram[j * k + i];
  return solveRidgeWithRetries(gram, rhs, k, regCoeff, retries);
}

/**
 * The linear baseline's prediction b_h = features(s_h, h) · w for every step of a path.
 *
 * @param coeffs w, length 2·obsDim + 4 (from {@link fitLinearBaseline}).
 * @param observations s_0 … s_{L−1}, row-major.
 * @param obsDim The observation dimension.
 * @param length The number of steps L ≥ 1.
 * @returns b_0 … b_{L−1}.
 * @throws {RangeError} When sizes do not match.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { predictLinearBaseline } from "./returns.ts";
 *
 * // w = [o: 2, o²: 0, t: 100, t²: 0, t³: 0, bias: 1]; step h = 1 of observation 3: 2·3 + 100·0.01 + 1
 * const w = new Float64Array([2, 0, 100, 0, 0, 1]);
 * const b = predictLinearBaseline(w, new Float64Array([5, 3]), 1, 2);
 * assert.equal(b[0], 11, "unexpected");
 * assert.equal(b[1], 8, "unexpected");
 * ```
 */
export function predictLinearBaseline(
  coeffs: Float64Array,
  observations: Float64Array,
  obsDim: number,
  length: number,
): Float64Array {
  const k = baselineFeatureCount(obsDim);
  if (!(coeffs instanceof Float64Array) || coeffs.length !== k) {
    throw new RangeError(`coeffs must be a Float64Array of length 2·obsDim + 4 = ${k}`);
  }
  return predictFromFeatures(coeffs, baselineFeatures(observations, obsDim, length), length, k);
}

/** b_h = features_h · w for `length` rows of `k` features. */
function predictFromFeatures(
  coeffs: Float64Array,
  f: Float64Array,
  length: number,
  k: number,
): Float64Array {
  const out = new Float64Array(length);
  for (let h = 0; h < length; h++) {
    let s = 0;
    for (let i = 0; i < k; i++) s += f[h * k + i] * coeffs[i];
    out[h] = s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------

/** Result of {@link normalize}. */
export interface Normalized {
  /** (x − mean)/(std + 1e-8). */
  readonly values: Float64Array;
  /** The mean of x. */
  readonly mean: number;
  /** The population standard deviation of x (divide by n), before normalising. */
  readonly std: number;
}

/**
 * Normalises to zero mean and (up to the 1e-8 guard) unit standard deviation:
 * values = (x − mean)/(std + 1e-8), with std the population standard deviation
 * sqrt(Σ (x − mean)²/n). A single element has std 0 and normalises to 0.
 *
 * @param x At least one value.
 * @returns The normalised values, the mean and the std.
 * @throws {RangeError} When `x` is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalize } from "./returns.ts";
 *
 * // mean 2, population std 1
 * const n = normalize(new Float64Array([1, 3]));
 * assert.equal(n.mean, 2, "unexpected");
 * assert.equal(n.std, 1, "unexpected");
 * assert.ok(Math.abs(n.values[0] + 1) <= 1e-7, "unexpected");
 * ```
 */
export function normalize(x: Float64Array): Normalized {
  if (!(x instanceof Float64Array)) throw new RangeError("x must be a Float64Array");
  if (x.length < 1) throw new RangeError("x must contain at least one value");
  const n = x.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - mean;
    ss += d * d;
  }
  const std = Math.sqrt(ss / n);
  const denom = std + 1e-8;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = (x[i] - mean) / denom;
  return { values, mean, std };
}

// ---------------------------------------------------------------------------------------------
// One task's batch
// ---------------------------------------------------------------------------------------------

/**
 * How per-sample advantages are computed from one task's batch of paths.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AdvantageConfig, processBatch } from "./returns.ts";
 * // Reward-to-go with γ = 1, no baseline, no normalisation: the raw estimator's weights.
 * const config: AdvantageConfig = {
 *   estimator: "reward-to-go", gamma: 1, gaeLambda: 1, baseline: "none", normalize: false,
 * };
 * const processed = processBatch([{
 *   observations: new Float64Array([0, 0]), rewards: new Float64Array([1, 2]),
 * }], 1, config);
 * assert.equal(processed.advantages.join(), "3,2", "R^0 = 3, R^1 = 2");
 * ```
 */
export interface AdvantageConfig {
  /**
   * "reward-to-go": the per-step weight R^h = Σ_{t≥h} γ^t r_t (absolute discounting, eq. 4),
   * minus γ^h b_h with a linear baseline; "gae": GAE advantages.
   */
  readonly estimator: "reward-to-go" | "gae";
  /** The discount factor γ ∈ [0, 1]. */
  readonly gamma: number;
  /** The GAE parameter λ ∈ [0, 1]; used only when estimator = "gae". */
  readonly gaeLambda: number;
  /**
   * "none": no baseline (values 0); "linear": the linear feature baseline fitted on this batch
   * (targets: relative reward-to-go) and predicted for each of its paths.
   */
  readonly baseline: "none" | "linear";
  /** Normalise the batch's advantages to zero mean, unit std. */
  readonly normalize: boolean;
}

/**
 * One task's batch after advantage estimation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { processBatch, type ProcessedBatch, referenceAdvantageConfig } from "./returns.ts";
 * const paths = [
 *   { observations: new Float64Array([0, 1, 2]), rewards: new Float64Array([1, 0, 1]) },
 *   { observations: new Float64Array([0, 1]), rewards: new Float64Array([0, 2]) },
 * ];
 * const b: ProcessedBatch = processBatch(paths, 1, referenceAdvantageConfig());
 * const mean = b.advantages.reduce((s, a) => s + a, 0) / b.sampleCount;
 * assert.equal(b.sampleCount, 5, "normalised advantages");
 * assert.ok(Math.abs(mean) <= 1e-12, "normalised advantages");
 * assert.equal(b.undiscountedReturns.join(), "2,2", "returns for the tables");
 * ```
 */
export interface ProcessedBatch {
  /** One weight per (s, a) sample, paths concatenated in order. */
  readonly advantages: Float64Array;
  /** Population std σ of the advantages before normalisation (1 when normalize is false). */
  readonly advantageStd: number;
  /** What the advantages were divided by: σ + 1e-8 (1 when normalize is false). */
  readonly advantageDivisor: number;
  /** The total number of samples N. */
  readonly sampleCount: number;
  /** The length of each path. */
  readonly pathLengths: Int32Array;
  /** Undiscounted return Σ_t r_t of each path (for logging). */
  readonly undiscountedReturns: Float64Array;
  /** Discounted return R(τ) = Σ_t γ^t r_t of each path (used for J̃). */
  readonly discountedReturns: Float64Array;
}

/**
 * The raw estimator's configuration: absolute reward-to-go R^h, no baseline, no
 * normalisation (the λ field is unused and set to 1).
 *
 * @param gamma The discount factor γ ∈ [0, 1].
 * @returns The configuration.
 * @throws {RangeError} When `gamma` lies outside [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rawAdvantageConfig } from "./returns.ts";
 *
 * const c = rawAdvantageConfig(0.99);
 * assert.equal(c.estimator, "reward-to-go", "unexpected");
 * assert.equal(c.baseline, "none", "unexpected");
 * assert.ok(!c.normalize, "unexpected");
 * ```
 */
export function rawAdvantageConfig(gamma: number): AdvantageConfig {
  checkUnitInterval("gamma", gamma);
  return { estimator: "reward-to-go", gamma, gaeLambda: 1, baseline: "none", normalize: false };
}

/**
 * The reference trainer's configuration: GAE with the linear feature baseline, normalised
 * per task.
 *
 * @param gamma The discount factor γ ∈ [0, 1] (default 0.99).
 * @param gaeLambda The GAE parameter λ ∈ [0, 1] (default 0.997).
 * @returns The configuration.
 * @throws {RangeError} When `gamma` or `gaeLambda` lies outside [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { referenceAdvantageConfig } from "./returns.ts";
 *
 * const c = referenceAdvantageConfig();
 * assert.equal(c.estimator, "gae", "unexpected");
 * assert.equal(c.gamma, 0.99, "unexpected");
 * assert.equal(c.gaeLambda, 0.997, "unexpected");
 * ```
 */
export function referenceAdvantageConfig(gamma = 0.99, gaeLambda = 0.997): AdvantageConfig {
  checkUnitInterval("gamma", gamma);
  checkUnitInterval("gaeLambda", gaeLambda);
  return { estimator: "gae", gamma, gaeLambda, baseline: "linear", normalize: true };
}

function checkConfig(config: AdvantageConfig): void {
  if (config === null || typeof config !== "object") {
    throw new RangeError("config must be an AdvantageConfig object");
  }
  if (config.estimator !== "reward-to-go" && config.estimator !== "gae") {
    throw new RangeError(
      `config.estimator must be "reward-to-go" or "gae", got ${String(config.estimator)}`,
    );
  }
  if (config.baseline !== "none" && config.baseline !== "linear") {
    throw new RangeError(
      `config.baseline must be "none" or "linear", got ${String(config.baseline)}`,
    );
  }
  checkUnitInterval("config.gamma", config.gamma);
  checkUnitInterval("config.gaeLambda", config.gaeLambda);
  if (typeof config.normalize !== "boolean") {
    throw new RangeError(`config.normalize must be a boolean, got ${String(config.normalize)}`);
  }
}

/**
 * Computes one task's per-sample advantages, raw or as the reference trainer does, from one
 * configuration.
 *
 * - "reward-to-go", baseline "none": Â_h = R^h = Σ_{t≥h} γ^t r_t exactly (the raw estimator).
 * - "reward-to-go", baseline "linear": Â_h = R^h − γ^h b_h, where b is the linear baseline
 *   fitted on this batch's relative returns G^h; since R^h = γ^h G^h, γ^h b_h is the same
 *   baseline in the absolute-discount convention.
 * - "gae", baseline "none": values 0, so Â = discountCumsum(r, γλ).
 * - "gae", baseline "linear": the linear baseline fitted on this batch and predicted for each
 *   path gives the values, then {@link gae}.
 *
 * Then, if `normalize`, all samples of the batch are normalised together by {@link normalize}.
 *
 * @param paths The task's paths (at least one).
 * @param obsDim The observation dimension.
 * @param config The estimator.
 * @returns The advantages (paths concatenated in order) and per-path returns.
 * @throws {RangeError} On invalid paths, `obsDim` or configuration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { processBatch, rawAdvantageConfig } from "./returns.ts";
 *
 * const paths = [
 *   { observations: new Float64Array([0, 0]), rewards: new Float64Array([1, 2]) },
 *   { observations: new Float64Array([0]), rewards: new Float64Array([4]) },
 * ];
 * const b = processBatch(paths, 1, rawAdvantageConfig(0.5));
 * // path 0: R^0 = 1 + 0.5·2 = 2, R^1 = 0.5·2 = 1; path 1: R^0 = 4
 * assert.equal(b.advantages.join(), "2,1,4", "unexpected");
 * assert.equal(b.advantageStd, 1, "unexpected");
 * assert.equal(b.discountedReturns.join(), "2,4", "unexpected");
 * assert.equal(b.undiscountedReturns.join(), "3,4", "unexpected");
 * ```
 */
export function processBatch(
  paths: ReadonlyArray<ReturnPath>,
  obsDim: number,
  config: AdvantageConfig,
): ProcessedBatch {
  checkPaths(paths, obsDim);
  checkConfig(config);
  const { gamma } = config;
  const pathLengths = new Int32Array(paths.length);
  let n = 0;
  for (let i = 0; i < paths.length; i++) {
    pathLengths[i] = paths[i].rewards.length;
    n += pathLengths[i];
  }
  // The baseline's features, once per path: for the fit and for the prediction.
  const features = config.baseline === "linear"
    ? paths.map((p) => baselineFeatures(p.observations, obsDim, p.rewards.length))
    : undefined;
  const coeffs = features === undefined
    ? undefined
    : fitFromFeatures(paths, features, obsDim, gamma, DEFAULT_REG_COEFF, DEFAULT_RETRIES).coeffs;
  const advantages = new Float64Array(n);
  const undiscountedReturns = new Float64Array(paths.length);
  const discountedReturns = new Float64Array(paths.length);
  let offset = 0;
  for (let i = 0; i < paths.length; i++) {
    const { rewards } = paths[i];
    const L = rewards.length;
    const powers = discountPowers(gamma, L);
    const absolute = absoluteRewardToGo(rewards, powers);
    let undiscounted = 0;
    for (let h = 0; h < L; h++) undiscounted += rewards[h];
    undiscountedReturns[i] = undiscounted;
    discountedReturns[i] = absolute[0];
    const values = coeffs === undefined || features === undefined
      ? new Float64Array(L)
      : predictFromFeatures(coeffs, features[i], L, baselineFeatureCount(obsDim));
    if (config.estimator === "reward-to-go") {
      if (coeffs === undefined) advantages.set(absolute, offset);
      else for (let h = 0; h < L; h++) advantages[offset + h] = absolute[h] - powers[h] * values[h];
    } else {
      advantages.set(gae(rewards, values, gamma, config.gaeLambda), offset);
    }
    offset += L;
  }
  if (!config.normalize) {
    return {
      advantages,
      advantageStd: 1,
      advantageDivisor: 1,
      sampleCount: n,
      pathLengths,
      undiscountedReturns,
      discountedReturns,
    };
  }
  const normalized = normalize(advantages);
  return {
    advantages: normalized.values,
    advantageStd: normalized.std,
    advantageDivisor: normalized.std + 1e-8,
    sampleCount: n,
    pathLengths,
    undiscountedReturns,
    discountedReturns,
  };
}
