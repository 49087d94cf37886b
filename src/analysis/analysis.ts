/**
 * The estimators compared at fixed parameters and at full scale: K independent meta-batches
 * drawn at θ exactly as training draws them (from streams of their own), every estimator computed
 * on the same batches, and per estimator the norm of its mean, the trace of its covariance, its
 * signal-to-noise ratio, and the cosine between its mean and the mean of the unbiased second-order
 * SG-MRL estimator (with a 95% confidence interval), plus the size of SG-MRL's score term against
 * the policy-gradient term.
 *
 * Second-order SG-MRL is unbiased for ∇V, so its mean over K meta-batches estimates ∇V: the cosine
 * of another estimator's mean with it measures, up to sampling error, how far that estimator's
 * expectation points from the true gradient — MAML's bias at full scale.
 *
 * Statistics are computed from per-meta-batch scalars (so they can be recomputed, and each
 * meta-batch replayed, by verification): for estimator e and meta-batch k with estimate g_ek,
 * mean m_e and the reference (sgmrl) mean m_r,
 *
 * - ‖m_e‖² = mean_k ⟨g_ek, m_e⟩, tr Cov_e = (Σ_k ‖g_ek‖² − K‖m_e‖²)/(K − 1), SNR = ‖m_e‖²/tr Cov_e;
 *   since E‖m_e‖² = ‖E g‖² + tr Cov_e/K, the plug-in SNR is biased up by 1/K, and the unbiased
 *   SNR − 1/K is reported beside it (an estimator whose unbiased SNR is ≈ 0 has a mean that K
 *   meta-batches cannot tell from noise);
 * - cos_e = ⟨m_e, m_r⟩/(‖m_e‖‖m_r‖) with ⟨m_e, m_r⟩ = mean_k ⟨g_ek, m_r⟩; its standard error by
 *   the delta method, from the influence of each meta-batch,
 *   ψ_k = (⟨g_ek, m_r⟩ + ⟨g_rk, m_e⟩ − 2⟨m_e, m_r⟩)/(‖m_e‖‖m_r‖)
 *       − cos_e·[(⟨g_ek, m_e⟩ − ‖m_e‖²)/‖m_e‖² + (⟨g_rk, m_r⟩ − ‖m_r‖²)/‖m_r‖²],
 *   SE = sd(ψ)/√K, and the interval cos_e ± 1.96·SE.
 *
 * @module
 */
import { sha256Hex } from "../core/sha256.ts";
import type { ExperimentConfig } from "../training/config.ts";
import type { EstimatorConfig, TaskBatches } from "../estimators/meta_gradient.ts";
import type { PolicyParams } from "../estimators/policy.ts";
import { policySpec, sampleMetaBatch, type Threads } from "../training/trainer.ts";

/**
 * The estimators compared, in order; the first is the reference (unbiased) one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ANALYSIS_ESTIMATORS } from "./analysis.ts";
 * assert.equal(
 *   ANALYSIS_ESTIMATORS[0],
 *   "sgmrl",
 *   "SG-MRL first, the reference the others are compared with",
 * );
 * assert.equal(
 *   ANALYSIS_ESTIMATORS.length,
 *   8,
 *   "SG-MRL first, the reference the others are compared with",
 * );
 * ```
 */
export const ANALYSIS_ESTIMATORS = [
  "sgmrl",
  "sgmrl-no-baseline",
  "sgmrl-global-baseline",
  "maml",
  "emaml",
  "sgmrl-published",
  "sgmrl-fo",
  "maml-fo",
] as const;

/** One of {@linkcode ANALYSIS_ESTIMATORS}. */
export type AnalysisEstimator = typeof ANALYSIS_ESTIMATORS[number];

/**
 * How each estimator is computed: `sgmrl` with the leave-one-out baseline (the training default);
 * `sgmrl-global-baseline` with b = the mean J̃ over the other K − 1 meta-batches' tasks, which
 * does not depend on this meta-batch and so keeps the estimator unbiased.
 */
