// The decomposition of the gap to the paper's Table 1 (src/experiments/gap_decomposition.ts): which
// run feeds which step, on hand-made results with the published and ablation profiles' own
// configurations, and the table's arithmetic by hand.
import assert from "node:assert/strict";
import { gapColumns, gapTable } from "../src/experiments/gap_decomposition.ts";
import { type ExperimentResult, PAPER_FIGURES } from "../src/experiments/profile_summary.ts";
import { expandProfile, PROFILES } from "../src/training/profiles.ts";

/** A result of `id` in `profile` with final returns `[pre, post]`, published `[.., final]` and best validation. */
function result(
  profile: string,
  id: string,
  post: number,
  published: number | undefined,
  validations: number[] = [],
): ExperimentResult {
  const config = expandProfile(PROFILES[profile]).find((c) => c.id === id);
  assert.ok(config !== undefined, id);
  return {
    config,
    evaluation: {
      tasks: 1600,
      returnsByStep: [-40, post],
      preAdaptationReturn: -40,
      postAdaptationReturn: post,
      ...(published === undefined ? {} : { publishedReturnsByStep: [-41, published] }),
    },
    periodic: [],
    validations: validations.map((score, k) => ({
      iteration: 80 * (k + 1),
      trainReturn: score,
      pooledReturnsByStep: [-42, score],
    })),
  };
}

Deno.test("gapColumns: the package-setup runs give steps 1 and 2, the published-setup runs steps 3 and 4, by seed; other setups and protocols are left out", () => {
  const columns = gapColumns([
    result("published", "nav2d-maml-so-z1-paper-setup-s0", -21, -20),
    result("published", "nav2d-maml-so-z1-paper-setup-s1", -23, -21.5),
    result("published", "nav2d-maml-so-z1-s0", -19, -18, [-19, -17.5, -18.2]),
    result("published", "nav2d-sgmrl-so-z1-s2", -30, -29, [-27]),
    // Not under the published protocol: the paper profile's own runs and the ablation's.
    result("paper", "nav2d-maml-so-z1-s0", -1, undefined),
    result("ablation", "nav2d-maml-so-z1-tanh-s0", -2, undefined),
  ]);
  assert.deepEqual(columns.map((c) => c.title), [
    "maml, second order, ζ = 1",
    "sgmrl, second order, ζ = 1",
  ]);
  const [maml, sgmrl] = columns.map((c) => c.steps.map((s) => Object.fromEntries(s)));
  assert.deepEqual(maml, [{ 0: -21, 1: -23 }, { 0: -20, 1: -21.5 }, { 0: -18 }, { 0: -17.5 }]);
  assert.deepEqual(sgmrl, [{}, {}, { 2: -29 }, { 2: -27 }]);
  const table = gapTable(columns, PAPER_FIGURES)!;
  // Step 2: +1 and +1.5 paired → +1.250 ± 0.354 (2); step 3 pairs seed 0 only: −18 − (−20).
  assert.match(table, /\| −20\.750 ± 1\.061 \(2\) \| \+1\.250 ± 0\.354 \(2\) \|/);
  assert.match(table, /\| −18\.000 ± 0\.000 \(1\) \| \+2\.000 ± 0\.000 \(1\) \|/);
  // The paper's row: MAML −17.767 against the last step's −17.5; SG-MRL −16.901 against −27.
  assert.match(
    table,
    /\| the paper \| −17\.767 ± 0\.106 \| −0\.267 \| −16\.901 ± 0\.699 \| \+10\.099 \|/,
  );
  assert.equal(gapTable([], PAPER_FIGURES), undefined);
});
