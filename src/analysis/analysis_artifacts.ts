/**
 * The hashed artefacts of the estimator analysis at full scale (results/analysis/, written by
 * `deno task analyse`): one directory per parameter point — the initialisation of the paper's
 * 2D-navigation MAML run (seed 0) and its checkpoints after 125 and 500 iterations — and a summary.
 *
 * ```text
 * results/analysis/<point>/
 *   point.json     the sampling configuration, the point's source, K, the estimators
 *   params.bin     θ at the point (float32), equal to its source's
 *   batches.csv    per meta-batch and estimator: the meta-batch's mean J̃, the estimate's SHA-256,
 *                  ‖g‖², ⟨g, m_e⟩, ⟨g, m_r⟩, ⟨g_r, m_e⟩ (src/analysis/analysis.ts)
 *   means.bin      each estimator's mean over the K meta-batches, float64, estimator order
 *   stats.json     the statistics recomputed from batches.csv, and the score-term norms
 * results/analysis/summary/
 *   analysis.md    a table per point; snr.svg and cosine.svg
 * ```
 *
 * Full verification regenerates everything (about 15 minutes on 2 cores); spot verification
 * ({@linkcode spotVerifyAnalysis}) checks the files against each other and replays N random
 * meta-batches, comparing every estimate's digest and scalars.
 *
 * @module
 */
import {
  type ArtifactFiles,
  checkManifests,
  readExperimentManifest,
  writeExperiment,
  writeProfileManifest,
} from "../experiments/artifacts.ts";
import { csvFormat, csvParse } from "../core/csv.ts";
import {
  analyseAt,
  ANALYSIS_ESTIMATORS,
  type AnalysisEstimator,
  analysisMetaBatch,
  analysisStats,
  type BatchRecord,
  dot,
  estimateDigest,
  estimatesOn,
  type PointAnalysis,
} from "./analysis.ts";
import { canonicalJson } from "../core/canonical_json.ts";
import { lineChartSvg, type Series } from "../experiments/charts.ts";
import { checkpointName, decodeCheckpoint } from "../training/checkpoint.ts";
import { type ExperimentConfig, InputError } from "../training/config.ts";
import { paramsBin, tensorLengths } from "../experiments/experiment_files.ts";
import type { PolicyParams } from "../estimators/policy.ts";
import { expandProfile, PROFILES } from "../training/profiles.ts";
import { readRegularFile } from "../core/safe_fs.ts";
import { drawWithoutReplacement } from "../core/rng.ts";
import { initialTrainingState, type Threads } from "../training/trainer.ts";
import { useBackend } from "../kernels/backend.ts";

/** The profile name of the analysis artefacts. */
export const ANALYSIS_PROFILE = "analysis";
/** The profile name of the same analysis at the tanh policy's parameters (results/ablation). */
export const ANALYSIS_TANH_PROFILE = "analysis-tanh";
/** The ablation experiment whose initialisation and checkpoints are the tanh analysis's points. */
export const ANALYSIS_TANH_SOURCE = "nav2d-maml-so-z1-tanh-s0";
/** Meta-batches per point (the issue asks for at least 50). */
export const ANALYSIS_BATCHES = 50;
/** The paper experiment whose initialisation and checkpoints are the points. */
export const ANALYSIS_SOURCE = "nav2d-maml-so-z1-s0";

/** A parameter point: the initial parameters, or a checkpoint of {@linkcode ANALYSIS_SOURCE}. */
export interface AnalysisPoint {
  readonly id: string;
  /** Completed iterations of the source checkpoint; 0: the initial parameters. */
  readonly iteration: number;
}

/** The points analysed. */
export const ANALYSIS_POINTS: readonly AnalysisPoint[] = [
  { id: "init", iteration: 0 },
  { id: "maml-early", iteration: 125 },
  { id: "maml-late", iteration: 500 },
];

const BATCHES_HEADER = [
  "batch",
  "estimator",
  "mean_return",
  "digest",
  "squared_norm",
  "dot_own_mean",
  "dot_reference_mean",
  "reference_dot_mean",
];

/** The configuration the analysis samples with: the source experiment's. */
export function analysisConfig(): ExperimentConfig {
  const config = expandProfile(PROFILES.paper).find((c) => c.id === ANALYSIS_SOURCE);
  if (config === undefined) throw new Error(`${ANALYSIS_SOURCE} is not in the paper profile`);
  return config;
}

/**
 * What the analysis runs on: the source experiment's configuration (its id names the source), the
 * points, and the results directory holding the source's checkpoints.
 */
