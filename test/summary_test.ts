// The profile summary: learning curves averaged as documented, figures whose bytes do not depend
// on what else was drawn, a table with both evaluation protocols, and the README showing the committed
// Table 1 and the decomposition of its gap to the paper.
import assert from "node:assert/strict";
import { lineChartSvg } from "../src/experiments/charts.ts";
import {
  curveSeries,
  type ExperimentCurves,
  summaryFiles,
} from "../src/experiments/profile_summary.ts";
import { tinyConfig } from "./helpers.ts";

function run(
  seed: number,
  pre: number[],
  algorithm: "sgmrl" | "maml" = "sgmrl",
  returnsByStep = [-3, -2],
): ExperimentCurves {
  const innerSteps = returnsByStep.length - 1;
  const config = tinyConfig(algorithm, "autodiff", innerSteps, seed, { iterations: pre.length });
  const metrics = pre.map((p, iteration) => ({
    iteration,
    preReturn: p,
    postReturn: p + 1,
    objective: 0,
    gradNorm: 0,
    meanLogStd: 0,
    stateDigest: "0".repeat(64),
  }));
  const evaluation = {
    tasks: 2,
    returnsByStep,
    preAdaptationReturn: returnsByStep[0],
    postAdaptationReturn: returnsByStep[innerSteps],
  };
  return { config, metrics, evaluation, periodic: [], validations: [] };
}

Deno.test("learning curves: mean ± sample std over seeds, per estimator, of window means", () => {
  const [series] = curveSeries([run(0, [-4, -2]), run(1, [-2, -2])], "preReturn");
  assert.equal(series.name, "sgmrl (second order)");
  // Two iterations: one point per iteration; seeds -4 and -2 → mean -3, std √2.
  assert.deepEqual(series.points.map((p) => p.x), [1, 2]);
  assert.equal(series.points[0].y, -3);
  assert.ok(Math.abs(series.points[0].hi! - (-3 + Math.SQRT2)) < 1e-12);
  assert.equal(series.points[1].lo, -2);
  // 250 iterations are averaged over windows of 3 (at most 100 points), the last window shorter.
  const long = Array.from({ length: 250 }, (_, i) => i);
  const [w] = curveSeries([run(0, long)], "postReturn");
  assert.equal(w.points.length, 84);
  assert.deepEqual(w.points[0], { x: 3, y: 2, lo: 2, hi: 2 }); // mean of 1, 2, 3
  // 250 = 83 × 3 + 1: the last window holds iteration 249 alone (post-return 250).
  assert.deepEqual(w.points.at(-1), { x: 250, y: 250, lo: 250, hi: 250 });
});

Deno.test("a figure's bytes do not depend on the figures drawn before it", async () => {
  const chart = (k: number) => ({
    title: `chart ${k}`,
    xTitle: "x",
    yTitle: "y",
    panels: [{
      title: "p",
      series: [{ name: "s", points: [{ x: 0, y: k }, { x: 1, y: 2 * k, lo: 0, hi: 3 * k }] }],
    }],
  });
  const first = await lineChartSvg(chart(1));
  await lineChartSvg(chart(2));
  await lineChartSvg({ ...chart(3), logY: true, independentY: true });
  assert.equal(await lineChartSvg(chart(1)), first);
  assert.ok(first.startsWith("<svg") && first.endsWith("</svg>\n"));
});

Deno.test("the summary holds the table and one figure per environment and ζ", async () => {
  const files = await summaryFiles([run(0, [-4, -3]), run(1, [-2, -1]), run(0, [-5, -5], "maml")]);
  assert.deepEqual(Object.keys(files).sort(), ["curves-nav2d-z1.svg", "table.md"]);
  const table = files["table.md"] as string;
  assert.match(
    table,
    /\| nav2d \| sgmrl \| second order \| 1 \| −2\.000 ± 0\.000 \| 2 \| −16\.901 ± 0\.699 \|/,
  );
  const svg = files["curves-nav2d-z1.svg"] as string;
  assert.ok(svg.includes("maml (second order)") && svg.includes("sgmrl (second order)"));
});

