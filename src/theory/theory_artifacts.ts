/**
 * The hashed artefacts of the exact bias analysis (results/theory/): one directory per built-in
 * problem (problem.json, bias.json with each estimator's exact bias, variance and MSE), a sweep of
 * every estimator's bias against α on the worked example (sweep.json, bias-vs-alpha.svg), a sweep
 * of bias, variance and MSE against the inner batch size (sweep.json, batch-size.svg), and a
 * Markdown summary (bias.md). The figures are drawn by Vega-Lite (src/experiments/charts.ts).
 *
 * @module
 */
import {
  type ArtifactFiles,
  writeExperiment,
  writeProfileManifest,
} from "../experiments/artifacts.ts";
import { canonicalJson } from "../core/canonical_json.ts";
import { lineChartSvg } from "../experiments/charts.ts";
import { EXACT_ESTIMATORS } from "./exact.ts";
import { analyseBias, type BiasReport, biasTable, type TheoryInput } from "./theory.ts";
import { THEORY_SUITE, WORKED_EXAMPLE_BY_STEPS, workedExample } from "./theory_suite.ts";

/** The profile name of the theory artefacts. */
export const THEORY_PROFILE = "theory";

/** Step sizes of the α sweep. */
export const SWEEP_ALPHAS: readonly number[] = [
  0.05,
  0.1,
  0.15,
  0.2,
  0.25,
  0.3,
  0.35,
  0.4,
  0.45,
  0.5,
];

/** Bias of each estimator at each α of {@linkcode SWEEP_ALPHAS} (worked example, ζ = 1). */
export interface BiasSweep {
  readonly alphas: readonly number[];
  readonly bias: Record<string, number[]>;
}

/** Run the α sweep. */
export function biasSweep(): BiasSweep {
  const bias: Record<string, number[]> = {};
  for (const name of Object.keys(EXACT_ESTIMATORS)) bias[name] = [];
  for (const alpha of SWEEP_ALPHAS) {
    const report = analyseBias({ ...workedExample(1), alpha });
    for (const [name, e] of Object.entries(report.estimators)) bias[name].push(e.bias);
  }
  return { alphas: SWEEP_ALPHAS, bias };
}

/** The inner batch sizes |D_t| of the batch-size sweep. */
export const SWEEP_BATCHES: readonly number[] = [1, 2, 3, 4];

/**
 * The problem of the batch-size sweep: the worked example cut to one step (H = 0), so that four
 * inner trajectories still enumerate in seconds.
 */
export function oneStepExample(batchIn: number): TheoryInput {
  return { ...workedExample(1), horizon: 0, batchIn };
}

/** Bias, variance (trace of the covariance) and MSE of each estimator at each inner batch size. */
export interface BatchSweep {
  readonly batchIn: readonly number[];
  readonly bias: Record<string, number[]>;
  readonly variance: Record<string, number[]>;
  readonly mse: Record<string, number[]>;
}

/** Run the batch-size sweep on {@linkcode oneStepExample}. */
export function batchSweep(): BatchSweep {
  const names = Object.keys(EXACT_ESTIMATORS);
  const table = () => Object.fromEntries(names.map((n) => [n, [] as number[]]));
  const sweep = { batchIn: SWEEP_BATCHES, bias: table(), variance: table(), mse: table() };
  for (const b of SWEEP_BATCHES) {
    for (const [name, e] of Object.entries(analyseBias(oneStepExample(b)).estimators)) {
      sweep.bias[name].push(e.bias);
      sweep.variance[name].push(e.variance);
      sweep.mse[name].push(e.mse);
    }
  }
  return sweep;
}

/**
 * The α sweep as a chart.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { biasSvg } from "./theory_artifacts.ts";
 * const svg = await biasSvg({ alphas: [0.1, 0.2], bias: { sgmrl: [0, 0], maml: [0.01, 0.03] } });
 * assert.ok(svg.startsWith("<svg"), "unexpected");
 * assert.ok(svg.includes("maml"), "unexpected");
 * ```
 */
export async function biasSvg(sweep: BiasSweep): Promise<string> {
  return await lineChartSvg({
    title: "Exact bias ‖E[estimate] − ∇V₁‖ against α (worked example, ζ = 1)",
    xTitle: "inner step size α",
    yTitle: "bias",
    panels: [{
      title: "bias",
      series: Object.entries(sweep.bias).map(([name, values]) => ({
        name,
        points: values.map((y, i) => ({ x: sweep.alphas[i], y })),
      })),
    }],
  });
}

