/**
 * From sampled paths to what the learner differentiates: per-sample surrogate weights, the
 * return estimate J̃ and the surrogate's scale factor.
 *
 * A batch's surrogate is L(θ) = Σₙ wₙ log π(aₙ | sₙ; θ), so ∇L is the batch's policy-gradient
 * estimate. With the raw configuration (reward-to-go, no baseline, no normalisation, mean over
 * trajectories) wₙ = R^h(τ)/|D| and ∇L = ĝ(θ, D) of eq. 5 exactly. With the reference
 * configuration (normalised GAE, mean over samples) wₙ = Âₙ/N.
 *
 * @module
 */
import { type AdvantageConfig, processBatch } from "./returns.ts";
import type { Path } from "./sampler.ts";

/**
 * How per-sample advantages become surrogate weights.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { learnerBatch, type SurrogateConfig } from "./batch.ts";
 * import { rawAdvantageConfig } from "./returns.ts";
 * const path = {
 *   observations: new Float64Array([0, 1]), actions: new Float64Array([1, -1]),
 *   rewards: new Float64Array([1, 1]), length: 2,
 * };
 * // The same advantages, averaged over the N = 2 samples instead of the one trajectory.
 * const bySamples: SurrogateConfig = { advantages: rawAdvantageConfig(1), mean: "samples" };
 * const b = learnerBatch([path], 1, 1, bySamples);
 * assert.equal(b.weights.join(), "1,0.5", "R^h/N, c = |D|/N");
 * assert.equal(b.scale, 0.5, "R^h/N, c = |D|/N");
 * ```
 */
export interface SurrogateConfig {
  /** Advantage estimation (see returns.ts). */
  readonly advantages: AdvantageConfig;
  /**
   * "samples": the mean over all N (s, a) samples (the reference's surrogate);
   * "trajectories": the sum over steps, mean over trajectories (eq. 5).
   */
  readonly mean: "samples" | "trajectories";
}

/**
 * The learner's view of one batch of one task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type LearnerBatch, learnerBatch } from "./batch.ts";
 * import { rawAdvantageConfig } from "./returns.ts";
 * const path = {
 *   observations: new Float64Array([0, 1]), actions: new Float64Array([1, -1]),
 *   rewards: new Float64Array([1, 1]), length: 2,
 * };
 * // Two identical trajectories: J̃ = 1 + γ·1 with γ = 0.5, and weights R^h/|D|.
 * const b: LearnerBatch = learnerBatch([path, path], 1, 1,
 *   { advantages: rawAdvantageConfig(0.5), mean: "trajectories" });
 * assert.equal(b.returnEstimate, 1.5, "J̃");
 * assert.equal(b.weights.join(), "0.75,0.25,0.75,0.25", "J̃");
 * ```
 */
export interface LearnerBatch {
  /** N × obsDim observations, row-major. */
  readonly observations: Float32Array;
  /** N × actDim raw actions. */
  readonly actions: Float32Array;
  /** N surrogate weights wₙ. */
  readonly weights: Float32Array;
  /** N. */
  readonly sampleCount: number;
  /** Length of each trajectory, in order (needed only by the paper's eq. 13 Jacobian). */
  readonly pathLengths?: Int32Array;
  /** |D|: the number of trajectories. */
  readonly trajectoryCount: number;
  /** J̃(θ, D) = mean_τ Σ_h γ^h r_h, from raw rewards (never from normalised advantages). */
  readonly returnEstimate: number;
  /** Mean undiscounted return Σ_h r_h (what the paper's tables report). */
  readonly meanUndiscountedReturn: number;
  /**
   * c = |D|·k/σ with k the per-sample weight factor (1/N or 1/|D|) and σ the advantages' std
   * before normalisation plus 1e-8 (1 without normalisation): the factor between this batch's surrogate
   * gradient and eq. 5's ĝ. It is 1 for the raw configuration.
   */
  readonly scale: number;
  /** Per-step rewards, concatenated (for E-MAML's normalised rewards). */
  readonly rewards: Float64Array;
  /**
   * The mean over samples of the advantages Âₙ as processed (before the 1/N or 1/|D| factor of
   * the weights): ≈ 0 when they are normalised. The published SG-MRL term's factor.
   */
  readonly meanAdvantage: number;
}

/**
 * Build the learner's batch from the paths of one task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { learnerBatch } from "./batch.ts";
 * import { rawAdvantageConfig } from "./returns.ts";
 * const path = {
 *   observations: new Float64Array([0, 0, 1, 1]), actions: new Float64Array([1, 1, 1, 1]),
 *   rewards: new Float64Array([1, 2]), length: 2,
 * };
 * const b = learnerBatch([path], 2, 2, { advantages: rawAdvantageConfig(0.5), mean: "trajectories" });
 * // R^0 = 1 + 0.5·2 = 2, R^1 = 0.5·2 = 1 (absolute discounting); one trajectory, so w = R^h.
 * assert.equal(b.weights[0], 2, "unexpected");
 * assert.equal(b.weights[1], 1, "unexpected");
 * assert.equal(b.scale, 1, "unexpected");
 * ```
 */
export function learnerBatch(
  paths: readonly Path[],
  obsDim: number,
  actDim: number,
  config: SurrogateConfig,
): LearnerBatch {
  if (paths.length === 0) throw new RangeError("a batch needs at least one trajectory");
  const processed = processBatch(
    paths.map((p) => ({ observations: p.observations, rewards: p.rewards })),
    obsDim,
    config.advantages,
  );
  const n = processed.sampleCount;
  const k = config.mean === "samples" ? 1 / n : 1 / paths.length;
  const observations = new Float32Array(n * obsDim);
  const actions = new Float32Array(n * actDim);
  const rewards = new Float64Array(n);
  let offset = 0;
  for (const p of paths) {
    observations.set(p.observations, offset * obsDim);
    actions.set(p.actions, offset * actDim);
    rewards.set(p.rewards, offset);
    offset += p.length;
  }
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) weights[i] = processed.advantages[i] * k;
  return {
    observations,
    actions,
    weights,
    sampleCount: n,
    pathLengths: processed.pathLengths,
    trajectoryCount: paths.length,
    returnEstimate: mean(processed.discountedReturns),
    meanUndiscountedReturn: mean(processed.undiscountedReturns),
    scale: paths.length * k / processed.advantageDivisor,
    rewards,
    meanAdvantage: mean(processed.advantages),
  };
}

function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/**
 * E-MAML's exploration weights, as the reference computed them: every per-step reward of the
 * meta-batch's outer batches normalised by the meta-batch's mean and std (population, +1e-8),
 * then averaged per task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { explorationWeights } from "./batch.ts";
 * const w = explorationWeights([new Float64Array([1, 1]), new Float64Array([3, 3])]);
 * assert.ok(Math.abs(w[0] + 1) <= 1e-6, "unexpected");
 * assert.ok(Math.abs(w[1] - 1) <= 1e-6, "unexpected");
 * ```
 */
export function explorationWeights(outerRewards: readonly Float64Array[]): number[] {
  let n = 0, s = 0;
  for (const r of outerRewards) for (const v of r) (s += v, n++);
  const m = s / n;
  let ss = 0;
  for (const r of outerRewards) for (const v of r) ss += (v - m) * (v - m);
  const sd = Math.sqrt(ss / n);
  return outerRewards.map((r) => {
    let t = 0;
    for (const v of r) t += (v - m) / (sd + 1e-8);
    return t / r.length;
  });
}