Deno.test("steps.md: the return after each adaptation step and the gain over ζ steps, mean ± std over seeds, for ζ ≥ 2 only", async () => {
  const files = await summaryFiles([
    run(0, [-1], "sgmrl", [-10, -6, -4]),
    run(1, [-1], "sgmrl", [-12, -7, -2]),
    run(0, [-1], "maml", [-9, -5, -3, -1]),
    run(0, [-1], "maml", [-3, -2]),
  ]);
  const rows = tableRows(files["steps.md"] as string);
  // Before: −10, −12 → −11 ± √2; after 1: −6.5 ± √½; after 2: −3 ± √2; gains 6 and 10 → +8 ± 2√2.
  assert.deepEqual(rows, [
    [
      "nav2d",
      "sgmrl",
      "second order",
      "2",
      "−11.000 ± 1.414",
      "−6.500 ± 0.707",
      "−3.000 ± 1.414",
      "",
      "+8.000 ± 2.828",
      "2",
    ],
    [
      "nav2d",
      "maml",
      "second order",
      "3",
      "−9.000 ± 0.000",
      "−5.000 ± 0.000",
      "−3.000 ± 0.000",
      "−1.000 ± 0.000",
      "+8.000 ± 0.000",
      "1",
    ],
  ]);
  assert.equal((await summaryFiles([run(0, [-1]), run(1, [-1], "maml")]))["steps.md"], undefined);
});

/** The cells of every data row of the Markdown tables in `text` (header and rule rows skipped). */
function tableRows(text: string): string[][] {
  const rows = text.split("\n").filter((line) => line.trimStart().startsWith("|"))
    .map((line) => line.trim().replace(/^\||\|$/g, "").split("|").map((cell) => cell.trim()));
  return rows.filter((cells, i) =>
    !cells.every((c) => /^-+$/.test(c)) && !(rows[i + 1]?.every((c) => /^-+$/.test(c)))
  );
}

/**
 * `doc`'s tables from `heading` to the next heading of any level are, row for row and in order,
 * those of `committedFiles` (the rows `keep` keeps: all by default).
 */
async function assertDocShows(
  doc: string,
  heading: string,
  committedFiles: string[],
  keep: (cells: string[]) => boolean = () => true,
): Promise<void> {
  const text = await Deno.readTextFile(doc);
  const start = text.indexOf(heading);
  assert.ok(start >= 0, `${doc} has "${heading}"`);
  const end = text.slice(start + 1).search(/\n#+ /);
  const section = text.slice(start, end < 0 ? undefined : start + 1 + end);
  const committed = [];
  for (const file of committedFiles) {
    committed.push(...tableRows(await Deno.readTextFile(file)).filter(keep));
  }
  assert.ok(committed.length > 0);
  assert.deepEqual(tableRows(section), committed);
}

Deno.test("the README's decomposition of the gap is the committed results/published/summary/gap.md, row for row", () =>
  assertDocShows(
    "README.md",
    "### Where the gap to the paper comes from",
    ["results/published/summary/gap.md"],
  ));

Deno.test("the README's Table 1 is the committed results/paper/summary/table.md's 2D-navigation rows", () =>
  assertDocShows(
    "README.md",
    "## Table 1 at full scale",
    ["results/paper/summary/table.md"],
    ([env]) => env === "nav2d",
  ));

Deno.test("the README's Table 2 is the committed results/paper/summary/table.md's locomotion rows", () =>
  assertDocShows(
    "README.md",
    "### Table 2's first cell",
    ["results/paper/summary/table.md"],
    ([env]) => env !== "nav2d",
  ));

Deno.test("docs/reproducing.md's multistep tables are the committed results/multistep/summary/steps.md and table.md", () =>
  assertDocShows(
    "docs/reproducing.md",
    "## Several inner steps at full scale",
    ["results/multistep/summary/steps.md", "results/multistep/summary/table.md"],
  ));