export function estimatorConfig(
  name: AnalysisEstimator,
  config: ExperimentConfig,
): EstimatorConfig {
  const base = { innerSteps: config.innerSteps, innerLr: config.innerLr };
  const table: Record<AnalysisEstimator, Omit<EstimatorConfig, "innerSteps" | "innerLr">> = {
    "sgmrl": { algorithm: "sgmrl", hessian: "autodiff", sgmrlBaseline: "leave-one-out" },
    "sgmrl-no-baseline": { algorithm: "sgmrl", hessian: "autodiff", sgmrlBaseline: "none" },
    "sgmrl-global-baseline": { algorithm: "sgmrl", hessian: "autodiff", sgmrlBaseline: "none" },
    "maml": { algorithm: "maml", hessian: "autodiff", sgmrlBaseline: "none" },
    "emaml": { algorithm: "emaml", hessian: "autodiff", sgmrlBaseline: "none" },
    "sgmrl-published": { algorithm: "sgmrl-published", hessian: "autodiff", sgmrlBaseline: "none" },
    "sgmrl-fo": { algorithm: "sgmrl", hessian: "none", sgmrlBaseline: "leave-one-out" },
    "maml-fo": { algorithm: "maml", hessian: "none", sgmrlBaseline: "none" },
  };
  return { ...base, ...table[name] };
}

/** The estimates of every estimator on one meta-batch, flattened to float32 arrays. */
export type Estimates = Record<AnalysisEstimator, Float32Array>;

/** Draw meta-batch `k` at `params` from the analysis streams. */
export async function analysisMetaBatch(
  config: ExperimentConfig,
  threads: Required<Threads>,
  params: PolicyParams,
  k: number,
): Promise<TaskBatches[]> {
  return await sampleMetaBatch(config, threads, params, {
    tasks: "analysis-task",
    actions: "analysis-action",
    iteration: k,
  });
}

/** The mean J̃ of a meta-batch's tasks (summed in task order). */
export function meanReturnEstimate(batches: readonly TaskBatches[]): number {
  return batches.reduce((s, t) => s + t.outer.returnEstimate, 0) / batches.length;
}

/**
 * Every estimator's estimate on one meta-batch; `globalBaseline` is the b of
 * `sgmrl-global-baseline` (J̃ − b replaces J̃ in its SG-MRL term).
 */
export async function estimatesOn(
  config: ExperimentConfig,
  threads: Required<Threads>,
  params: PolicyParams,
  batches: readonly TaskBatches[],
  globalBaseline: number,
): Promise<Estimates> {
  const spec = policySpec(config);
  const out: Partial<Estimates> = {};
  for (const name of ANALYSIS_ESTIMATORS) {
    const tasks = name === "sgmrl-global-baseline"
      ? batches.map((t) => ({
        ...t,
        outer: { ...t.outer, returnEstimate: t.outer.returnEstimate - globalBaseline },
      }))
      : batches;
    const { gradient } = await threads.learner.metaGradient(
      spec,
      params,
      tasks,
      estimatorConfig(name, config),
    );
    out[name] = flatten(gradient);
  }
  return out as Estimates;
}

function flatten(p: PolicyParams): Float32Array {
  const out = new Float32Array(p.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of p) (out.set(a, o), o += a.length);
  return out;
}

/** ⟨a, b⟩ in float64, summed in index order. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** SHA-256 of an estimate's little-endian float32 bytes. */
export async function estimateDigest(g: Float32Array): Promise<string> {
  const bytes = new Uint8Array(g.length * 4);
  const view = new DataView(bytes.buffer);
  g.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return await sha256Hex(bytes);
}

/** One meta-batch's record for one estimator. */
export interface BatchRecord {
  readonly batch: number;
  readonly estimator: AnalysisEstimator;
  /** SHA-256 of the estimate's float32 bytes. */
  readonly digest: string;
  /** ‖g_ek‖². */
  readonly squaredNorm: number;
  /** ⟨g_ek, m_e⟩. */
  readonly dotOwnMean: number;
  /** ⟨g_ek, m_r⟩, with r the reference estimator. */
  readonly dotReferenceMean: number;
  /** ⟨g_rk, m_e⟩: the reference's estimate on this meta-batch against this estimator's mean. */
  readonly referenceDotMean: number;
}

/**
 * Per-estimator statistics over the K meta-batches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { analysisStats, type EstimatorStats } from "./analysis.ts";
 * // The reference estimator alone, g₁ = (1, 0) and g₂ = (0, 1): mean (½, ½), ‖m‖² = ½,
 * // tr Cov = (Σ‖gₖ‖² − K‖m‖²)/(K − 1) = 1, SNR = ½, and cosine 1 with itself.
 * const rec = (batch: number) => ({ batch, estimator: "sgmrl" as const, digest: "", squaredNorm: 1,
 *   dotOwnMean: 0.5, dotReferenceMean: 0.5, referenceDotMean: 0.5 });
 * const s: EstimatorStats = analysisStats([rec(0), rec(1)]).sgmrl!;
 * assert.equal(s.traceCovariance, 1, "stats");
 * assert.equal(s.snr, 0.5, "stats");
 * assert.equal(s.snrUnbiased, 0, "stats");
 * assert.ok(Math.abs(s.cosine - 1) <= 1e-15, "cosine");
 * ```
 */
