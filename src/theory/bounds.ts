/**
 * The constants of the convergence theory of SG-MRL: the bounds of Lemma 1 on the expected reward
 * and its derivatives, the admissible inner step size α, the smoothness parameter L_V(ζ) and the
 * gradient bound G_V(ζ) of the meta-objective V_ζ (Proposition 1, Theorem 3), the admissible outer
 * step size β, and the stationarity and iteration bounds of Theorems 1 and 4.
 *
 * Notation: G bounds ‖∇log π‖ and L bounds ‖∇²log π‖ (Assumption 2), ρ is the Lipschitz constant
 * of ∇²log π (Assumption 3), rewards lie in [0, R] (Assumption 1), γ is the discount, trajectories
 * have steps h = 0..H, D_in = |D_t| is the inner batch size, B the task batch size, D_o the outer
 * batch size, ζ the number of inner steps and ε the target accuracy.
 *
 * On L_V(ζ): the paper states it twice. Theorem 3 (eq. 49) and the last display of its proof
 * (eq. 66) agree except for the factor in front of the third term, 2^ζ in (49) and 2^(2ζ) in (66).
 * Adding the bound B_f·B_p of Lemma 3 to (59), with B_f = G_V(ζ) (eq. 58) and B_p = 2^ζ·D_in(H+1)G
 * (eq. 65), gives (49). Neither reduces to Proposition 1's L_V (eq. 17) at ζ = 1, although the
 * paper says (67) follows from (66). Since (66) ≥ (49) for every ζ ≥ 1 and (66) at ζ = 1 is ≥ (17)
 * (the difference is 4R·D_in²G²(H+1)² + 16D_in(H+1)G·η_G ≥ 0), this module takes L_V(ζ) from
 * (66): it is the largest of the three, and a larger smoothness constant keeps every conclusion of
 * Theorems 1 and 4 valid. Eqs. (49) and (17) are available as {@linkcode lipschitzVTheorem3} and
 * {@linkcode lipschitzV1} for comparison.
 *
 * @module
 */

/**
 * Bounds of the policy and the rewards (Assumptions 1–3) and the horizon.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { etaG, type PolicyConstants } from "./bounds.ts";
 *
 * const p: PolicyConstants = { G: Math.SQRT2, L: 1, rho: 1, R: 1, gamma: 0.9, H: 1 };
 * assert.ok(etaG(p) > 0);
 * ```
 */
export interface PolicyConstants {
  /** Bound on ‖∇_θ log π(a|s; θ)‖ (Assumption 2); positive. */
  G: number;
  /** Bound on ‖∇²_θ log π(a|s; θ)‖ (Assumption 2); positive. */
  L: number;
  /** Lipschitz constant of ∇²_θ log π(a|s; θ) (Assumption 3); positive. */
  rho: number;
  /** Bound on the rewards, 0 ≤ r ≤ R (Assumption 1); positive. */
  R: number;
  /** Discount factor, in [0, 1). */
  gamma: number;
  /** Horizon: trajectories have steps h = 0..H; an integer ≥ 0. */
  H: number;
}

/**
 * What L_V(ζ) depends on: the policy constants, D_in, α and ζ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type LipschitzInput, lipschitzV } from "./bounds.ts";
 *
 * const p: LipschitzInput = {
 *   G: 1, L: 1, rho: 1, R: 1, gamma: 0.5, H: 1, Din: 1, alpha: 1 / 16, innerSteps: 1,
 * };
 * assert.equal(lipschitzV(p), 245);
 * ```
 */
export interface LipschitzInput extends PolicyConstants {
  /** Inner batch size D_in = |D_t|; an integer ≥ 1. */
  Din: number;
  /** Inner step size α; positive (admissible when α ≤ 1/η_H). */
  alpha: number;
  /** Number of inner steps ζ; an integer ≥ 1. */
  innerSteps: number;
}

