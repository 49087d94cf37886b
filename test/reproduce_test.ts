// End to end: artefacts are byte-deterministic, independent of how the work is split, verified
// byte for byte, and bad input is refused with a one-line error, exit code 2 and nothing written.
import assert from "node:assert/strict";
import { checkManifests, readProfileManifest } from "../src/experiments/artifacts.ts";
import { compareProfiles } from "../src/experiments/compare.ts";
import { useBackend } from "../src/kernels/backend.ts";
import { type ExperimentConfig, validateConfig } from "../src/training/config.ts";
import { workerSampler } from "../src/threads/parallel_sampler.ts";
import { workerLearner } from "../src/threads/parallel_learner.ts";
import { runExperiments } from "../src/experiments/reproduce.ts";
import { isLockFileName } from "../src/experiments/directory_lock.ts";
import { verifyProfile } from "../src/verification/verify.ts";
import { createThreads, DivergenceError, train } from "../src/training/trainer.ts";
import { forgeExperiment, inTempDirs, runDenoTask, runTaskFile, tinyConfig } from "./helpers.ts";

await useBackend("wasm");

const tiny = (
  algorithm: ExperimentConfig["algorithm"],
  hessian: ExperimentConfig["hessian"],
  innerSteps: number,
  seed: number,
  env: ExperimentConfig["env"] = "nav2d",
) => tinyConfig(algorithm, hessian, innerSteps, seed, { env });

const CONFIGS = [
  tiny("sgmrl", "autodiff", 1, 0),
  tiny("maml", "autodiff", 2, 0),
  tiny("emaml", "none", 1, 1),
  tiny("sgmrl", "none", 2, 1),
];

Deno.test("every artefact is byte-identical for 1, 2, 3 and 5 sampling and learner workers (nav2d and MuJoCo, sampling in float64 and float32)", async () => {
  const configs = [
    tiny("sgmrl", "autodiff", 2, 0, "half-cheetah-dir"),
    tiny("maml", "autodiff", 1, 1, "swimmer-vel"),
    tiny("sgmrl", "autodiff", 1, 0),
    tinyConfig("sgmrl", "autodiff", 1, 1, { samplingPrecision: "float32" }),
  ];
  await inTempDirs(4, async (dirs) => {
    const roots: string[] = [];
    for (const [k, workers] of [1, 2, 3, 5].entries()) {
      const threads = createThreads(workers);
      try {
        roots.push((await runExperiments(configs, dirs[k], "t", {}, threads)).root);
      } finally {
        threads.close();
      }
      assert.equal(await compareProfiles(dirs[0], dirs[k]), null, `${workers} workers`);
    }
    assert.equal(new Set(roots).size, 1);
    // The precision is part of the experiment's configuration.
    const recorded = JSON.parse(await Deno.readTextFile(`${dirs[0]}/${configs[3].id}/config.json`));
    assert.equal(recorded.samplingPrecision, "float32");
  });
});

Deno.test("a sampling or learner worker that crashes fails the run with a clear error and writes no experiment", async () => {
  const url = new URL("./fixtures/crashing_worker.ts", import.meta.url);
  const cases = [
    ["sampling", () => ({ sampler: workerSampler(2, { workerUrl: url }) })],
    ["learner", () => ({ learner: workerLearner(2, { workerUrl: url }) })],
  ] as const;
  for (const [label, threadsOf] of cases) {
    await inTempDirs(1, async ([dir]) => {
      const threads = threadsOf();
      try {
        await assert.rejects(
          () => runExperiments(CONFIGS.slice(0, 2), dir, "t", {}, threads),
          new RegExp(`${label} worker \\d crashed: .*boom`),
        );
      } finally {
        Object.values(threads).forEach((t) => t.close());
      }
      // Only the first experiment's run directory (its config, no checkpoint yet), for a resume.
      // (and the experiment's lock file, src/experiments/directory_lock.ts).
      const left = (await Array.fromAsync(Deno.readDir(dir))).filter((e) =>
        !isLockFileName(e.name)
      );
      assert.deepEqual(left.map((e) => e.name), [`.run-${CONFIGS[0].id}`], label);
      const run = await Array.fromAsync(Deno.readDir(`${dir}/${left[0].name}`));
      assert.deepEqual(run.map((e) => e.name), ["config.json"], label);
    });
  }
});

