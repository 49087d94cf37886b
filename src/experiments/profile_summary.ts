/**
 * A training profile's `summary/` directory: what its experiments add up to, regenerated from the
 * experiment directories present (so runs split by `--only` add up to the same bytes, and verify
 * compares it like any artefact):
 *
 * ```text
 * summary/
 *   table.md                       the summary table (both evaluation protocols, the paper's figures)
 *   curves-<env>-z<ζ>.svg          learning curves: pre- and post-adaptation return of the training
 *                                  batches against iteration, mean ± std over seeds, one line per
 *                                  estimator (each point the mean of a window of iterations)
 *   steps.md                       with runs of ζ ≥ 2: the meta-test return after each adaptation
 *                                  step, 0 … ζ, and the gain over the ζ steps, mean ± std over seeds
 *   gap.md                         with runs under the published protocol: the gap between the
 *                                  package's figure and the paper's, step by step
 *                                  (src/experiments/gap_decomposition.ts)
 * ```
 *
 * @module
 */
import { environmentName } from "../envs/task_module.ts";
import type { ArtifactFiles } from "./artifacts.ts";
import { lineChartSvg, type Series } from "./charts.ts";
import { gapColumns, gapTable } from "./gap_decomposition.ts";
import { formatMeanStd, meanStd } from "../core/stats.ts";
import { type ExperimentConfig, InputError } from "../training/config.ts";
import {
  parseEvaluationsCsv,
  parseMetricsCsv,
  parseValidationsCsv,
  readStoredConfigs,
  SUMMARY_ID,
  VALIDATIONS_FILE,
} from "./experiment_files.ts";
import {
  bestValidation,
  type Validation,
  validationRule,
  validationScore,
} from "../training/validation.ts";
import { MAX_ARTIFACT_BYTES, MAX_INPUT_BYTES, readRegularFile } from "../core/safe_fs.ts";
import type { Evaluation, IterationMetrics, PeriodicEvaluation } from "../training/trainer.ts";

export { SUMMARY_ID };

/** Most points per learning curve: longer runs are averaged over windows of iterations. */
export const CURVE_POINTS = 100;

/** An experiment's results and its metrics rows. */
export interface ExperimentCurves extends ExperimentResult {
  readonly metrics: readonly IterationMetrics[];
}

/** The label of an estimator in tables and legends: `sgmrl (second order)`. */
function estimatorLabel(config: ExperimentConfig): string {
  return `${config.algorithm} (${config.hessian === "autodiff" ? "second" : "first"} order)`;
}

function band(values: readonly number[]): { y: number; lo: number; hi: number } {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1
    ? Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1))
    : 0;
  return { y: m, lo: m - sd, hi: m + sd };
}

/**
 * The learning-curve series of one group of experiments (same env and ζ): one series per
 * estimator, each point the mean over seeds (± std) of the window-averaged metric.
 */