/**
 * What the bounds of Theorems 1 and 4 (eqs. 70, 71, 83) depend on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ConvergenceInput, stationarityBound } from "./bounds.ts";
 *
 * const p: ConvergenceInput = { GV: 12, LV: 245, beta: 1 / 245, B: 2, Do: 4, epsilon: 0.5 };
 * // with β = 1/L_V: 2·12²/(2·4) + 0.25 = 36.25
 * assert.equal(stationarityBound(p), 36.25);
 * ```
 */
export interface ConvergenceInput {
  /** Gradient bound G_V(ζ); positive. */
  GV: number;
  /** Smoothness parameter L_V(ζ); positive. */
  LV: number;
  /** Outer step size β; positive (admissible when β ≤ 1/L_V). */
  beta: number;
  /** Task batch size B; an integer ≥ 1. */
  B: number;
  /** Outer batch size D_o; an integer ≥ 1. */
  Do: number;
  /** Target accuracy ε, in (0, 1). */
  epsilon: number;
}

/**
 * The input of {@linkcode theoryBounds}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BoundsInput, theoryBounds } from "./bounds.ts";
 *
 * const input: BoundsInput = {
 *   G: Math.SQRT2, L: 1, rho: 1, R: 1, gamma: 0.9, H: 1, Din: 1, B: 1, Do: 1, epsilon: 0.1,
 *   innerSteps: 2,
 * };
 * assert.equal(theoryBounds(input).input.innerSteps, 2);
 * ```
 */
export interface BoundsInput extends PolicyConstants {
  /** Inner batch size D_in = |D_t|; an integer ≥ 1. */
  Din: number;
  /** Task batch size B; an integer ≥ 1. */
  B: number;
  /** Outer batch size D_o; an integer ≥ 1. */
  Do: number;
  /** Target accuracy ε, in (0, 1). */
  epsilon: number;
  /** Number of inner steps ζ; an integer ≥ 1 (default 1). */
  innerSteps?: number;
  /** Inner step size α; positive (default: the largest admissible, 1/η_H). */
  alpha?: number;
  /** Outer step size β; positive (default: the largest admissible, 1/L_V(ζ)). */
  beta?: number;
}

/**
 * Every constant of the theory for one input; see {@linkcode theoryBounds}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type TheoryBounds, theoryBounds } from "./bounds.ts";
 *
 * const b: TheoryBounds = theoryBounds({
 *   G: 1, L: 1, rho: 1, R: 1, gamma: 0.5, H: 1, Din: 1, B: 2, Do: 4, epsilon: 0.5, innerSteps: 2,
 * });
 * assert.equal(b.LVProposition1, null);
 * assert.equal(b.GV, 24);
 * ```
 */
export interface TheoryBounds {
  /** The validated input, with ζ filled in (α and β are reported below). */
  input: Required<Omit<BoundsInput, "alpha" | "beta">>;
  /** η_G of Lemma 1(i). */
  etaG: number;
  /** η_H of Lemma 1(ii). */
  etaH: number;
  /** η_ρ of Lemma 1(iii). */
  etaRho: number;
  /** Largest admissible inner step size, 1/η_H. */
  alphaMax: number;
  /** The inner step size used: the given one, or alphaMax. */
  alpha: number;
  /** Whether α was given. */
  alphaGiven: boolean;
  /** Whether α ∈ (0, 1/η_H]. */
  alphaAdmissible: boolean;
  /** G_V(ζ), eq. (48) (equal to Proposition 1's G_V at ζ = 1). */
  GV: number;
  /** L_V(ζ), eq. (66); the value the bounds below use. */
  LV: number;
  /** L_V(ζ) as stated in Theorem 3, eq. (49), for comparison. */
  LVTheorem3: number;
  /** L_V of Proposition 1, eq. (17), for comparison; null unless ζ = 1. */
  LVProposition1: number | null;
  /** Largest admissible outer step size, 1/L_V(ζ). */
  betaMax: number;
  /** The outer step size used: the given one, or betaMax. */
  beta: number;
  /** Whether β was given. */
  betaGiven: boolean;
  /** Whether β ∈ (0, 1/L_V(ζ)]. */
  betaAdmissible: boolean;
  /** Whether the hypotheses on α and β of Theorems 1 and 4 hold. */
  theoremApplies: boolean;
  /** Bound on E‖∇V_ζ(θ_ε)‖², eq. (70). */
  stationarityBound: number;
  /** Iterations, eq. (71) with its O(1) constant taken as 1. */
  iterationBound: number;
  /** Iterations from the last step of the proof, eq. (83), without a hidden constant. */
  iterationBoundEq83: number;
}