Deno.test("two runs give identical bytes, and splitting the work into 3 parts changes nothing", async () => {
  await inTempDirs(3, async ([a, b, c]) => {
    const ra = await runExperiments(CONFIGS, a, "t");
    const rb = await runExperiments(CONFIGS, b, "t");
    assert.equal(ra.root, rb.root);
    assert.equal(await compareProfiles(a, b), null);
    // The same experiments in three separate runs, in another order.
    await runExperiments([CONFIGS[3]], c, "t");
    await runExperiments([CONFIGS[0], CONFIGS[2]], c, "t");
    const rc = await runExperiments([CONFIGS[1]], c, "t");
    assert.equal(rc.root, ra.root);
    assert.equal(await compareProfiles(a, c), null);
    assert.deepEqual(await checkManifests(a), []);
    assert.equal((await readProfileManifest(a)).root, ra.root);
  });
});

Deno.test("verify passes on untouched artefacts and names the file and iteration of a changed byte", async () => {
  await inTempDirs(2, async ([dir, scratchParent]) => {
    await runExperiments(CONFIGS.slice(0, 2), dir, "t");
    const ok = await verifyProfile(dir, `${scratchParent}/s1`);
    assert.equal(ok.difference, null);
    assert.deepEqual(ok.preflight.problems, []);
    assert.equal(ok.experiments, 2);
    // Change iteration 1's post-adaptation return.
    const flip = (files: Record<string, Uint8Array>) => {
      const lines = new TextDecoder().decode(files["metrics.csv"]).split("\n");
      const cells = lines[2].split(",");
      cells[2] = String(Number(cells[2]) + 0.5);
      lines[2] = cells.join(",");
      files["metrics.csv"] = new TextEncoder().encode(lines.join("\n"));
    };
    // Edited alone, the file no longer matches its manifest: found before anything runs.
    const file = `${dir}/${CONFIGS[1].id}/metrics.csv`;
    const files = { "metrics.csv": await Deno.readFile(file) };
    flip(files);
    await Deno.writeFile(file, files["metrics.csv"]);
    const edited = await verifyProfile(dir, `${scratchParent}/s2`);
    assert.equal(edited.experiments, 0);
    assert.match(edited.preflight.problems[0], new RegExp(`^${CONFIGS[1].id}/metrics.csv: digest`));
    // With every manifest rewritten to match, only regenerating it shows the change.
    await runExperiments(CONFIGS.slice(0, 2), dir, "t");
    await forgeExperiment(dir, CONFIGS[1].id, flip);
    const forged = await verifyProfile(dir, `${scratchParent}/s3`);
    assert.deepEqual(forged.preflight.problems, []);
    assert.ok(forged.difference !== null);
    assert.equal(forged.difference.file, `${CONFIGS[1].id}/metrics.csv`);
    assert.match(forged.difference.detail ?? "", /iteration 1\b/);
  });
});

Deno.test("a run whose parameters become non-finite stops naming the experiment and iteration", async () => {
  const config = validateConfig({ ...tiny("maml", "none", 1, 0), outerLr: 1e300, id: "blowup" });
  await assert.rejects(
    () => train(config),
    (e: unknown) =>
      e instanceof DivergenceError && /experiment blowup: .*iteration \d+/.test(e.message),
  );
});

Deno.test("an inner step or a standard deviation that overflows is a divergence too, not a sampling error", async () => {
  const base = tiny("sgmrl", "autodiff", 1, 0);
  // Adapted parameters beyond float32: caught after the inner step, before they sample.
  await assert.rejects(
    () => train(validateConfig({ ...base, innerLr: 1e38, id: "inner" })),
    (e: unknown) =>
      e instanceof DivergenceError &&
      /^experiment inner: non-finite adapted parameters at iteration 0 \(inner step 1\)$/.test(
        e.message,
      ),
  );
  // Finite float32 parameters whose exp(logStd) is not finite.
  await assert.rejects(
    () => train(validateConfig({ ...base, outerLr: 1e38, id: "std" })),
    (e: unknown) =>
      e instanceof DivergenceError &&
      /^experiment std: non-finite parameters after iteration 0$/.test(e.message),
  );
});

