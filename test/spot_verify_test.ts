// Spot verification: the cheap integrity part catches every broken link even when the manifests
// were rewritten to match; the replay catches fabricated rows, states, hyperparameters and
// evaluations in the intervals it draws; the draw is reproducible and uniform.
import assert from "node:assert/strict";
import { readProfileManifest } from "../src/experiments/artifacts.ts";
import { useBackend } from "../src/kernels/backend.ts";
import { checkpointName, decodeCheckpoint, encodeCheckpoint } from "../src/training/checkpoint.ts";
import { canonicalJson } from "../src/core/canonical_json.ts";
import type { ExperimentConfig } from "../src/training/config.ts";
import { runExperiments } from "../src/experiments/reproduce.ts";
import { checkpointIntervals, spotPlan, spotVerify } from "../src/verification/spot_verify.ts";
import { SUMMARY_ID } from "../src/experiments/profile_summary.ts";
import { finalEvaluationCost, intervalCost } from "../src/training/budget.ts";
import { forgeExperiment, runTaskFile, tinyConfig } from "./helpers.ts";

await useBackend("wasm");

const tiny = (algorithm: ExperimentConfig["algorithm"], seed: number) =>
  tinyConfig(algorithm, "autodiff", 1, seed, {
    iterations: 8,
    checkpointEvery: 3,
    evaluation: { tasks: 2, trajectoriesPerTask: 2, periodic: { every: 4, tasks: 2 } },
  });

// Intervals 0→3, 3→6, 6→8 of each: 6 in all.
const CONFIGS = [tiny("sgmrl", 0), tiny("maml", 1)];
const ALL = 100;

let pristine: string | null = null;