/**
 * Constants of a tabular softmax policy with one-hot features φ(s, a): by eq. (29) the score is
 * e_(s,a) − E_(a'∼π)[e_(s,a')], whose squared norm (1 − π(a|s))² + Σ_(a'≠a) π(a'|s)² is at most 2;
 * the Hessian is minus the covariance of e_(s,a') (Appendix B), whose norm is at most 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SOFTMAX_ONE_HOT } from "./bounds.ts";
 *
 * assert.equal(SOFTMAX_ONE_HOT.G, Math.SQRT2);
 * assert.equal(SOFTMAX_ONE_HOT.L, 1);
 * ```
 */
export const SOFTMAX_ONE_HOT: Readonly<{ G: number; L: number }> = Object.freeze({
  G: Math.SQRT2,
  L: 1,
});

// ---------------------------------------------------------------------------------------------
// Validation: each check throws a one-line RangeError naming the field and what is allowed.

function show(value: unknown): string {
  if (typeof value === "number") return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function positive(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${field} must be a positive finite number, got ${show(value)}`);
  }
  return value;
}

function discount(field: string, value: unknown): number {
  if (typeof value !== "number" || !(value >= 0 && value < 1)) {
    throw new RangeError(`${field} must be a number in [0, 1), got ${show(value)}`);
  }
  return value;
}

function accuracy(field: string, value: unknown): number {
  if (typeof value !== "number" || !(value > 0 && value < 1)) {
    throw new RangeError(`${field} must be a number in (0, 1), got ${show(value)}`);
  }
  return value;
}

function integer(field: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${field} must be an integer ≥ ${min}, got ${show(value)}`);
  }
  return value;
}

function finite(symbol: string, value: number): number {
  if (!Number.isFinite(value)) {
    throw new RangeError(`${symbol} overflows double precision for these inputs`);
  }
  return value;
}

/** 1/(1−γ)², the factor shared by the three bounds of Lemma 1. */
function horizonFactor(gamma: number): number {
  return 1 / ((1 - gamma) * (1 - gamma));
}

// ---------------------------------------------------------------------------------------------
// Lemma 1.

/**
 * η_G := G·R/(1−γ)², Lemma 1(i): the bound on the per-trajectory policy gradient g_i(τ; θ) of
 * eq. (4), hence on ‖∇J_i(θ)‖ and ‖∇̃J_i(θ, D)‖, and the Lipschitz constant of J_i.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { etaG } from "./bounds.ts";
 *
 * // 1·1/(1 − 0.5)² = 4
 * assert.equal(etaG({ G: 1, R: 1, gamma: 0.5 }), 4);
 * ```
 */
export function etaG(p: Pick<PolicyConstants, "G" | "R" | "gamma">): number {
  const G = positive("G", p.G);
  const R = positive("R", p.R);
  const gamma = discount("gamma", p.gamma);
  return finite("eta_G", G * R * horizonFactor(gamma));
}

/**
 * η_H := ((H+1)G² + L)·R/(1−γ)², Lemma 1(ii): the bound on u_i(τ; θ) of eq. (8), hence on
 * ‖∇²J_i(θ)‖ and ‖∇̃²J_i(θ, D)‖, and the Lipschitz constant of ∇J_i.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { etaH } from "./bounds.ts";
 *
 * // ((1+1)·1² + 1)·1/(1 − 0.5)² = 3·4 = 12
 * assert.equal(etaH({ G: 1, L: 1, R: 1, gamma: 0.5, H: 1 }), 12);
 * ```
 */