export interface EstimatorStats {
  readonly meanNorm: number;
  readonly traceCovariance: number;
  /** ‖mean‖² / tr Cov: the signal-to-noise ratio of one meta-batch's estimate (plug-in). */
  readonly snr: number;
  /** (‖mean‖² − tr Cov/K) / tr Cov = SNR − 1/K: unbiased for ‖E g‖²/tr Cov (may be < 0). */
  readonly snrUnbiased: number;
  /** cos(mean, reference mean), with its 95% interval by the delta method. */
  readonly cosine: number;
  readonly cosineLow: number;
  readonly cosineHigh: number;
}

/**
 * Statistics of every estimator from the per-meta-batch records (module documentation).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { analysisStats } from "./analysis.ts";
 * // One estimator equal to the reference, two meta-batches g₁ = (1, 0), g₂ = (0, 1): m = (½, ½).
 * const rec = (batch: number) => ({ batch, estimator: "sgmrl" as const, digest: "", squaredNorm: 1,
 *   dotOwnMean: 0.5, dotReferenceMean: 0.5, referenceDotMean: 0.5 });
 * const s = analysisStats([rec(0), rec(1)]).sgmrl!;
 * // ‖m‖² = ½, tr Cov = (2 − 2·½)/1 = 1, SNR = ½ (unbiased: ½ − 1/K = 0), cosine with itself 1.
 * assert.equal(s.traceCovariance, 1, JSON.stringify(s));
 * assert.equal(s.snr, 0.5, JSON.stringify(s));
 * assert.equal(s.snrUnbiased, 0, JSON.stringify(s));
 * assert.ok(Math.abs(s.cosine - 1) <= 1e-12, JSON.stringify(s));
 * ```
 */
export function analysisStats(
  records: readonly BatchRecord[],
): Partial<Record<AnalysisEstimator, EstimatorStats>> {
  const by = (e: AnalysisEstimator) =>
    records.filter((r) => r.estimator === e).sort((a, b) => a.batch - b.batch);
  const reference = by(ANALYSIS_ESTIMATORS[0]);
  const out: Partial<Record<AnalysisEstimator, EstimatorStats>> = {};
  for (const e of ANALYSIS_ESTIMATORS) {
    const rows = by(e);
    if (rows.length === 0) continue;
    const k = rows.length;
    const mean = (f: (r: BatchRecord) => number) => rows.reduce((s, r) => s + f(r), 0) / k;
    const own2 = mean((r) => r.dotOwnMean);
    const ref2 = reference.reduce((s, r) => s + r.dotOwnMean, 0) / k;
    const cross = mean((r) => r.dotReferenceMean);
    const trace = (rows.reduce((s, r) => s + r.squaredNorm, 0) - k * own2) / (k - 1);
    const norms = Math.sqrt(own2) * Math.sqrt(ref2);
    const cosine = cross / norms;
    const psi = rows.map((r, i) =>
      (r.dotReferenceMean + r.referenceDotMean - 2 * cross) / norms -
      cosine * ((r.dotOwnMean - own2) / own2 + (reference[i].dotOwnMean - ref2) / ref2)
    );
    const psiMean = psi.reduce((s, v) => s + v, 0) / k;
    const se = Math.sqrt(psi.reduce((s, v) => s + (v - psiMean) ** 2, 0) / (k - 1) / k);
    out[e] = {
      meanNorm: Math.sqrt(own2),
      traceCovariance: trace,
      snr: own2 / trace,
      snrUnbiased: own2 / trace - 1 / k,
      cosine,
      cosineLow: cosine - 1.96 * se,
      cosineHigh: cosine + 1.96 * se,
    };
  }
  return out;
}

/**
 * What {@linkcode analyseAt} measures at one parameter point.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { analyseAt, type PointAnalysis } from "./analysis.ts";
 * import { PAPER_NAV2D, validateConfig } from "../training/config.ts";
 * import { createThreads } from "../training/trainer.ts";
 * import { initPolicyParams } from "../estimators/policy.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "at-init", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, metaBatchSize: 2, trajectoriesPerTask: 2,
 *   horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 } });
 * const params = initPolicyParams({ obsDim: 2, actDim: 2, ...config.policy }, config.seed);
 * const threads = createThreads(1);
 * const at: PointAnalysis = await analyseAt(config, threads, params, 2);
 * threads.close();
 * // SG-MRL minus MAML is the score term: its size is what separates the two estimators.
 * assert.ok(at.termNorms.scoreTerm > 0, "term norms");
 * assert.equal(at.returns.length, 2, "term norms");
 * ```
 */