export interface AnalysisSetup {
  /** The profile name its artefacts are written under. */
  readonly profile: string;
  readonly config: ExperimentConfig;
  readonly points: readonly AnalysisPoint[];
  readonly sourceDir: string;
}

/** The built-in setup: {@linkcode ANALYSIS_SOURCE} of results/paper at {@linkcode ANALYSIS_POINTS}. */
export function paperSetup(sourceDir = "results/paper"): AnalysisSetup {
  return {
    profile: ANALYSIS_PROFILE,
    config: analysisConfig(),
    points: ANALYSIS_POINTS,
    sourceDir,
  };
}

/**
 * The same analysis at the tanh policy's parameters: {@linkcode ANALYSIS_TANH_SOURCE} of
 * results/ablation (the paper profile's MAML run with tanh in place of ReLU) at the same points.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tanhSetup } from "./analysis_artifacts.ts";
 * const setup = tanhSetup();
 * assert.equal(setup.config.policy.activation, "tanh");
 * assert.equal(setup.profile, "analysis-tanh");
 * ```
 */
export function tanhSetup(sourceDir = "results/ablation"): AnalysisSetup {
  const config = expandProfile(PROFILES.ablation).find((c) => c.id === ANALYSIS_TANH_SOURCE);
  if (config === undefined) {
    throw new Error(`${ANALYSIS_TANH_SOURCE} is not in the ablation profile`);
  }
  return { profile: ANALYSIS_TANH_PROFILE, config, points: ANALYSIS_POINTS, sourceDir };
}

/**
 * The built-in analysis setup written under profile name `profile`, or undefined when `profile`
 * names none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { analysisSetup } from "./analysis_artifacts.ts";
 * assert.equal(analysisSetup("analysis")?.config.policy.activation, "relu");
 * assert.equal(analysisSetup("analysis-tanh")?.config.policy.activation, "tanh");
 * assert.equal(analysisSetup("paper"), undefined);
 * ```
 */
export function analysisSetup(profile: string): AnalysisSetup | undefined {
  if (profile === ANALYSIS_PROFILE) return paperSetup();
  if (profile === ANALYSIS_TANH_PROFILE) return tanhSetup();
  return undefined;
}

/**
 * θ at `point`: the source's initial parameters, or its checkpoint read from the setup's source
 * directory (an {@linkcode InputError} names the file when it is not there).
 */
export async function pointParams(
  point: AnalysisPoint,
  setup: AnalysisSetup,
): Promise<PolicyParams> {
  const { config } = setup;
  if (point.iteration === 0) return (await initialTrainingState(config)).params;
  const file = `${setup.sourceDir}/${config.id}/${checkpointName(point.iteration)}`;
  const bytes = await readRegularFile(file);
  if (bytes === null) {
    throw new InputError(`${file} is missing (the analysis needs the source run's checkpoints)`);
  }
  return (await decodeCheckpoint(bytes, file, tensorLengths(config))).params;
}

function recordRow(r: BatchRecord, meanReturn: number): (number | string)[] {
  return [
    r.batch,
    r.estimator,
    meanReturn,
    r.digest,
    r.squaredNorm,
    r.dotOwnMean,
    r.dotReferenceMean,
    r.referenceDotMean,
  ];
}

function meansBin(means: Record<AnalysisEstimator, Float64Array>): Uint8Array {
  const n = means.sgmrl.length;
  const bytes = new Uint8Array(ANALYSIS_ESTIMATORS.length * n * 8);
  const view = new DataView(bytes.buffer);
  ANALYSIS_ESTIMATORS.forEach((e, j) =>
    means[e].forEach((v, i) => view.setFloat64(8 * (j * n + i), v, true))
  );
  return bytes;
}