export function etaH(p: Pick<PolicyConstants, "G" | "L" | "R" | "gamma" | "H">): number {
  const G = positive("G", p.G);
  const L = positive("L", p.L);
  const R = positive("R", p.R);
  const gamma = discount("gamma", p.gamma);
  const H = integer("H", p.H, 0);
  return finite("eta_H", ((H + 1) * G * G + L) * R * horizonFactor(gamma));
}

/**
 * η_ρ := (2(H+1)G·L + ρ)·R/(1−γ)², Lemma 1(iii): the Lipschitz constant of the Hessian estimate
 * ∇̃²J_i(θ, D) for any batch D.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { etaRho } from "./bounds.ts";
 *
 * // (2·2·1·1 + 1)·1/(1 − 0.5)² = 5·4 = 20
 * assert.equal(etaRho({ G: 1, L: 1, rho: 1, R: 1, gamma: 0.5, H: 1 }), 20);
 * ```
 */
export function etaRho(p: PolicyConstants): number {
  const G = positive("G", p.G);
  const L = positive("L", p.L);
  const rho = positive("rho", p.rho);
  const R = positive("R", p.R);
  const gamma = discount("gamma", p.gamma);
  const H = integer("H", p.H, 0);
  return finite("eta_rho", (2 * (H + 1) * G * L + rho) * R * horizonFactor(gamma));
}

/**
 * The largest admissible inner step size, 1/η_H: Proposition 1 and Theorems 1, 3 and 4 assume
 * α ∈ (0, 1/η_H], which lets the proofs replace 1 + α·η_H by 2 (Lemma 4, eqs. 52–53).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { alphaMax } from "./bounds.ts";
 *
 * // η_H = 12 (see etaH), so α ≤ 1/12
 * assert.equal(alphaMax({ G: 1, L: 1, R: 1, gamma: 0.5, H: 1 }), 1 / 12);
 * ```
 */
export function alphaMax(p: Pick<PolicyConstants, "G" | "L" | "R" | "gamma" | "H">): number {
  return 1 / etaH(p);
}

// ---------------------------------------------------------------------------------------------
// Proposition 1 and Theorem 3.

/**
 * G_V(ζ) := 2^ζ·G·R((1−γ)⁻² + D_in(H+1)) = 2^ζ(η_G + D_in·G·R(H+1)), Theorem 3, eq. (48): the
 * bound on ‖∇V_ζ(θ)‖ and (Lemma 6, eq. 68) on the norm of its unbiased estimate ∇̃V_ζ. At ζ = 1
 * it is Proposition 1(ii)'s G_V = 2GR[(1−γ)⁻² + D_in(H+1)].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gradientBoundV } from "./bounds.ts";
 *
 * const p = { G: 1, R: 1, gamma: 0.5, H: 1, Din: 1 };
 * // 2¹·1·1·(4 + 1·2) = 12, and each further inner step doubles it
 * assert.equal(gradientBoundV({ ...p, innerSteps: 1 }), 12);
 * assert.equal(gradientBoundV({ ...p, innerSteps: 2 }), 24);
 * ```
 */
export function gradientBoundV(
  p: Pick<LipschitzInput, "G" | "R" | "gamma" | "H" | "Din" | "innerSteps">,
): number {
  const G = positive("G", p.G);
  const R = positive("R", p.R);
  const gamma = discount("gamma", p.gamma);
  const H = integer("H", p.H, 0);
  const Din = integer("Din", p.Din, 1);
  const zeta = integer("innerSteps", p.innerSteps, 1);
  return finite("G_V", 2 ** zeta * G * R * (horizonFactor(gamma) + Din * (H + 1)));
}

