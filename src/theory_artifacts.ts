/**
 * The hashed artefacts of the exact bias analysis (results/theory/): one directory per built-in
 * problem (problem.json, bias.json), a sweep of every estimator's bias against α on the worked
 * example (sweep.json, bias-vs-alpha.svg), and a Markdown summary (bias.md).
 *
 * @module
 */
import { type ArtifactFiles, writeExperiment, writeProfileManifest } from "./artifacts.ts";
import { canonicalJson } from "./canonical_json.ts";
import { EXACT_ESTIMATORS } from "./exact.ts";
import { analyseBias, type BiasReport, biasTable } from "./theory.ts";
import { THEORY_SUITE, workedExample } from "./theory_suite.ts";

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

const COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"];

/**
 * A line chart of each estimator's bias against α, as a self-contained SVG with fixed number
 * formatting (so its bytes are deterministic).
 *
 * @example
 * ```ts
 * import { biasSvg } from "./theory_artifacts.ts";
 * const svg = biasSvg({ alphas: [0.1, 0.2], bias: { sgmrl: [0, 0], maml: [0.01, 0.03] } });
 * if (!svg.startsWith("<svg") || !svg.includes("maml")) throw new Error("unexpected");
 * ```
 */
export function biasSvg(sweep: BiasSweep): string {
  const w = 640, h = 400, left = 70, right = 150, top = 30, bottom = 50;
  const xs = sweep.alphas;
  const yMax = Math.max(...Object.values(sweep.bias).flat()) * 1.1 || 1;
  const x = (a: number) => left + (a - xs[0]) / (xs[xs.length - 1] - xs[0]) * (w - left - right);
  const y = (b: number) => h - bottom - b / yMax * (h - top - bottom);
  const f = (v: number) => v.toFixed(2);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${
      w / 2
    }" y="18" text-anchor="middle" font-size="14">Exact bias ‖E[estimate] − ∇V₁‖ against α (worked example, ζ = 1)</text>`,
    `<line x1="${left}" y1="${h - bottom}" x2="${w - right}" y2="${h - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}" stroke="black"/>`,
    `<text x="${(left + w - right) / 2}" y="${
      h - 12
    }" text-anchor="middle">inner step size α</text>`,
  ];
  for (const a of xs) {
    parts.push(
      `<text x="${f(x(a))}" y="${h - bottom + 16}" text-anchor="middle">${a.toFixed(2)}</text>`,
    );
  }
  for (let k = 0; k <= 4; k++) {
    const v = yMax * k / 4;
    parts.push(
      `<text x="${left - 6}" y="${f(y(v) + 4)}" text-anchor="end">${v.toFixed(3)}</text>`,
      `<line x1="${left}" y1="${f(y(v))}" x2="${w - right}" y2="${f(y(v))}" stroke="#ddd"/>`,
    );
  }
  Object.entries(sweep.bias).forEach(([name, values], i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = values.map((b, j) => `${f(x(xs[j]))},${f(y(b))}`).join(" ");
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`,
      `<line x1="${w - right + 10}" y1="${top + 20 * i + 10}" x2="${w - right + 30}" y2="${
        top + 20 * i + 10
      }" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${w - right + 36}" y="${top + 20 * i + 14}">${name}</text>`,
    );
  });
  parts.push("</svg>", "");
  return parts.join("\n");
}

/** Every artefact directory of the theory profile, by id. */
export function theoryArtifacts(): Record<string, ArtifactFiles> {
  const out: Record<string, ArtifactFiles> = {};
  const reports: [string, BiasReport][] = [];
  for (const [id, make] of Object.entries(THEORY_SUITE)) {
    const problem = make();
    const report = analyseBias(problem);
    reports.push([id, report]);
    out[id] = { "problem.json": canonicalJson(problem), "bias.json": canonicalJson(report) };
  }
  const sweep = biasSweep();
  out["alpha-sweep"] = { "sweep.json": canonicalJson(sweep), "bias-vs-alpha.svg": biasSvg(sweep) };
  out["summary"] = {
    "bias.md": reports.map(([id, r]) => `## ${id}\n\n${biasTable(r)}\n`).join("\n"),
  };
  return out;
}

/** Write the theory profile under `outDir` (each directory atomically) and its manifest. */
export async function writeTheoryArtifacts(outDir: string): Promise<string> {
  for (const [id, files] of Object.entries(theoryArtifacts())) {
    await writeExperiment(outDir, id, files);
  }
  return (await writeProfileManifest(outDir, THEORY_PROFILE)).root;
}
