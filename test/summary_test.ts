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

function run(seed: number, pre: number[], algorithm: "sgmrl" | "maml" = "sgmrl"): ExperimentCurves {
  const config = tinyConfig(algorithm, "autodiff", 1, seed, { iterations: pre.length });
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
    returnsByStep: [-3, -2],
    preAdaptationReturn: -3,
    postAdaptationReturn: -2,
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

/** The cells of every data row of the Markdown tables in `text` (header and rule rows skipped). */
function tableRows(text: string): string[][] {
  const rows = text.split("\n").filter((line) => line.trimStart().startsWith("|"))
    .map((line) => line.trim().replace(/^\||\|$/g, "").split("|").map((cell) => cell.trim()));
  return rows.filter((cells, i) =>
    !cells.every((c) => /^-+$/.test(c)) && !(rows[i + 1]?.every((c) => /^-+$/.test(c)))
  );
}

/** The README's tables from `heading` to the next heading of any level are `committedFile`'s. */
async function assertReadmeShows(heading: string, committedFile: string): Promise<void> {
  const readme = await Deno.readTextFile("README.md");
  const start = readme.indexOf(heading);
  assert.ok(start >= 0, `the README has "${heading}"`);
  const end = readme.slice(start + 1).search(/\n#+ /);
  const section = readme.slice(start, end < 0 ? undefined : start + 1 + end);
  const committed = tableRows(await Deno.readTextFile(committedFile));
  assert.ok(committed.length > 0);
  assert.deepEqual(tableRows(section), committed);
}

Deno.test("the README's decomposition of the gap is the committed results/published/summary/gap.md, row for row", () =>
  assertReadmeShows(
    "### Where the gap to the paper comes from",
    "results/published/summary/gap.md",
  ));

Deno.test("the README's Table 1 is the committed results/paper/summary/table.md, row for row", () =>
  assertReadmeShows("## Table 1 at full scale", "results/paper/summary/table.md"));