/**
 * L_V(ζ), the smoothness parameter of V_ζ, as the last display of the proof of Theorem 3 writes
 * it, eq. (66):
 *
 *   L_V(ζ) = ζ·2^(ζ−1)·α·η_ρ·η_G
 *          + 2^(2ζ)·η_H
 *          + 2^(2ζ)·D_in(H+1)·( R·(2^ζ·L + (ζ + 2^ζ)·D_in·G²(H+1) + (ζ−1)·α·η_ρ·G)
 *                               + 2^(ζ+1)·η_G·G ).
 *
 * Term by term: ζ·2^(ζ−1)·α·η_ρ·η_G + 2^(2ζ)·η_H is the Lipschitz constant of
 * (∂θ^(i,ζ)/∂θ)·∇J_i(θ^(i,ζ)) (part (i) of the proof: bounds 2^ζ and η_G, Lipschitz constants
 * ζ·α·η_ρ·2^(ζ−1) and 2^ζ·η_H, combined by Lemma 2). In the third term, R·2^ζ·L, R·ζ·D_in·G²(H+1)
 * and R·(ζ−1)·α·η_ρ·G come from J_i(θ^(i,ζ)) times the sum of scores (56) (parts (ii)–(iv)); the
 * extra R·2^ζ·D_in·G²(H+1) and 2^ζ·η_G·G (which doubles 2^ζ·η_G·G of (59) to 2^(ζ+1)·η_G·G) are
 * B_f·B_p of Lemma 3, with B_f = G_V(ζ) (eq. 58) and B_p = 2^ζ·D_in(H+1)G (eq. 65).
 *
 * The factor 2^(2ζ) in front of the third term is as printed in (66); Theorem 3's statement
 * (49), which the same derivation yields, has 2^ζ there instead ({@linkcode lipschitzVTheorem3}).
 * (66) is never smaller than (49), nor, at ζ = 1, than Proposition 1's (17)
 * ({@linkcode lipschitzV1}), so it is the safe choice of smoothness constant.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lipschitzV } from "./bounds.ts";
 *
 * const p = { G: 1, L: 1, rho: 1, R: 1, gamma: 0.5, H: 1, Din: 1, alpha: 1 / 16 };
 * // η_G = 4, η_H = 12, η_ρ = 20; ζ = 1:
 * // 1·1·(1/16)·20·4 + 4·12 + 4·1·2·(1·(2 + 3·1·1·2 + 0) + 4·4·1) = 5 + 48 + 192 = 245
 * assert.equal(lipschitzV({ ...p, innerSteps: 1 }), 245);
 * ```
 */
export function lipschitzV(p: LipschitzInput): number {
  const c = lipschitzParts(p);
  const third = 4 ** c.zeta * c.inner;
  return finite("L_V", c.first + 4 ** c.zeta * c.etaH + third);
}

/**
 * L_V(ζ) as stated in Theorem 3, eq. (49): the same as eq. (66) ({@linkcode lipschitzV}) except
 * that the third term has the factor 2^ζ instead of 2^(2ζ):
 *
 *   ζ·2^(ζ−1)·α·η_ρ·η_G + 2^(2ζ)·η_H
 *     + 2^ζ·D_in(H+1)·( R·(2^ζ·L + (ζ + 2^ζ)·D_in·G²(H+1) + (ζ−1)·α·η_ρ·G) + 2^(ζ+1)·η_G·G ).
 *
 * This is what (59) plus B_f·B_p of Lemma 3 (B_f = G_V(ζ) of eq. 58, B_p = 2^ζ·D_in(H+1)G of
 * eq. 65) adds up to.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lipschitzVTheorem3 } from "./bounds.ts";
 *
 * const p = { G: 1, L: 1, rho: 1, R: 1, gamma: 0.5, H: 1, Din: 1, alpha: 1 / 16 };
 * // 5 + 48 + 2·1·2·(2 + 6 + 16) = 5 + 48 + 96 = 149
 * assert.equal(lipschitzVTheorem3({ ...p, innerSteps: 1 }), 149);
 * ```
 */