export interface PointAnalysis {
  /** One record per meta-batch and estimator, meta-batch-major in estimator order. */
  readonly records: BatchRecord[];
  /** Each meta-batch's mean J̃ over its tasks (the global baseline's ingredient). */
  readonly returns: number[];
  /** Each estimator's mean over the meta-batches, in float64. */
  readonly means: Record<AnalysisEstimator, Float64Array>;
  /**
   * Mean over meta-batches of ‖g_sgmrl − g_maml‖ (SG-MRL's score term, leave-one-out baseline),
   * of the same without a baseline, and of ‖g_maml‖ (the policy-gradient term).
   */
  readonly termNorms: { scoreTerm: number; scoreTermNoBaseline: number; policyGradient: number };
}

/**
 * Draw `batches` meta-batches at `params` and compute every estimator on each (two passes over the
 * same deterministic draws: the first for the returns that make the global baseline).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { analyseAt, ANALYSIS_ESTIMATORS } from "./analysis.ts";
 * import { PAPER_NAV2D, validateConfig } from "../training/config.ts";
 * import { createThreads } from "../training/trainer.ts";
 * import { initPolicyParams } from "../estimators/policy.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "at-init", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, metaBatchSize: 2, trajectoriesPerTask: 2,
 *   horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 } });
 * const params = initPolicyParams({ obsDim: 2, actDim: 2, ...config.policy }, config.seed);
 * const threads = createThreads(1);
 * const at = await analyseAt(config, threads, params, 3);
 * threads.close();
 * assert.equal(at.records.length, 3 * ANALYSIS_ESTIMATORS.length, "3 meta-batches");
 * assert.equal(at.means.maml.length, 2 * 4 + 4 + 4 * 2 + 2 + 2, "one entry per parameter");
 * ```
 */
export async function analyseAt(
  config: ExperimentConfig,
  threads: Required<Threads>,
  params: PolicyParams,
  batches: number,
  onBatch: (k: number) => void = () => {},
): Promise<PointAnalysis> {
  const returns: number[] = [];
  for (let k = 0; k < batches; k++) {
    returns.push(meanReturnEstimate(await analysisMetaBatch(config, threads, params, k)));
  }
  const total = returns.reduce((a, b) => a + b, 0);
  const estimates: Estimates[] = [];
  for (let k = 0; k < batches; k++) {
    const drawn = await analysisMetaBatch(config, threads, params, k);
    const baseline = (total - returns[k]) / (batches - 1);
    estimates.push(await estimatesOn(config, threads, params, drawn, baseline));
    onBatch(k);
  }
  const n = estimates[0].sgmrl.length;
  const means = Object.fromEntries(ANALYSIS_ESTIMATORS.map((e) => {
    const m = new Float64Array(n);
    for (const est of estimates) est[e].forEach((v, i) => m[i] += v);
    return [e, m.map((v) => v / batches)];
  })) as Record<AnalysisEstimator, Float64Array>;
  const records: BatchRecord[] = [];
  const reference = ANALYSIS_ESTIMATORS[0];
  for (const [k, est] of estimates.entries()) {
    for (const e of ANALYSIS_ESTIMATORS) {
      records.push({
        batch: k,
        estimator: e,
        digest: await estimateDigest(est[e]),
        squaredNorm: dot(est[e], est[e]),
        dotOwnMean: dot(est[e], means[e]),
        dotReferenceMean: dot(est[e], means[reference]),
        referenceDotMean: dot(est[reference], means[e]),
      });
    }
  }
  const meanNorm = (f: (e: Estimates) => number) =>
    estimates.reduce((s, e) => s + f(e), 0) / batches;
  const diffNorm = (a: Float32Array, b: Float32Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
    return Math.sqrt(s);
  };
  return {
    records,
    returns,
    means,
    termNorms: {
      scoreTerm: meanNorm((e) => diffNorm(e.sgmrl, e.maml)),
      scoreTermNoBaseline: meanNorm((e) => diffNorm(e["sgmrl-no-baseline"], e.maml)),
      policyGradient: meanNorm((e) => Math.sqrt(dot(e.maml, e.maml))),
    },
  };
}