/** The batch-size sweep as a chart: bias, variance and MSE against |D_t|. */
export async function batchSvg(sweep: BatchSweep): Promise<string> {
  const panel = (title: string, table: Record<string, number[]>) => ({
    title,
    series: Object.entries(table).map(([name, values]) => ({
      name,
      points: values.map((y, i) => ({ x: sweep.batchIn[i], y })),
    })),
  });
  return await lineChartSvg({
    title:
      "Exact bias, variance (tr Cov) and MSE against the inner batch size (one-step worked example, ζ = 1, |D_o| = 1)",
    xTitle: "inner batch size |D_t|",
    yTitle: "value",
    independentY: true,
    panels: [
      panel("bias ‖E[g] − ∇V‖", sweep.bias),
      panel("variance tr Cov(g)", sweep.variance),
      panel("MSE E‖g − ∇V‖²", sweep.mse),
    ],
  });
}

/**
 * One problem's exact analysis at several numbers of inner steps, side by side: for each estimator
 * and each ζ its bias, its variance (trace of the covariance), its MSE, and its variance as a
 * multiple of MAML's (the estimator the paper sets SG-MRL against) at the same ζ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepsTable } from "./theory_artifacts.ts";
 * const e = (bias: number, variance: number) => ({ mean: [0], bias, variance, mse: variance + bias * bias });
 * const table = stepsTable([
 *   [1, { gradV: [1], estimators: { sgmrl: e(0, 3), maml: e(0.1, 1) } }],
 *   [2, { gradV: [1], estimators: { sgmrl: e(0, 8), maml: e(0.2, 2) } }],
 * ]);
 * assert.ok(
 *   table.includes("| sgmrl | 0.000e+0 | 0.000e+0 | 3.000e+0 | 8.000e+0 | 3.000e+0 | 8.000e+0 | 3.00 | 4.00 |"),
 *   table,
 * );
 * ```
 */
export function stepsTable(byStep: readonly (readonly [number, BiasReport])[]): string {
  const steps = byStep.map(([zeta]) => zeta);
  const columns = (label: string) => steps.map((z) => `${label}, ζ = ${z}`);
  const header = [
    "estimator",
    ...columns("bias"),
    ...columns("tr Cov"),
    ...columns("MSE"),
    ...columns("tr Cov ÷ maml's"),
  ];
  const lines = [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`];
  for (const name of Object.keys(byStep[0][1].estimators)) {
    const at = byStep.map(([, report]) => report.estimators[name]);
    const ratio = byStep.map(([, report], i) =>
      (at[i].variance / report.estimators.maml.variance).toFixed(2)
    );
    const cells = [
      name,
      ...at.map((e) => e.bias.toExponential(3)),
      ...at.map((e) => e.variance.toExponential(3)),
      ...at.map((e) => e.mse.toExponential(3)),
      ...ratio,
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** Every artefact directory of the theory profile, by id. */
export async function theoryArtifacts(): Promise<Record<string, ArtifactFiles>> {
  const out: Record<string, ArtifactFiles> = {};
  const reports: [string, BiasReport][] = [];
  const make = (id: string) => THEORY_SUITE[id]();
  for (const id of Object.keys(THEORY_SUITE)) {
    const problem = make(id);
    const report = analyseBias(problem);
    reports.push([id, report]);
    out[id] = { "problem.json": canonicalJson(problem), "bias.json": canonicalJson(report) };
  }
  const sweep = biasSweep();
  out["alpha-sweep"] = {
    "sweep.json": canonicalJson(sweep),
    "bias-vs-alpha.svg": await biasSvg(sweep),
  };
  const batches = batchSweep();
  out["batch-size-sweep"] = {
    "problem.json": canonicalJson(oneStepExample(1)),
    "sweep.json": canonicalJson(batches),
    "batch-size.svg": await batchSvg(batches),
  };
  const byId = new Map(reports);
  const byStep = WORKED_EXAMPLE_BY_STEPS.map((id) => [make(id).innerSteps, byId.get(id)!] as const);
  out["summary"] = {
    "bias.md": reports.map(([id, r]) => `## ${id}\n\n${biasTable(r)}\n`).join("\n") +
      `\n## worked example against the number of inner steps ζ\n\n${stepsTable(byStep)}\n`,
  };
  return out;
}

/** Write the theory profile under `outDir` (each directory atomically) and its manifest. */
export async function writeTheoryArtifacts(outDir: string): Promise<string> {
  for (const [id, files] of Object.entries(await theoryArtifacts())) {
    await writeExperiment(outDir, id, files);
  }
  return (await writeProfileManifest(outDir, THEORY_PROFILE)).root;
}