export function lipschitzVTheorem3(p: LipschitzInput): number {
  const c = lipschitzParts(p);
  return finite("L_V", c.first + 4 ** c.zeta * c.etaH + 2 ** c.zeta * c.inner);
}

/**
 * L_V of Proposition 1(i), eq. (17) (restated as eq. 67), the smoothness parameter of V_1:
 *
 *   α·η_ρ·η_G + 4η_H + 8R·D_in(H+1)(L + D_in·G²(H+1)).
 *
 * Eq. (66) at ζ = 1 exceeds it by 4R·D_in²G²(H+1)² + 16D_in(H+1)·G·η_G.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lipschitzV1 } from "./bounds.ts";
 *
 * // (1/16)·20·4 + 4·12 + 8·1·1·2·(1 + 1·1·2) = 5 + 48 + 48 = 101
 * assert.equal(
 *   lipschitzV1({ G: 1, L: 1, rho: 1, R: 1, gamma: 0.5, H: 1, Din: 1, alpha: 1 / 16 }),
 *   101,
 * );
 * ```
 */
export function lipschitzV1(p: Omit<LipschitzInput, "innerSteps">): number {
  const c = lipschitzParts({ ...p, innerSteps: 1 });
  const { G, L, R, H, Din } = c;
  return finite(
    "L_V",
    p.alpha * c.etaRho * c.etaG + 4 * c.etaH + 8 * R * Din * (H + 1) * (L + Din * G * G * (H + 1)),
  );
}

/** The validated inputs and shared pieces of eqs. (49) and (66). */
function lipschitzParts(p: LipschitzInput) {
  const G = positive("G", p.G);
  const L = positive("L", p.L);
  positive("rho", p.rho);
  const R = positive("R", p.R);
  discount("gamma", p.gamma);
  const H = integer("H", p.H, 0);
  const Din = integer("Din", p.Din, 1);
  const alpha = positive("alpha", p.alpha);
  const zeta = integer("innerSteps", p.innerSteps, 1);
  const eG = etaG(p);
  const eH = etaH(p);
  const eRho = etaRho(p);
  // ζ·2^(ζ−1)·α·η_ρ·η_G: part (i) of the proof of Theorem 3.
  const first = zeta * 2 ** (zeta - 1) * alpha * eRho * eG;
  // D_in(H+1)·(R·(2^ζL + (ζ + 2^ζ)D_in·G²(H+1) + (ζ−1)αη_ρG) + 2^(ζ+1)η_G·G): the bracket of the
  // third term of (49) and (66), without its leading power of two.
  const inner = Din * (H + 1) *
    (R * (2 ** zeta * L + (zeta + 2 ** zeta) * Din * G * G * (H + 1) +
          (zeta - 1) * alpha * eRho * G) +
      2 ** (zeta + 1) * eG * G);
  return { G, L, R, H, Din, zeta, etaG: eG, etaH: eH, etaRho: eRho, first, inner };
}

/**
 * The largest admissible outer step size, 1/L_V(ζ) with L_V(ζ) from eq. (66): Theorems 1 and 4
 * assume β ∈ (0, 1/L_V].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { betaMax } from "./bounds.ts";
 *
 * const p = { G: 1, L: 1, rho: 1, R: 1, gamma: 0.5, H: 1, Din: 1, alpha: 1 / 16 };
 * // L_V(1) = 245 (see lipschitzV)
 * assert.equal(betaMax({ ...p, innerSteps: 1 }), 1 / 245);
 * ```
 */
export function betaMax(p: LipschitzInput): number {
  return 1 / lipschitzV(p);
}

// ---------------------------------------------------------------------------------------------
// Theorems 1 and 4.

function convergenceInputs(p: ConvergenceInput) {
  return {
    GV: positive("GV", p.GV),
    LV: positive("LV", p.LV),
    beta: positive("beta", p.beta),
    B: integer("B", p.B, 1),
    Do: integer("Do", p.Do, 1),
    epsilon: accuracy("epsilon", p.epsilon),
  };
}

