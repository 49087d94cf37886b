// The exact bias analysis: problem-file validation, the size limit, and the two-task mixture.
import assert from "node:assert/strict";
import { useBackend } from "../src/kernels/backend.ts";
import { InputError } from "../src/training/config.ts";
import {
  analyseBias,
  combinationCount,
  evaluationCount,
  MAX_EVALUATIONS,
  parseTheoryInput,
} from "../src/theory/theory.ts";
import { twoTaskMixture, workedExample } from "../src/theory/theory_suite.ts";

await useBackend("wasm");

Deno.test("two-task mixture: sgmrl unbiased, the other five visibly biased", () => {
  const report = analyseBias(twoTaskMixture());
  const norm = Math.hypot(...report.gradV);
  assert.ok(report.estimators.sgmrl.bias < 1e-5 * norm, `sgmrl ${report.estimators.sgmrl.bias}`);
  for (const name of ["sgmrl-fo", "maml", "maml-fo", "sgmrl-eq13", "sgmrl-published"]) {
    assert.ok(report.estimators[name].bias > 0.1 * norm, `${name} ${report.estimators[name].bias}`);
  }
});

function rejects(edit: (p: Record<string, unknown>) => void, field: RegExp) {
  const p = structuredClone(workedExample(1)) as unknown as Record<string, unknown>;
  edit(p);
  assert.throws(
    () => parseTheoryInput(p),
    (e: unknown) => e instanceof InputError && field.test(e.message) && !e.message.includes("\n"),
  );
}

// deno-lint-ignore no-explicit-any
type Any = any;

Deno.test("problem files: every malformed field is named", () => {
  rejects((p) => delete p.gamma, /^gamma:/);
  rejects((p) => p.extra = 1, /unknown key "extra"/);
  rejects((p) => p.states = 0, /^states:/);
  rejects((p) => p.theta = [1, 2, 3], /^theta: expected 4 entries, got 3/);
  rejects((p) => (p.tasks as Any)[0].mu = [0.5, 0.4], /^tasks\.0\.mu: probabilities must sum to 1/);
  rejects((p) => (p.tasks as Any)[0].mu = [1], /^tasks\.0\.mu: expected 2 entries/);
  rejects((p) => (p.tasks as Any)[0].P[1][0] = [0.5, 0.5 + 2e-9], /^tasks\.0\.P\.1\.0: .*sum to 1/);
  rejects((p) => (p.tasks as Any)[0].P[1] = [[1, 0]], /^tasks\.0\.P\.1: expected 2 entries/);
  rejects((p) => (p.tasks as Any)[0].r[0] = [1], /^tasks\.0\.r\.0: expected 2 entries/);
  rejects((p) => (p.tasks as Any)[0].weight = -1, /^tasks\.0\.weight:/);
  rejects((p) => (p.tasks as Any)[0].weight = 0.5, /^tasks\.\*\.weight: .*sum to 1/);
  // Within 1e-9 is accepted.
  const ok = structuredClone(workedExample(1));
  (ok.tasks[0].P[1][0] as number[]) = [0.5, 0.5 + 5e-10];
  assert.doesNotThrow(() => parseTheoryInput(ok));
});

Deno.test("a problem too large to enumerate is refused before any work", () => {
  const big = { ...workedExample(1), horizon: 6 };
  assert.ok(evaluationCount(big) > MAX_EVALUATIONS);
  assert.throws(
    () => analyseBias(big),
    (e: unknown) => e instanceof InputError && /too large/.test(e.message),
  );
  assert.equal(combinationCount(workedExample(2)), 16 ** 3);
  assert.equal(evaluationCount(workedExample(2)), 16 ** 3);
  // Three inner steps of two trajectories, three outer (T = 4): 4⁹ = 262,144 combinations, 10³ · 4
  // evaluations; and 10⁶ combinations (T = 10, ζ = 2, |D_t| = |D_o| = 2) in 55² · 10.
  const threeSteps = { ...workedExample(3), horizon: 0, batchIn: 2, batchOut: 3 };
  assert.equal(combinationCount(threeSteps), 262_144);
  assert.equal(evaluationCount(threeSteps), 4000);
  const million = {
    ...workedExample(2),
    states: 2,
    actions: 5,
    horizon: 0,
    batchIn: 2,
    batchOut: 2,
  };
  assert.equal(combinationCount(million), 1_000_000);
  assert.equal(evaluationCount(million), 55 * 55 * 10);
  assert.ok(evaluationCount(million) <= MAX_EVALUATIONS);
  // Single-trajectory batches gain nothing from the identities (one evaluation per combination):
  // 10⁶ (T = 10, ζ = 5) is accepted, 10 times as many is not.
  const single = { ...million, innerSteps: 5, batchIn: 1, batchOut: 1 };
  assert.equal(combinationCount(single), 1_000_000);
  assert.equal(evaluationCount(single), 1_000_000);
  assert.ok(evaluationCount(single) <= MAX_EVALUATIONS);
  assert.ok(evaluationCount({ ...single, innerSteps: 6 }) > MAX_EVALUATIONS);
});

Deno.test("deno task theory --mdp: JSON output, and exit 2 with one line on bad input", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const run = async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "tasks/theory.ts", "--mdp", file, "--json"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      return {
        code: out.code,
        stdout: dec.decode(out.stdout),
        stderr: dec.decode(out.stderr).trim(),
      };
    };
    await Deno.writeTextFile(file, JSON.stringify(workedExample(1)));
    const good = await run();
    assert.equal(good.code, 0, good.stderr);
    const report = JSON.parse(good.stdout);
    assert.deepEqual(Object.keys(report.estimators).sort(), [
      "maml",
      "maml-fo",
      "sgmrl",
      "sgmrl-eq13",
      "sgmrl-fo",
      "sgmrl-published",
    ]);
    assert.ok(Math.abs(report.estimators["maml-fo"].bias - 0.0129) < 1e-4);
    await Deno.writeTextFile(file, "{ not json");
    const bad = await run();
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: mdp: .* is not valid JSON/);
    assert.equal(bad.stderr.split("\n").length, 1);
  } finally {
    await Deno.remove(file);
  }
});