function parseMeansBin(bytes: Uint8Array, n: number): Record<AnalysisEstimator, Float64Array> {
  if (bytes.length !== ANALYSIS_ESTIMATORS.length * n * 8) {
    throw new RangeError(
      `means.bin: ${bytes.length} bytes, expected ${ANALYSIS_ESTIMATORS.length * n * 8}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Object.fromEntries(ANALYSIS_ESTIMATORS.map((e, j) => [
    e,
    Float64Array.from({ length: n }, (_, i) => view.getFloat64(8 * (j * n + i), true)),
  ])) as Record<AnalysisEstimator, Float64Array>;
}

/** A point's point.json content. */
function pointDescription(config: ExperimentConfig, point: AnalysisPoint, batches: number) {
  return {
    batches,
    config,
    estimators: [...ANALYSIS_ESTIMATORS],
    source: { experiment: config.id, iteration: point.iteration },
  };
}

/** The files of one point. */
export function pointFiles(
  config: ExperimentConfig,
  point: AnalysisPoint,
  params: PolicyParams,
  analysis: PointAnalysis,
): ArtifactFiles {
  const rows = analysis.records.map((r) => recordRow(r, analysis.returns[r.batch]));
  return {
    "point.json": canonicalJson(pointDescription(config, point, analysis.returns.length)),
    "params.bin": paramsBin(params),
    "batches.csv": csvFormat(BATCHES_HEADER, rows),
    "means.bin": meansBin(analysis.means),
    "stats.json": canonicalJson({
      estimators: analysisStats(analysis.records),
      termNorms: analysis.termNorms,
    }),
  };
}

/** One point's stats.json, as read back. */
interface PointStats {
  readonly estimators: Record<AnalysisEstimator, ReturnType<typeof analysisStats>["sgmrl"]>;
  readonly termNorms: PointAnalysis["termNorms"];
}

/** The summary: a table per point and two figures. */
export async function analysisSummary(
  source: string,
  batches: number,
  stats: readonly { point: AnalysisPoint; stats: PointStats }[],
): Promise<ArtifactFiles> {
  const f = (x: number) => x.toExponential(3);
  const md = stats.map(({ point, stats: s }) => {
    const lines = [
      `## ${point.id} (${
        point.iteration === 0 ? "initial parameters" : `after ${point.iteration} iterations`
      } of ${source})`,
      "",
      `Mean ‖SG-MRL score term‖ ${f(s.termNorms.scoreTerm)} (no baseline: ${
        f(s.termNorms.scoreTermNoBaseline)
      }) against mean ‖policy-gradient term‖ ${f(s.termNorms.policyGradient)}.`,
      "",
      "| estimator | ‖mean‖ | tr Cov | SNR | SNR − 1/K (unbiased) | cos(mean, sgmrl mean) [95% CI] |",
      "| --- | --- | --- | --- | --- | --- |",
      ...ANALYSIS_ESTIMATORS.map((e) => {
        const x = s.estimators[e]!;
        return `| ${e} | ${f(x.meanNorm)} | ${f(x.traceCovariance)} | ${f(x.snr)} | ${
          f(x.snrUnbiased)
        } | ${x.cosine.toFixed(3)} [${x.cosineLow.toFixed(3)}, ${x.cosineHigh.toFixed(3)}] |`;
      }),
    ];
    return lines.join("\n");
  }).join("\n\n") + "\n";
  const series = (field: "snr" | "cosine"): Series[] =>
    ANALYSIS_ESTIMATORS.map((e) => ({
      name: e,
      points: stats.map(({ point, stats: s }) => {
        const x = s.estimators[e]!;
        return field === "snr"
          ? { x: point.iteration, y: x.snr }
          : { x: point.iteration, y: x.cosine, lo: x.cosineLow, hi: x.cosineHigh };
      }),
    }));
  return {
    "analysis.md": md,
    "snr.svg": await lineChartSvg({
      title:
        `Signal-to-noise ratio ‖mean‖² / tr Cov(g) of one meta-batch's estimate (plug-in; K = ${batches}: noise floor 1/K = ${
          (1 / batches).toFixed(3)
        })`,
      xTitle: `iterations of ${source}`,
      yTitle: "SNR",
      logY: true,
      panels: [{ title: "SNR", series: series("snr") }],
    }),
    "cosine.svg": await lineChartSvg({
      title: "Cosine between each estimator's mean and unbiased SG-MRL's mean (95% interval)",
      xTitle: `iterations of ${source}`,
      yTitle: "cosine",
      panels: [{ title: "cosine with the sgmrl mean", series: series("cosine") }],
    }),
  };
}

/** Options of {@linkcode writeAnalysisArtifacts}. */
export interface AnalysisOptions {
  readonly batches?: number;
  /** What to analyse (default {@linkcode paperSetup}). */
  readonly setup?: AnalysisSetup;
  readonly threads: Required<Threads>;
  readonly log?: (line: string) => void;
}

/** Run the analysis at every point and write results/analysis (or `outDir`). */
export async function writeAnalysisArtifacts(
  outDir: string,
  options: AnalysisOptions,
): Promise<string> {
  const setup = options.setup ?? paperSetup();
  const { config } = setup;
  await useBackend(config.backend);
  const batches = options.batches ?? ANALYSIS_BATCHES;
  const stats: { point: AnalysisPoint; stats: PointStats }[] = [];
  for (const point of setup.points) {
    const params = await pointParams(point, setup);
    const start = performance.now();
    const analysis = await analyseAt(config, options.threads, params, batches);
    options.log?.(
      `${point.id}: ${batches} meta-batches in ${
        ((performance.now() - start) / 1000).toFixed(0)
      } s`,
    );
    const files = pointFiles(config, point, params, analysis);
    await writeExperiment(outDir, point.id, files);
    stats.push({ point, stats: JSON.parse(files["stats.json"] as string) });
  }
  await writeExperiment(outDir, "summary", await analysisSummary(config.id, batches, stats));
  return (await writeProfileManifest(outDir, setup.profile)).root;
}

/** The outcome of {@linkcode spotVerifyAnalysis}. */
export interface AnalysisSpotReport {
  readonly root: string;
  /** The drawn (point, meta-batch) pairs. */
  readonly replayed: { point: string; batch: number }[];
  readonly total: number;
  /** The first problem, or null. */
  readonly failure: string | null;
}

const text = (b: Uint8Array | null) => new TextDecoder().decode(b ?? new Uint8Array());

/**
 * Spot-verify results/analysis: every manifest and digest; stats.json and the summary recomputed
 * from batches.csv; each mean consistent with its records; params.bin equal to its source in
 * `paperDir`; then N random (point, meta-batch) pairs replayed, every estimate's digest and
 * scalars compared byte for byte.
 */
export async function spotVerifyAnalysis(
  dir: string,
  options: {
    spots: number;
    seed: number;
    threads: Required<Threads>;
    /** What the directory must be an analysis of (default {@linkcode paperSetup}). */
    setup?: AnalysisSetup;
    log?: (line: string) => void;
  },
): Promise<AnalysisSpotReport> {
  const log = options.log ?? (() => {});
  const root = JSON.parse(text(await readRegularFile(`${dir}/manifest.json`))).root as string;
  const fail = (failure: string, replayed: { point: string; batch: number }[] = [], total = 0) => ({
    root,
    replayed,
    total,
    failure,
  });
  const problems = await checkManifests(dir);
  if (problems.length > 0) return fail(problems[0]);
  const setup = options.setup ?? paperSetup();
  const { config } = setup;
  const loaded: {
    point: AnalysisPoint;
    params: PolicyParams;
    lines: string[];
    records: BatchRecord[];
    returns: number[];
    means: Record<AnalysisEstimator, Float64Array>;
    stats: PointStats;
  }[] = [];
  for (const point of setup.points) {
    const at = `${dir}/${point.id}`;
    const stated = text(await readRegularFile(`${at}/point.json`));
    let k0 = 0;
    try {
      k0 = (JSON.parse(stated) as { batches?: number }).batches ?? 0;
    } catch {
      // Not JSON: refused just below.
    }
    if (stated !== canonicalJson(pointDescription(config, point, k0))) {
      return fail(
        `${point.id}/point.json: not an analysis of ${config.id} after ${point.iteration} iterations`,
      );
    }
    const csv = text(await readRegularFile(`${at}/batches.csv`));
    let parsed;
    try {
      parsed = csvParse(csv);
    } catch (e) {
      return fail(`${point.id}/batches.csv: ${(e as Error).message}`);
    }
    const records: BatchRecord[] = parsed.rows.map((r) => ({
      batch: Number(r[0]),
      estimator: r[1] as AnalysisEstimator,
      digest: r[3],
      squaredNorm: Number(r[4]),
      dotOwnMean: Number(r[5]),
      dotReferenceMean: Number(r[6]),
      referenceDotMean: Number(r[7]),
    }));
    const k = records.length / ANALYSIS_ESTIMATORS.length;
    const returns = Array.from(
      { length: k },
      (_, b) => Number(parsed.rows[b * ANALYSIS_ESTIMATORS.length][2]),
    );
    const expectedOrder = Array.from(
      { length: k },
      (_, b) => ANALYSIS_ESTIMATORS.map((e) => `${b}:${e}`),
    )
      .flat().join();
    if (records.map((r) => `${r.batch}:${r.estimator}`).join() !== expectedOrder || k !== k0) {
      return fail(
        `${point.id}/batches.csv: not one row per meta-batch (${k0}) and estimator, in order`,
      );
    }
    if (parsed.rows.some((r, i) => r[2] !== parsed.rows[i - (i % ANALYSIS_ESTIMATORS.length)][2])) {
      return fail(`${point.id}/batches.csv: a meta-batch's mean_return differs between its rows`);
    }
    const params = await pointParams(point, setup);
    const stored = await readRegularFile(`${at}/params.bin`);
    const expected = paramsBin(params);
    if (
      stored === null || stored.length !== expected.length ||
      stored.some((b, i) => b !== expected[i])
    ) {
      return fail(
        `${point.id}/params.bin: not the parameters of ${config.id} after ${point.iteration} iterations`,
      );
    }
    const n = expected.length / 4;
    let means;
    try {
      means = parseMeansBin((await readRegularFile(`${at}/means.bin`)) ?? new Uint8Array(), n);
    } catch (e) {
      return fail(`${point.id}/${(e as Error).message}`);
    }
    for (const e of ANALYSIS_ESTIMATORS) {
      const fromRecords = records.filter((r) =>
        r.estimator === e
      ).reduce((s, r) => s + r.dotOwnMean, 0) / k;
      const own = dot(means[e], means[e]);
      if (Math.abs(fromRecords - own) > 1e-9 * Math.max(own, 1e-300)) {
        return fail(`${point.id}: means.bin's ${e} mean is not the mean of its records`);
      }
    }
    const stats = JSON.parse(text(await readRegularFile(`${at}/stats.json`))) as PointStats;
    const recomputed = canonicalJson({
      estimators: analysisStats(records),
      termNorms: stats.termNorms,
    });
    if (recomputed !== text(await readRegularFile(`${at}/stats.json`))) {
      return fail(`${point.id}/stats.json: not the statistics of batches.csv`);
    }
    loaded.push({ point, params, lines: csv.split("\n").slice(1), records, returns, means, stats });
  }
  const summary = await analysisSummary(
    config.id,
    loaded[0]?.returns.length ?? 0,
    loaded.map((l) => ({ point: l.point, stats: l.stats })),
  );
  const manifest = await readExperimentManifest(dir, "summary");
  for (const [name, content] of Object.entries(summary)) {
    if (
      !Object.hasOwn(manifest.files, name) ||
      text(await readRegularFile(`${dir}/summary/${name}`)) !== content
    ) {
      return fail(`summary/${name}: does not regenerate from the points' statistics`);
    }
  }
  const pairs = loaded.flatMap((l) => l.returns.map((_, b) => ({ point: l.point.id, batch: b })));
  const drawn = drawWithoutReplacement(pairs.length, options.spots, options.seed, 2)
    .sort((a, b) => a - b).map((i) => pairs[i]);
  log(`integrity: ${loaded.length} point(s), their records, means and statistics check`);
  log(`replaying ${drawn.length} of ${pairs.length} meta-batch(es), spot seed ${options.seed}:`);
  for (const d of drawn) log(`  ${d.point} meta-batch ${d.batch}`);
  await useBackend(config.backend);
  for (const d of drawn) {
    const l = loaded.find((x) => x.point.id === d.point)!;
    const start = performance.now();
    const batches = await analysisMetaBatch(config, options.threads, l.params, d.batch);
    const total = l.returns.reduce((a, b) => a + b, 0);
    const baseline = (total - l.returns[d.batch]) / (l.returns.length - 1);
    const est = await estimatesOn(config, options.threads, l.params, batches, baseline);
    const meanReturn = batches.reduce((s, t) => s + t.outer.returnEstimate, 0) / batches.length;
    for (const [j, e] of ANALYSIS_ESTIMATORS.entries()) {
      const record: BatchRecord = {
        batch: d.batch,
        estimator: e,
        digest: await estimateDigest(est[e]),
        squaredNorm: dot(est[e], est[e]),
        dotOwnMean: dot(est[e], l.means[e]),
        dotReferenceMean: dot(est[e], l.means.sgmrl),
        referenceDotMean: dot(est.sgmrl, l.means[e]),
      };
      const line = csvFormat(BATCHES_HEADER, [recordRow(record, meanReturn)]).split("\n")[1];
      const committed = l.lines[d.batch * ANALYSIS_ESTIMATORS.length + j];
      if (line !== committed) {
        return fail(
          `${d.point}, meta-batch ${d.batch}, ${e}: batches.csv differs\ncommitted:   ${committed}\nregenerated: ${line}`,
          drawn,
          pairs.length,
        );
      }
    }
    log(
      `ok ${d.point} meta-batch ${d.batch} (${((performance.now() - start) / 1000).toFixed(1)} s)`,
    );
  }
  return { root, replayed: drawn, total: pairs.length, failure: null };
}