/**
 * The stationarity bound of Theorem 1 and Theorem 4, eq. (70): SG-MRL finds θ_ε with
 *
 *   E‖∇V_ζ(θ_ε)‖² ≤ 2·G_V(ζ)²·L_V(ζ)·β/(B·D_o) + ε².
 *
 * The first term is the variance floor left by the batch sizes (Lemma 7, eq. 72); with
 * β = 1/L_V it is 2G_V²/(B·D_o), as in Corollary 1(i).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stationarityBound } from "./bounds.ts";
 *
 * // 2·12²·245·(1/256)/(2·4) + 0.5² = 70560/2048 + 0.25 = 34.703125
 * assert.equal(
 *   stationarityBound({ GV: 12, LV: 245, beta: 1 / 256, B: 2, Do: 4, epsilon: 0.5 }),
 *   34.703125,
 * );
 * ```
 */
export function stationarityBound(p: ConvergenceInput): number {
  const { GV, LV, beta, B, Do, epsilon } = convergenceInputs(p);
  return finite("the stationarity bound", (2 * GV * GV * LV * beta) / (B * Do) + epsilon * epsilon);
}

/**
 * The iteration bound of Theorem 1 and Theorem 4, eq. (71), with its O(1) constant taken as 1:
 *
 *   (R/β)·min{1/ε², B·D_o/(G_V(ζ)²·L_V(ζ)·β)}.
 *
 * The proof ends with T·(βε²/2 + G_V²L_Vβ²/(2B·D_o)) ≤ R (eq. 83); since
 * 1/(x + y) ≤ min{1/x, 1/y}, the constant 2 makes (71) an upper bound on that T, and with the
 * constant 1 it is within a factor 2 of it ({@linkcode iterationBoundEq83}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { iterationBound } from "./bounds.ts";
 *
 * // 256·min{1/0.25, 2·10000/(144·245/256)} = 256·min{4, 145.1…} = 1024
 * assert.equal(
 *   iterationBound({ GV: 12, LV: 245, beta: 1 / 256, B: 2, Do: 10000, epsilon: 0.5, R: 1 }),
 *   1024,
 * );
 * ```
 */
export function iterationBound(p: ConvergenceInput & { R: number }): number {
  const { GV, LV, beta, B, Do, epsilon } = convergenceInputs(p);
  const R = positive("R", p.R);
  return finite(
    "the iteration bound",
    (R / beta) * Math.min(1 / (epsilon * epsilon), (B * Do) / (GV * GV * LV * beta)),
  );
}

/**
 * The number of iterations that the last step of the proof of Theorem 4 allows, eq. (83):
 *
 *   R / (β·ε²/2 + G_V(ζ)²·L_V(ζ)·β²/(2B·D_o)),
 *
 * which lies between {@linkcode iterationBound} and twice it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { iterationBoundEq83 } from "./bounds.ts";
 *
 * // 1/((1/256)·0.25/2 + 144·245/(256²·2·2·4)) = 1048576/(512 + 35280) = 1048576/35792
 * assert.equal(
 *   iterationBoundEq83({ GV: 12, LV: 245, beta: 1 / 256, B: 2, Do: 4, epsilon: 0.5, R: 1 }),
 *   1048576 / 35792,
 * );
 * ```
 */
export function iterationBoundEq83(p: ConvergenceInput & { R: number }): number {
  const { GV, LV, beta, B, Do, epsilon } = convergenceInputs(p);
  const R = positive("R", p.R);
  return finite(
    "the iteration bound",
    R / ((beta * epsilon * epsilon) / 2 + (GV * GV * LV * beta * beta) / (2 * B * Do)),
  );
}

// ---------------------------------------------------------------------------------------------
// Everything at once.