/** A fresh copy of a results directory of CONFIGS (trained once per test run). */
async function withResults(f: (dir: string) => Promise<void>): Promise<void> {
  if (pristine === null) {
    pristine = await Deno.makeTempDir();
    await runExperiments(CONFIGS, pristine, "spot-test");
  }
  const dir = await Deno.makeTempDir();
  try {
    await new Deno.Command("cp", { args: ["-r", `${pristine}/.`, dir] }).output();
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("an untouched directory spot-verifies; with N at least the count every interval and evaluation is replayed", async () => {
  await withResults(async (dir) => {
    const lines: string[] = [];
    const report = await spotVerify(dir, { spots: ALL, seed: 1, log: (l) => lines.push(l) });
    assert.equal(report.failure, null);
    assert.equal(report.plan.intervals.length, 6);
    assert.equal(report.plan.totalIntervals, 6);
    assert.deepEqual(report.plan.evaluations, CONFIGS.map((c) => c.id).sort());
    assert.equal(report.checkpoints, 6);
    assert.equal(report.root, (await readProfileManifest(dir)).root);
    assert.match(
      lines.join("\n"),
      /nav2d-maml-so-z1-s1 iterations 3-5 \(checkpoint 3 → checkpoint 6\)/,
    );
    assert.equal(lines.filter((l) => l.startsWith("ok ")).length, 8);
  });
});

Deno.test("--only draws from the matching experiments alone; integrity still covers every one", async () => {
  const [sgmrl, maml] = CONFIGS.map((c) => c.id);
  await withResults(async (dir) => {
    const lines: string[] = [];
    const report = await spotVerify(dir, {
      spots: ALL,
      seed: 1,
      only: maml,
      log: (l) => lines.push(l),
    });
    assert.equal(report.failure, null);
    assert.deepEqual([...new Set(report.plan.intervals.map((i) => i.id))], [maml]);
    assert.equal(report.plan.intervals.length, 3);
    assert.deepEqual(report.plan.evaluations, [maml]);
    assert.equal(report.checkpoints, 6, "both experiments' chains");
    assert.match(lines.join("\n"), /of the 1 experiment\(s\) matching "nav2d-maml-so-z1-s1"/);
    await assert.rejects(
      spotVerify(dir, { spots: 1, seed: 1, only: "no-such-run" }),
      /only: "no-such-run" matches no experiment id/,
    );
    // An experiment left out of the draw is still checked for integrity: a broken link fails.
    await forgeExperiment(dir, sgmrl, (f) => {
      f[checkpointName(3)] = f[checkpointName(6)];
    });
    const broken = await spotVerify(dir, { spots: ALL, seed: 1, only: maml });
    assert.equal(broken.failure?.experiment, sgmrl);
    assert.equal(broken.plan.intervals.length, 0, "found before replaying anything");
  });
});

Deno.test("the draw is reproducible from its seed, without replacement, and uniform (n/M per interval)", () => {
  const configs = [tiny("sgmrl", 0), tiny("maml", 1), tiny("emaml", 2), tiny("sgmrl", 3)];
  assert.equal(checkpointIntervals(configs).length, 12);
  const a = spotPlan(configs, 3, 42);
  assert.deepEqual(spotPlan(configs, 3, 42), a);
  assert.notDeepEqual(spotPlan(configs, 3, 43).intervals, a.intervals);
  const seen = new Map<string, number>();
  const trials = 4000;
  for (let seed = 0; seed < trials; seed++) {
    const plan = spotPlan(configs, 3, seed);
    const keys = plan.intervals.map((i) => `${i.id}@${i.from}`);
    assert.equal(new Set(keys).size, 3, "without replacement");
    for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  // Each of the 12 intervals is drawn with probability 3/12; 4.5 binomial standard deviations.
  const sd = Math.sqrt(0.25 * 0.75 / trials);
  for (const [k, n] of seen) assert.ok(Math.abs(n / trials - 0.25) < 4.5 * sd, `${k}: ${n}`);
  assert.equal(seen.size, 12);
});

Deno.test("a cost cap draws only intervals and evaluations within it; the draw of a seed is otherwise unchanged", () => {
  const cheap = [tiny("sgmrl", 0), tiny("maml", 1), tiny("emaml", 2)];
  // Ten times the horizon: every interval and the final evaluation cost ten times as much.
  const dear = { ...tiny("sgmrl", 3), horizon: 10 * tiny("sgmrl", 3).horizon };
  const configs = [...cheap, dear];
  const cap = { environmentSteps: 0, learnerWork: 0 };
  for (const c of cheap) {
    for (const i of checkpointIntervals([c])) {
      const cost = intervalCost(c, i.to - i.from);
      cap.environmentSteps = Math.max(cap.environmentSteps, cost.environmentSteps);
      cap.learnerWork = Math.max(cap.learnerWork, cost.learnerWork);
    }
    const evaluation = finalEvaluationCost(c).environmentSteps;
    cap.environmentSteps = Math.max(cap.environmentSteps, evaluation);
  }
  for (let seed = 0; seed < 50; seed++) {
    const capped = spotPlan(configs, 3, seed, cap);
    // The dear experiment's intervals and evaluation are left out, and the draw among the rest is
    // the draw of a directory without it.
    assert.deepEqual(capped.overCost, { intervals: 3, evaluations: 1 });
    const without = spotPlan(cheap, 3, seed);
    assert.deepEqual(capped.intervals, without.intervals);
    assert.deepEqual(capped.evaluations, without.evaluations);
    assert.equal(capped.totalIntervals, 12);
    assert.equal(capped.totalExperiments, 4);
    // A cap that everything is within changes nothing.
    const huge = { environmentSteps: Infinity, learnerWork: Infinity };
    assert.deepEqual(spotPlan(configs, 3, seed, huge), spotPlan(configs, 3, seed));
  }
});

Deno.test("integrity: a broken chain link is found even when every manifest was rewritten to match", async () => {
  const id = CONFIGS[0].id;
  const cases: [string, (files: Record<string, Uint8Array>) => void | Promise<void>, RegExp][] = [
    ["a state byte of checkpoint 3", (f) => {
      f[checkpointName(3)][f[checkpointName(3)].length - 5] ^= 1;
    }, /checkpoint-0000003\.bin: state bytes do not hash to stateDigest/],
    ["checkpoint 6 re-signed with other parameters", async (f) => {
      const s = await decodeCheckpoint(f[checkpointName(6)], "c");
      s.params[0][0] += 0.5;
      f[checkpointName(6)] = encodeCheckpoint(s); // self-consistent, but not the chain's state
    }, /checkpoint-0000006\.bin: state bytes do not hash/],
    ["a checkpoint removed", (f) => {
      delete f[checkpointName(3)];
    }, /checkpoints after \[6,8\] iterations; its schedule is \[3,6,8\]/],
    ["the state digest of row 4, checkpoint 6's previous digest", (f) => {
      const lines = text(f["metrics.csv"]).split("\n");
      lines[5] = lines[5].replace(/[0-9a-f]$/, (d) => (d === "0" ? "1" : "0"));
      f["metrics.csv"] = bytes(lines.join("\n"));
    }, /checkpoint-0000006\.bin: its previous digest is not the chain's/],
    ["params.bin", (f) => {
      f["params.bin"][0] ^= 1;
    }, /params\.bin: not the final checkpoint's parameters/],
    ["a row dropped", (f) => {
      const lines = text(f["metrics.csv"]).split("\n");
      lines.splice(8, 1);
      f["metrics.csv"] = bytes(lines.join("\n"));
    }, /7 rows, config\.json says 8 iterations/],
  ];
  for (const [what, change, message] of cases) {
    await withResults(async (dir) => {
      await forgeExperiment(dir, id, change);
      const report = await spotVerify(dir, { spots: 1, seed: 0 });
      assert.equal(report.failure?.experiment, id, what);
      assert.match(report.failure?.detail ?? "", message, what);
      assert.equal(report.plan.intervals.length, 0, `${what}: nothing replayed`);
    });
  }
  await withResults(async (dir) => {
    await forgeExperiment(dir, id, () => {}, "0".repeat(64));
    const report = await spotVerify(dir, { spots: 1, seed: 0 });
    assert.match(report.failure?.detail ?? "", /finalStateDigest is not the last row's/);
  });
  await withResults(async (dir) => {
    await Deno.writeTextFile(`${dir}/${id}/evaluation.json`, "{}\n"); // manifests not rewritten
    const report = await spotVerify(dir, { spots: 1, seed: 0 });
    assert.match(report.failure?.detail ?? "", new RegExp(`${id}/evaluation.json: digest`));
  });
});

Deno.test("the summary must regenerate from the experiments", async () => {
  await withResults(async (dir) => {
    await forgeExperiment(dir, SUMMARY_ID, (f) => {
      f["table.md"] = bytes(text(f["table.md"]).replace(/−(\d)/, "−1$1"));
    });
    const report = await spotVerify(dir, { spots: ALL, seed: 1 });
    assert.equal(report.failure?.experiment, SUMMARY_ID);
    assert.match(report.failure?.detail ?? "", /summary\/table\.md does not regenerate/);
    assert.equal(report.plan.intervals.length, 0, "nothing replayed");
  });
});

Deno.test("replay: a fabricated row, other hyperparameters or a fabricated evaluation are caught where drawn", async () => {
  const id = CONFIGS[1].id;
  await withResults(async (dir) => {
    // Row 3's digest is no checkpoint's: only the replay of iterations 3-5 can see it.
    await forgeExperiment(dir, id, (f) => {
      const lines = text(f["metrics.csv"]).split("\n");
      lines[4] = lines[4].replace(/[0-9a-f]$/, (d) => (d === "0" ? "1" : "0"));
      f["metrics.csv"] = bytes(lines.join("\n"));
    });
    const report = await spotVerify(dir, { spots: ALL, seed: 3 });
    assert.equal(report.failure?.experiment, id);
    assert.equal(report.failure?.iteration, 3);
  });
  await withResults(async (dir) => {
    // A post-adaptation return of iteration 4 made up; the chain is untouched.
    await forgeExperiment(dir, id, (f) => {
      const lines = text(f["metrics.csv"]).split("\n");
      const cells = lines[5].split(",");
      cells[2] = String(Number(cells[2]) + 1);
      lines[5] = cells.join(",");
      f["metrics.csv"] = bytes(lines.join("\n"));
    });
    const report = await spotVerify(dir, { spots: ALL, seed: 3 });
    assert.equal(report.failure?.experiment, id);
    assert.equal(report.failure?.iteration, 4);
    assert.match(report.failure?.detail ?? "", /first differing row: iteration 4 \(line 6\)/);
  });
  await withResults(async (dir) => {
    // config.json claims another outer step size than the run used: every interval differs at
    // its first iteration.
    await forgeExperiment(dir, id, (f) => {
      const config = JSON.parse(text(f["config.json"]));
      f["config.json"] = bytes(canonicalJson({ ...config, outerLr: config.outerLr * 2 }));
    });
    const report = await spotVerify(dir, { spots: 1, seed: 11 });
    const drawn = report.plan.intervals[0];
    if (drawn.id === id) {
      assert.equal(report.failure?.experiment, id);
      assert.equal(report.failure?.iteration, drawn.from);
    } else {
      assert.equal(report.failure?.experiment, id, "caught at its evaluation");
    }
    const all = await spotVerify(dir, { spots: ALL, seed: 11 });
    assert.equal(all.failure?.iteration, 0);
  });
  await withResults(async (dir) => {
    // A better evaluation during training claimed than computed.
    await forgeExperiment(dir, id, (f) => {
      const lines = text(f["evaluations.csv"]).split("\n");
      assert.match(lines[1], /^4,/);
      lines[1] = lines[1].replace(/,[^,]*$/, ",0");
      f["evaluations.csv"] = bytes(lines.join("\n"));
    });
    const report = await spotVerify(dir, { spots: ALL, seed: 5 });
    assert.equal(report.failure?.experiment, id);
    assert.match(
      report.failure?.detail ?? "",
      /evaluations\.csv, the evaluation after 4 iterations/,
    );
  });
  await withResults(async (dir) => {
    await forgeExperiment(dir, id, (f) => {
      f["evaluation.json"] = bytes(text(f["evaluation.json"]).replace(/"tasks": 2/, '"tasks": 3'));
    });
    const report = await spotVerify(dir, { spots: ALL, seed: 5 });
    assert.equal(report.failure?.experiment, id);
    assert.equal(report.failure?.iteration, undefined);
    assert.match(report.failure?.detail ?? "", /evaluation\.json, first differing line: \d+/);
  });
});

const verifyTask = (args: string[]) => runTaskFile("tasks/verify.ts", args);

Deno.test("verify --spot on the committed quick results prints the seed and its draw and passes", async () => {
  const r = await verifyTask(["--spot", "2", "--spot-seed", "7", "--workers", "1"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^spot check of results\/quick, seed 7 \(replay with --spot-seed 7\)$/m);
  assert.match(
    r.stdout,
    /replaying 2 of \d+ checkpoint interval\(s\) and 2 of 40 final evaluation/,
  );
  assert.equal(r.stdout.match(/^ok /gm)?.length, 4);
  assert.match(r.stdout, /spot-verified: results\/quick \(root [0-9a-f]{64}\)/);
});

Deno.test("verify --spot: a mismatch exits 1 naming experiment and iteration; bad options exit 2 with one line", async () => {
  await Deno.mkdir("results", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: "results", prefix: "tmp-spot-" });
  try {
    await runExperiments(CONFIGS, dir, "spot-test");
    await forgeExperiment(dir, CONFIGS[0].id, (f) => {
      const lines = text(f["metrics.csv"]).split("\n");
      lines[2] = lines[2].replace(/^1,-/, "1,-1");
      f["metrics.csv"] = bytes(lines.join("\n"));
    });
    const bad = await verifyTask(["--dir", dir, "--spot", "100", "--workers", "1"]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(
      bad.stderr,
      new RegExp(
        `^MISMATCH in ${dir} \\(spot seed \\d+\\): experiment ${CONFIGS[0].id}, iteration 1: `,
      ),
    );
    for (
      const [args, message] of [
        [["--spot", "0"], /^error: spot must be a positive integer/],
        [
          ["--spot", "2", "--spot-seed", "4294967296"],
          /^error: spot-seed must be an integer in \[0, 4294967295\]/,
        ],
        [["--spot-seed", "3"], /^error: spot-seed: needs --spot N/],
        [["--only", "maml"], /^error: only: needs --spot N/],
        [
          ["--all", "--spot", "1", "--only", "maml"],
          /^error: only: needs --spot N, on one directory/,
        ],
        [
          ["--profile", "analysis", "--spot", "1", "--only", "maml"],
          /^error: only: results\/analysis is an estimator analysis/,
        ],
        [
          ["--spot", "1", "--only", "no-such-run"],
          /^error: only: "no-such-run" matches no experiment/,
        ],
        [
          ["--profile", "theory", "--spot", "2"],
          /^error: spot: the theory profile has no training/,
        ],
        [["--all", "--dir", dir], /^error: all: .*drop --profile and --dir/],
      ] as const
    ) {
      const r = await verifyTask([...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.split("\n").length, 1);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