const runTask = (args: string[]) => runTaskFile("tasks/reproduce.ts", args);

Deno.test("bad input: one line naming the field, exit 2, nothing written", async () => {
  const out = "results/.bad-input-test";
  await Deno.remove(out, { recursive: true }).catch(() => {});
  const badConfig = await Deno.makeTempFile({ dir: "results", suffix: ".json" });
  try {
    const cases: [string[], RegExp][] = [
      [["--profile", "nope"], /profile must be one of paper, quick/],
      [["--seeds", "0"], /seeds must be an integer in \[1, 1000\]/],
      [["--seeds", "-3"], /seeds/],
      [["--backend", "gpu"], /backend must be one of wasm, cpu/],
      [["--sampling-precision", "half"], /sampling-precision must be one of float64, float32/],
      [["--physics", "bullet"], /physics must be one of wasm, native, got "bullet"/],
      [["--only", "no-such-experiment"], /only: .* matches no experiment/],
      [["--config", badConfig], /config/],
      [["--frobnicate"], /frobnicate/],
      [["--workers", "0"], /workers must be an integer in \[1, 64\]/],
      [["--workers", "two"], /workers must be an integer in \[1, 64\]/],
    ];
    for (
      const [config, body] of [
        ['{"iterations": 0}', /config\.iterations/],
        ['{"metaBatchSize": -1}', /config\.metaBatchSize/],
        ['{"innerLr": -0.1}', /config\.innerLr/],
        ['{"outerLr": "fast"}', /config\.outerLr/],
        ['{"samplingPrecision": "float16"}', /config\.samplingPrecision/],
        ['{"itrations": 5}', /unknown key "itrations"/],
        ['{"env": "ant-dir"}', /config\.env: .*"half-cheetah-dir".*"swimmer-vel-goal"/],
        ['{"iterations": 5', /not valid JSON/],
      ] as const
    ) {
      await Deno.writeTextFile(badConfig, config);
      const r = await runTask(["--out", out, "--config", badConfig]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, body);
      assert.equal(r.stderr.split("\n").length, 1, r.stderr);
    }
    await Deno.writeTextFile(badConfig, '{"horizon": 0}');
    for (const [args, message] of cases) {
      const r = await runTask(["--out", out, ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.split("\n").length, 1, r.stderr);
    }
    const denied = await runTask(["--out", "/proc/forbidden", "--only", "sgmrl-so-z1-s0"]);
    assert.equal(denied.code, 2, denied.stderr);
    assert.match(denied.stderr, /out: .* is not writable/);
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
  } finally {
    await Deno.remove(badConfig);
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
});

Deno.test("without --out a run is the user's own (results/runs/PROFILE) and ends compared with the committed results", async () => {
  const id = "nav2d-maml-so-z1-s0";
  const runs = "results/runs/quick";
  const existed = await Deno.stat("results/runs").then(() => true, () => false);
  const committed = await Deno.readFile("results/quick/manifest.json");
  try {
    const r = await runDenoTask("reproduce", ["--only", id, "--workers", "1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^# quick: 1 experiment\\(s\\) in ${runs}`, "m"));
    // A fresh directory ends compared experiment by experiment; a user's own complete run of the
    // profile (trained before, without --out) ends reproduced as a whole.
    const compared =
      /compared with the committed results\/quick: 1 experiment\(s\) equal the committed ones byte for byte\n$/;
    const whole =
      /reproduced: every byte of results\/runs\/quick equals the committed results\/quick \(\d+ experiment\(s\)\)\n$/;
    assert.ok(compared.test(r.stdout) || (existed && whole.test(r.stdout)), r.stdout);
    assert.deepEqual(await Deno.readFile("results/quick/manifest.json"), committed);
  } finally {
    // A directory this test created goes; one the user had keeps what a run adds to it.
    if (!existed) await Deno.remove("results/runs", { recursive: true });
  }
});