/**
 * Every constant of the theory for one setting. When α is omitted it is the largest admissible
 * value 1/η_H; when β is omitted it is 1/L_V(ζ). A given α or β is used as given and reported as
 * admissible or not (α ∈ (0, 1/η_H], β ∈ (0, 1/L_V(ζ)]); L_V(ζ) (eq. 66) depends on α. The
 * stationarity and iteration bounds are those of eqs. (70), (71) (O(1) taken as 1) and (83); they
 * are guaranteed only when `theoremApplies`. Throws a one-line RangeError naming the first invalid
 * field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { theoryBounds } from "./bounds.ts";
 *
 * const b = theoryBounds({
 *   G: 1, L: 1, rho: 1, R: 1, gamma: 0.5, H: 1, Din: 1, B: 2, Do: 4, epsilon: 0.5,
 *   alpha: 1 / 16, beta: 1 / 256,
 * });
 * assert.equal(b.LV, 245);
 * assert.equal(b.LVProposition1, 101);
 * assert.equal(b.GV, 12);
 * assert.ok(b.alphaAdmissible && b.betaAdmissible && b.theoremApplies);
 * assert.equal(b.stationarityBound, 34.703125);
 *
 * // Omitted step sizes are the largest admissible ones.
 * const d = theoryBounds({
 *   G: 1, L: 1, rho: 1, R: 1, gamma: 0.5, H: 1, Din: 1, B: 2, Do: 4, epsilon: 0.5,
 * });
 * assert.equal(d.alpha, 1 / 12);
 * assert.equal(d.beta, 1 / d.LV);
 * ```
 */
export function theoryBounds(input: BoundsInput): TheoryBounds {
  if (typeof input !== "object" || input === null) {
    throw new RangeError(`input must be an object, got ${show(input)}`);
  }
  const G = positive("G", input.G);
  const L = positive("L", input.L);
  const rho = positive("rho", input.rho);
  const R = positive("R", input.R);
  const gamma = discount("gamma", input.gamma);
  const H = integer("H", input.H, 0);
  const Din = integer("Din", input.Din, 1);
  const B = integer("B", input.B, 1);
  const Do = integer("Do", input.Do, 1);
  const epsilon = accuracy("epsilon", input.epsilon);
  const innerSteps = integer("innerSteps", input.innerSteps ?? 1, 1);
  const alphaGiven = input.alpha !== undefined;
  if (alphaGiven) positive("alpha", input.alpha);
  const betaGiven = input.beta !== undefined;
  if (betaGiven) positive("beta", input.beta);

  const policy = { G, L, rho, R, gamma, H };
  const eG = etaG(policy);
  const eH = etaH(policy);
  const eRho = etaRho(policy);
  const aMax = alphaMax(policy);
  const alpha = alphaGiven ? input.alpha as number : aMax;
  const lip = { ...policy, Din, alpha, innerSteps };
  const LV = lipschitzV(lip);
  const GV = gradientBoundV(lip);
  const bMax = betaMax(lip);
  const beta = betaGiven ? input.beta as number : bMax;
  const alphaAdmissible = alpha <= aMax;
  const betaAdmissible = beta <= bMax;
  const convergence = { GV, LV, beta, B, Do, epsilon, R };
  return {
    input: { G, L, rho, R, gamma, H, Din, B, Do, epsilon, innerSteps },
    etaG: eG,
    etaH: eH,
    etaRho: eRho,
    alphaMax: aMax,
    alpha,
    alphaGiven,
    alphaAdmissible,
    GV,
    LV,
    LVTheorem3: lipschitzVTheorem3(lip),
    LVProposition1: innerSteps === 1 ? lipschitzV1(lip) : null,
    betaMax: bMax,
    beta,
    betaGiven,
    betaAdmissible,
    theoremApplies: alphaAdmissible && betaAdmissible,
    stationarityBound: stationarityBound(convergence),
    iterationBound: iterationBound(convergence),
    iterationBoundEq83: iterationBoundEq83(convergence),
  };
}