export function curveSeries(
  experiments: readonly ExperimentCurves[],
  metric: "preReturn" | "postReturn",
): Series[] {
  const byEstimator = new Map<string, ExperimentCurves[]>();
  for (const e of experiments) {
    const key = estimatorLabel(e.config);
    byEstimator.set(key, [...(byEstimator.get(key) ?? []), e]);
  }
  return [...byEstimator.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(
    ([name, runs]) => {
      const iterations = Math.min(...runs.map((r) => r.metrics.length));
      const window = Math.max(1, Math.ceil(iterations / CURVE_POINTS));
      const points = [];
      for (let start = 0; start < iterations; start += window) {
        const end = Math.min(iterations, start + window);
        const perSeed = runs.map((r) => {
          let s = 0;
          for (let i = start; i < end; i++) s += r.metrics[i][metric];
          return s / (end - start);
        });
        points.push({ x: end, ...band(perSeed) });
      }
      return { name, points };
    },
  );
}

/**
 * The summary files of a profile's experiments.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summaryFiles } from "./profile_summary.ts";
 * const files = await summaryFiles([]);
 * assert.equal(Object.keys(files).join(), "table.md", "a table even for no experiment");
 * ```
 */
export async function summaryFiles(
  experiments: readonly ExperimentCurves[],
): Promise<ArtifactFiles> {
  const rows = summarize(experiments);
  const files: ArtifactFiles = { "table.md": `${summaryTable(rows)}\n` };
  const steps = adaptationStepsTable(rows);
  if (steps !== undefined) files["steps.md"] = `${steps}\n`;
  const gap = gapTable(gapColumns(experiments), PAPER_FIGURES);
  if (gap !== undefined) files["gap.md"] = `${gap}\n`;
  const groups = new Map<string, ExperimentCurves[]>();
  for (const e of experiments) {
    const key = `${environmentName(e.config.env)}-z${e.config.innerSteps}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  for (const [key, group] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const { innerSteps } = group[0].config;
    const env = environmentName(group[0].config.env);
    const seeds = new Set(group.map((e) => e.config.seed)).size;
    files[`curves-${key}.svg`] = await lineChartSvg({
      title:
        `${env}, ζ = ${innerSteps}: return of the training batches (mean ± std over ${seeds} seed(s))`,
      xTitle: "meta-iteration",
      yTitle: "mean undiscounted return",
      panels: [
        { title: "before adaptation (D₁)", series: curveSeries(group, "preReturn") },
        {
          title: `after ${innerSteps} adaptation step(s) (D_o)`,
          series: curveSeries(group, "postReturn"),
        },
      ],
    });
  }
  return files;
}

/** Read a profile directory's experiments with their metrics, for {@linkcode summaryFiles}. */
export async function readCurves(dir: string): Promise<ExperimentCurves[]> {
  const results = await readResults(dir);
  return await Promise.all(results.map(async (r) => {
    const path = `${dir}/${r.config.id}/metrics.csv`;
    const bytes = await readRegularFile(path, MAX_ARTIFACT_BYTES);
    const metrics = parseMetricsCsv(new TextDecoder().decode(bytes ?? new Uint8Array()), path);
    return { ...r, metrics };
  }));
}

/**
 * One row of the summary table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type SummaryRow, summaryTable } from "./profile_summary.ts";
 * const row: SummaryRow = { env: "point-mass", algorithm: "maml", hessian: "autodiff",
 *   innerSteps: 1, seeds: 3, mean: -13.111, std: 0.5 };
 * assert.ok(
 *   summaryTable([row]).includes("| point-mass | maml | second order | 1 | −13.111 ± 0.500 | 3 |"),
 *   "one table row",
 * );
 * ```
 */
export interface SummaryRow {
  readonly env: string;
  readonly algorithm: string;
  readonly hessian: string;
  readonly innerSteps: number;
  /** The policy's activation and the sampler ("relu, fixed"): a column where rows differ in it. */
  readonly setup?: string;
  readonly seeds: number;
  readonly mean: number;
  /** Sample standard deviation over seeds (n − 1; 0 for one seed). */
  readonly std: number;
  /**
   * The final meta-test return after 0, 1, …, ζ adaptation steps (evaluation.json's
   * `returnsByStep`), mean and std over seeds ({@linkcode summarize} always sets it).
   */
  readonly byStep?: readonly { readonly mean: number; readonly std: number }[];
  /**
   * The gain over the ζ steps: each seed's return after ζ steps minus before adaptation, mean and
   * std over seeds ({@linkcode summarize} always sets it).
   */
  readonly gain?: { readonly mean: number; readonly std: number };
  /**
   * The reference's protocol, when every seed has periodic evaluations: the best of each seed's
   * post-adaptation returns over its evaluations during training, mean and std over seeds.
   */
  readonly best?: { readonly mean: number; readonly std: number };
  /**
   * With the budget sampler, when every seed reports it: the final evaluation's pooled return after
   * ζ steps (the published `AverageReturn`), mean and std over seeds.
   */
  readonly pooled?: { readonly mean: number; readonly std: number };
  /**
   * With the published protocol: the final parameters' score under it (evaluation.json's
   * `publishedReturnsByStep` after ζ steps), mean and std over seeds.
   */
  readonly publishedFinal?: { readonly mean: number; readonly std: number };
  /**
   * The published protocol, when every seed has validations: each seed's best validation score
   * (src/training/validation.ts), mean and std over seeds.
   */
  readonly published?: { readonly mean: number; readonly std: number };
}

/**
 * One experiment's results as the summary reads them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ExperimentResult, readResults } from "./profile_summary.ts";
 * // The committed quick profile: every experiment's configuration and meta-test evaluation.
 * const results: ExperimentResult[] = await readResults("results/quick");
 * const sgmrl = results.find((r) => r.config.id === "nav2d-sgmrl-so-z1-s0")!;
 * assert.equal(sgmrl.periodic.length, 2, "quick");
 * assert.equal(sgmrl.evaluation.tasks, 16, "quick");
 * ```
 */
export interface ExperimentResult {
  readonly config: ExperimentConfig;
  readonly evaluation: Evaluation;
  /** The periodic evaluations (empty without `evaluation.periodic`). */
  readonly periodic: readonly PeriodicEvaluation[];
  /** The published protocol's validations (empty without it). */
  readonly validations: readonly Validation[];
}

/**
 * The paper's figures (mean meta-test reward ± over seeds), keyed `env|algorithm|ζ`: Table 1
 * (2D navigation, one adaptation step) and Table 2 (locomotion, 1–3 steps; the swimmer row is the
 * published reward, `swimmer-vel`).
 */
export const PAPER_FIGURES: Readonly<Record<string, string>> = {
  "nav2d|sgmrl|1": "−16.901 ± 0.699",
  // The paper's SG-MRL figure came from its published code.
  "nav2d|sgmrl-published|1": "−16.901 ± 0.699",
  "nav2d|maml|1": "−17.767 ± 0.106",
  "nav2d|emaml|1": "−17.803 ± 0.115",
  ...table2("half-cheetah-dir", [
    ["580.143 ± 38.22", "465.624 ± 54.07"],
    ["580.203 ± 33.63", "441.247 ± 58.34"],
    ["504.747 ± 45.07", "477.086 ± 64.71"],
  ]),
  ...table2("half-cheetah-vel", [
    ["−91.73 ± 0.34", "−92.92 ± 0.70"],
    ["−52.64 ± 6.86", "−56.71 ± 6.73"],
    ["−33.39 ± 0.67", "−32.48 ± 0.50"],
  ]),
  ...table2("swimmer-vel", [
    ["118.77 ± 9.99", "104.53 ± 24.18"],
    ["134.57 ± 1.67", "108.47 ± 23.36"],
    ["110.91 ± 12.56", "90.60 ± 14.99"],
  ]),
};

function table2(env: string, rows: [string, string][]): Record<string, string> {
  return Object.fromEntries(rows.flatMap(([sgmrl, maml], k) => [
    [`${env}|sgmrl|${k + 1}`, sgmrl],
    [`${env}|maml|${k + 1}`, maml],
  ]));
}

/**
 * Group final evaluations by estimator and ζ: mean ± std over seeds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readResults, summarize } from "./profile_summary.ts";
 * const rows = summarize(await readResults("results/quick"));
 * const sgmrl = rows.find((r) => r.env === "nav2d" && r.algorithm === "sgmrl" &&
 *   r.hessian === "autodiff" && r.innerSteps === 1)!;
 * assert.equal(sgmrl.seeds, 2, "2 seeds, periodic best");
 * assert.notEqual(sgmrl.best, undefined, "2 seeds, periodic best");
 * ```
 */
export function summarize(results: readonly ExperimentResult[]): SummaryRow[] {
  interface Group {
    config: ExperimentConfig;
    setup: string;
    values: number[];
    returnsByStep: (readonly number[])[];
    best: number[];
    pooled: number[];
    publishedFinal: number[];
    published: number[];
  }
  const last = (values: readonly number[] | undefined) => values?.[values.length - 1];
  const groups = new Map<string, Group>();
  for (const { config, evaluation, periodic, validations } of results) {
    const setup = `${config.policy.activation}, ${config.sampler ?? "fixed"}`;
    const key = `${
      environmentName(config.env)
    }|${config.algorithm}|${config.hessian}|${config.innerSteps}|${setup}`;
    const g = groups.get(key) ?? {
      config,
      setup,
      values: [],
      returnsByStep: [],
      best: [],
      pooled: [],
      publishedFinal: [],
      published: [],
    };
    g.values.push(evaluation.postAdaptationReturn);
    g.returnsByStep.push(evaluation.returnsByStep);
    if (periodic.length > 0) {
      g.best.push(Math.max(...periodic.map((p) => p.evaluation.postAdaptationReturn)));
    }
    const pooled = last(evaluation.pooledReturnsByStep);
    if (pooled !== undefined) g.pooled.push(pooled);
    const publishedFinal = last(evaluation.publishedReturnsByStep);
    if (publishedFinal !== undefined) g.publishedFinal.push(publishedFinal);
    const top = bestValidation(validations);
    if (top !== undefined) g.published.push(validationScore(top));
    groups.set(key, g);
  }
  const setups = new Set([...groups.values()].map((g) => g.setup));
  const all = (values: number[], n: number) =>
    values.length === n && n > 0 ? meanStd(values) : undefined;
  return [...groups.values()].map((g) => {
    const n = g.values.length;
    const optional = {
      best: all(g.best, n),
      pooled: all(g.pooled, n),
      publishedFinal: all(g.publishedFinal, n),
      published: all(g.published, n),
    };
    return {
      env: environmentName(g.config.env),
      algorithm: g.config.algorithm,
      hessian: g.config.hessian,
      innerSteps: g.config.innerSteps,
      ...(setups.size > 1 ? { setup: g.setup } : {}),
      seeds: n,
      ...meanStd(g.values),
      byStep: Array.from(
        { length: g.config.innerSteps + 1 },
        (_, k) => meanStd(g.returnsByStep.map((r) => r[k])),
      ),
      gain: meanStd(g.returnsByStep.map((r) => r[r.length - 1] - r[0])),
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    };
  }).sort((a, b) =>
    a.env.localeCompare(b.env) || a.innerSteps - b.innerSteps ||
    a.hessian.localeCompare(b.hessian) ||
    a.algorithm.localeCompare(b.algorithm) || (a.setup ?? "").localeCompare(b.setup ?? "")
  );
}

/**
 * What each further inner step adds: for every estimator trained with ζ ≥ 2 adaptation steps (the
 * rows of {@linkcode summarize}), the final meta-test return after 0, 1, …, ζ steps and the gain
 * over the ζ steps, mean ± sample std over seeds; a column for the policy and sampler where these
 * rows differ in them. Undefined when no row has ζ ≥ 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { adaptationStepsTable, readResults, summarize } from "./profile_summary.ts";
 * const md = adaptationStepsTable(summarize(await readResults("results/quick")))!;
 * // The quick profile's ζ = 2 estimators: one row each.
 * const row = md.split("\n").find((l) => l.startsWith("| nav2d | maml | second order | 2 |"))!;
 * // env, algorithm, meta-gradient, ζ; before, after 1 and 2 steps; the gain; seeds.
 * assert.equal(row.split("|").length - 2, 9, row);
 * assert.equal(adaptationStepsTable([]), undefined);
 * ```
 */
export function adaptationStepsTable(rows: readonly SummaryRow[]): string | undefined {
  const shown = rows.filter((r): r is SummaryRow & Required<Pick<SummaryRow, "byStep" | "gain">> =>
    r.innerSteps >= 2 && r.byStep !== undefined && r.gain !== undefined
  );
  if (shown.length === 0) return undefined;
  const withSetup = new Set(shown.map((r) => r.setup)).size > 1;
  const steps = Math.max(...shown.map((r) => r.innerSteps));
  const titles = [
    "before adaptation",
    ...Array.from({ length: steps }, (_, k) => `after ${k + 1} step${k === 0 ? "" : "s"}`),
  ];
  const lines = [
    `| env | algorithm | meta-gradient | ζ |${withSetup ? " policy, sampler |" : ""} ${
      titles.join(" | ")
    } | gain over ζ steps | seeds |`,
    `| --- | --- | --- | --- |${withSetup ? " --- |" : ""}${" --- |".repeat(titles.length + 2)}`,
  ];
  for (const r of shown) {
    const order = r.hessian === "autodiff" ? "second order" : "first order";
    const returns = titles.map((_, k) => (k < r.byStep.length ? formatMeanStd(r.byStep[k]) : ""));
    lines.push(
      `| ${r.env} | ${r.algorithm} | ${order} | ${r.innerSteps} |${
        withSetup ? ` ${r.setup} |` : ""
      } ${returns.join(" | ")} | ${formatMeanStd(r.gain, { signed: true })} | ${r.seeds} |`,
    );
  }
  return lines.join("\n");
}

/**
 * The summary as a Markdown table in the form of the paper's Tables 1 and 2, with the paper's
 * figure beside each row the paper reports.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summaryTable } from "./profile_summary.ts";
 * const md = summaryTable([{ env: "nav2d", algorithm: "sgmrl", hessian: "none", innerSteps: 1,
 *   seeds: 2, mean: -17, std: 0.5 }]);
 * assert.ok(
 *   md.includes("| nav2d | sgmrl | first order | 1 | −17.000 ± 0.500 | 2 | −16.901 ± 0.699 |"),
 *   md,
 * );
 * ```
 */
export function summaryTable(rows: readonly SummaryRow[]): string {
  // Optional columns, each shown when some row has it.
  const optional: [string, (r: SummaryRow) => { mean: number; std: number } | undefined][] = [
    ["best during training (reference protocol)", (r) => r.best],
    ["pooled return after ζ steps (budget sampler)", (r) => r.pooled],
    ["final parameters, published metric", (r) => r.publishedFinal],
    ["best validation (published protocol)", (r) => r.published],
  ];
  const shown = optional.filter(([, get]) => rows.some((r) => get(r) !== undefined));
  const headers = shown.map(([title]) => ` ${title} |`).join("");
  const withSetup = rows.some((r) => r.setup !== undefined);
  const lines = [
    `| env | algorithm | meta-gradient | ζ |${
      withSetup ? " policy, sampler |" : ""
    } meta-test return after ζ steps (mean ± std) |${headers} seeds | paper |`,
    `| --- | --- | --- | --- |${withSetup ? " --- |" : ""} --- |${
      shown.map(() => " --- |").join("")
    } --- | --- |`,
  ];
  for (const r of rows) {
    const order = r.hessian === "autodiff" ? "second order" : "first order";
    const paper = PAPER_FIGURES[`${r.env}|${r.algorithm}|${r.innerSteps}`] ?? "";
    const setup = withSetup ? ` ${r.setup ?? ""} |` : "";
    const cells = shown.map(([, get]) => {
      const v = get(r);
      return v === undefined ? " |" : ` ${formatMeanStd(v)} |`;
    }).join("");
    lines.push(
      `| ${r.env} | ${r.algorithm} | ${order} | ${r.innerSteps} |${setup} ${
        formatMeanStd(r)
      } |${cells} ${r.seeds} | ${paper} |`,
    );
  }
  return lines.join("\n");
}

/**
 * Read the final (and periodic) evaluations and the validations of every experiment in a profile
 * directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readResults } from "./profile_summary.ts";
 * const results = await readResults("results/quick");
 * assert.equal(results.length, 40, "the quick profile's 40 experiments");
 * ```
 */
export async function readResults(dir: string): Promise<ExperimentResult[]> {
  const configs = await readStoredConfigs(dir);
  const read = async (path: string) => {
    const bytes = await readRegularFile(path, MAX_INPUT_BYTES);
    if (bytes === null) throw new InputError(`${path}: missing`);
    return new TextDecoder().decode(bytes);
  };
  return await Promise.all(configs.map(async (config) => {
    const at = `${dir}/${config.id}`;
    const periodic = config.evaluation.periodic === undefined ? [] : parseEvaluationsCsv(
      await read(`${at}/evaluations.csv`),
      config.innerSteps,
      config.evaluation.periodic.tasks,
      `${at}/evaluations.csv`,
    );
    const evaluation = JSON.parse(await read(`${at}/evaluation.json`)) as Evaluation;
    const validations = validationRule(config) === undefined ? [] : parseValidationsCsv(
      await read(`${at}/${VALIDATIONS_FILE}`),
      config.innerSteps,
      `${at}/${VALIDATIONS_FILE}`,
    );
    return { config, evaluation, periodic, validations };
  }));
}
