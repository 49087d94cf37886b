// The published trainer's validation protocol: its rows follow the trigger, they are the same bytes
// for 1 and 2 workers and after any interruption, spot verification replays them, and the summary
// reports the pooled return and each seed's best validation; the committed paper-setup runs trained
// as results/paper's, and the committed sgmrl-published runs as MAML.
import assert from "node:assert/strict";
import { useBackend } from "../src/kernels/backend.ts";
import {
  readExperimentManifest,
  writeExperiment,
  writeProfileManifest,
} from "../src/experiments/artifacts.ts";
import { compareProfiles } from "../src/experiments/compare.ts";
import { runExperiments, type RunHooks } from "../src/experiments/reproduce.ts";
import { spotVerify } from "../src/verification/spot_verify.ts";
import { validateConfig } from "../src/training/config.ts";
import { train } from "../src/training/trainer.ts";
import { PUBLISHED_VALIDATION, validationDue, validationRule } from "../src/training/validation.ts";
import { expandProfile, PROFILES } from "../src/training/profiles.ts";
import { workerSampler } from "../src/threads/parallel_sampler.ts";
import { forgeExperiment, inTempDirs, tinyConfig } from "./helpers.ts";
import { VALIDATIONS_FILE } from "../src/experiments/experiment_files.ts";

await useBackend("wasm");

const published = (algorithm: "maml" | "sgmrl", seed: number) =>
  tinyConfig(algorithm, "autodiff", 1, seed, {
    iterations: 8,
    checkpointEvery: 3,
    sampler: "budget",
    policy: { hidden: [8], activation: "tanh", initStd: 1 },
    evaluation: {
      tasks: 3,
      trajectoriesPerTask: 2,
      protocol: "published",
      validation: { rounds: 2, every: 3, after: 1, margin: 1.05 },
    },
  });
const CONFIGS = [published("maml", 0), published("sgmrl", 1)];

Deno.test("published protocol: every row follows the trigger from the rows before it, and 2 workers give the same bytes", async () => {
  for (const config of CONFIGS) {
    const one = await train(config);
    const rule = validationRule(config)!;
    const done = one.validations.map((v) => v.iteration);
    // Scheduled after iterations 3 and 6 (itr % 3 == 2), always.
    for (const k of [3, 6]) assert.ok(done.includes(k), `${config.id}: validated after ${k}`);
    let best = -Infinity;
    for (const v of one.validations) {
      assert.ok(
        validationDue(v.iteration - 1, v.trainReturn, best, rule),
        `${config.id} ${v.iteration}`,
      );
      best = Math.max(best, v.trainReturn);
      assert.equal(v.pooledReturnsByStep.length, 2);
      assert.ok(v.pooledReturnsByStep.every(Number.isFinite));
    }
    const sampler = workerSampler(2);
    const two = await train(config, { sampler }).finally(() => sampler.close());
    assert.deepEqual(two.validations, one.validations, `${config.id}: 1 and 2 workers`);
    assert.equal(two.finalStateDigest, one.finalStateDigest);
  }
});

Deno.test("published protocol: a run stopped anywhere and resumed, spot verification, a forged row caught, the summary", async () => {
  await inTempDirs(2, async ([reference, dir]) => {
    const full = await runExperiments(CONFIGS, reference, "published-test");
    for (const after of [2, 4, 7, 11]) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      let ran = 0;
      const hooks: RunHooks = { onIteration: () => void ran++, shouldStop: () => ran >= after };
      assert.equal((await runExperiments(CONFIGS, dir, "published-test", hooks)).stopped, true);
      const again = await runExperiments(CONFIGS, dir, "published-test");
      assert.equal(again.root, full.root, `stopped after ${after}`);
      assert.equal(await compareProfiles(reference, dir), null);
    }
    const checked = await spotVerify(dir, { spots: 100, seed: 1 });
    assert.equal(checked.failure, null);
    assert.equal(checked.plan.intervals.length, 6, "every interval replayed");
    const table = await Deno.readTextFile(`${dir}/summary/table.md`);
    assert.match(
      table,
      /pooled return after ζ steps \(budget sampler\) \| final parameters, published metric \| best validation \(published protocol\) \|/,
    );
    const row = /\| nav2d \| maml \| second order \| 1 \|( −?\d+\.\d{3} ± 0\.000 \|){4} 1 \|/;
    assert.match(table, row, "per-task mean, pooled, published final, best validation");
    // A training return changed in the last row, every digest rewritten to match: the replay of
    // the interval holding that validation finds it.
    const id = CONFIGS[0].id;
    await forgeExperiment(dir, id, (files) => {
      const lines = new TextDecoder().decode(files[VALIDATIONS_FILE]).trimEnd().split("\n");
      const fields = lines[lines.length - 1].split(",");
      fields[1] = String(Number(fields[1]) + 0.5);
      lines[lines.length - 1] = fields.join(",");
      files[VALIDATIONS_FILE] = new TextEncoder().encode(`${lines.join("\n")}\n`);
    });
    const forged = await spotVerify(dir, { spots: 100, seed: 1 });
    assert.equal(forged.failure?.experiment, id);
    assert.match(
      forged.failure!.detail,
      /^validations\.csv, validation \d+ of iterations \d+-\d+ differs/,
    );
    // Without the file at all (the manifests rewritten to match): the integrity check says so.
    const manifest = await readExperimentManifest(dir, id);
    const files: Record<string, Uint8Array> = {};
    for (const name of Object.keys(manifest.files)) {
      if (name !== VALIDATIONS_FILE) files[name] = await Deno.readFile(`${dir}/${id}/${name}`);
    }
    await writeExperiment(dir, id, files, manifest.finalStateDigest);
    await writeProfileManifest(dir, "published-test");
    const missing = await spotVerify(dir, { spots: 1, seed: 1 });
    assert.equal(
      missing.failure?.detail,
      `${id}: validations.csv missing with the published protocol`,
    );
  });
});

Deno.test("published protocol: the validation constants are read only with it", () => {
  const config = {
    ...CONFIGS[0],
    evaluation: {
      tasks: 3,
      trajectoriesPerTask: 2,
      validation: { rounds: 2, every: 3, after: 1, margin: 1 },
    },
  };
  assert.throws(() => validateConfig(config), {
    message: 'evaluation.validation: validation is read only with protocol "published"',
  });
  assert.throws(() => validateConfig({ ...CONFIGS[0], sampler: "pooled" }), {
    message: /^sampler: /,
  });
});

/** kristian-georgiev/SGMRL, sgmrl_configs/sgmrl_full.json (what vpg_run.py reads for 2D navigation). */
const SGMRL_FULL = {
  algo: "VPG-SGMRL",
  meta_batch_size: 20,
  hidden_sizes: [100, 100],
  rollouts_per_meta_task: 20,
  parallel: true,
  max_path_length: 100,
  discount: 0.99,
  gae_lambda: 0.997,
  normalize_adv: true,
  positive_adv: false,
  inner_lr: 0.1,
  learning_rate: 1e-3,
  num_inner_grad_steps: 1,
  inner_type: "log_likelihood",
  n_itr: 500,
};

Deno.test("the published profile's configurations are the published config file's values", () => {
  const configs = expandProfile(PROFILES.published);
  assert.deepEqual(configs.map((c) => c.id), [
    "nav2d-maml-so-z1-paper-setup-s0",
    "nav2d-maml-so-z1-paper-setup-s1",
    "nav2d-maml-so-z1-paper-setup-s2",
    "nav2d-maml-so-z1-s0",
    "nav2d-maml-so-z1-s1",
    "nav2d-maml-so-z1-s2",
    "nav2d-sgmrl-published-so-z1-s0",
    "nav2d-sgmrl-so-z1-paper-setup-s0",
    "nav2d-sgmrl-so-z1-paper-setup-s1",
    "nav2d-sgmrl-so-z1-paper-setup-s2",
    "nav2d-sgmrl-so-z1-s0",
    "nav2d-sgmrl-so-z1-s1",
    "nav2d-sgmrl-so-z1-s2",
  ]);
  for (const c of configs) {
    const file = SGMRL_FULL;
    assert.deepEqual(
      [c.metaBatchSize, c.policy.hidden, c.trajectoriesPerTask, c.horizon, c.gamma, c.gaeLambda],
      [
        file.meta_batch_size,
        file.hidden_sizes,
        file.rollouts_per_meta_task,
        file.max_path_length,
        file.discount,
        file.gae_lambda,
      ],
      c.id,
    );
    assert.deepEqual(
      [c.normalizeAdvantages, c.innerLr, c.outerLr, c.innerSteps, c.iterations, c.surrogateMean],
      [
        file.normalize_adv,
        file.inner_lr,
        file.learning_rate,
        file.num_inner_grad_steps,
        file.n_itr,
        "samples", // inner_type "log_likelihood": the mean over samples of log π · Â
      ],
      c.id,
    );
    // MetaGaussianMLPPolicy's defaults (maml_zoo/policies/base.py: tanh; init_std 1), the
    // validations of maml_zoo/meta_trainer.py and meta_tester.py (n_itr=80 in vpg_run.py).
    assert.equal(c.policy.initStd, 1);
    assert.deepEqual(validationRule(c), PUBLISHED_VALIDATION);
    assert.equal(c.evaluation.protocol, "published", c.id);
    if (c.id.includes("paper-setup")) {
      // The package's setup, the paper profile's training byte for byte.
      const paper = expandProfile(PROFILES.paper).find((p) =>
        p.id === c.id.replace("-paper-setup", "")
      )!;
      assert.deepEqual({ ...c, id: paper.id, evaluation: paper.evaluation }, paper);
    } else {
      assert.equal(c.policy.activation, "tanh", c.id);
      assert.equal(c.sampler, "budget", c.id);
    }
  }
});

Deno.test("the ablation profile changes one part of the paper profile's setup per group: the activation or the sampler", () => {
  const paper = new Map(expandProfile(PROFILES.paper).map((c) => [c.id, c]));
  const configs = expandProfile(PROFILES.ablation);
  assert.equal(configs.length, 12);
  for (const c of configs) {
    const tag = /-(tanh|budget)-s\d$/.exec(c.id)?.[1];
    assert.ok(tag !== undefined, c.id);
    const reference = paper.get(c.id.replace(`-${tag}`, ""));
    assert.ok(reference !== undefined, `${c.id}: its paper-profile twin`);
    const changed = tag === "tanh"
      ? { ...reference, id: c.id, policy: { ...reference.policy, activation: "tanh" } }
      : { ...reference, id: c.id, sampler: "budget" };
    assert.deepEqual(c, changed, c.id);
  }
});

Deno.test("results/published: each committed paper-setup run trained exactly as results/paper's run of its estimator and seed (params.bin and metrics.csv byte for byte)", async () => {
  const runs = [...Deno.readDirSync("results/published")]
    .filter((e) => e.isDirectory && !e.name.startsWith("."))
    .map((e) => e.name)
    .filter((name) => name.includes("-paper-setup-s"));
  assert.ok(runs.length > 0, "no paper-setup run committed");
  for (const run of runs) {
    const twin = run.replace("-paper-setup", "");
    for (const file of ["params.bin", "metrics.csv"]) {
      assert.deepEqual(
        await Deno.readFile(`results/published/${run}/${file}`),
        await Deno.readFile(`results/paper/${twin}/${file}`),
        `${run}/${file}`,
      );
    }
  }
});

Deno.test("results/published and results/paper: each committed sgmrl-published run ends with MAML's parameters of its seed, byte for byte (the published SG-MRL term adds nothing)", async () => {
  for (const dir of ["results/published", "results/paper"]) {
    const runs = [...Deno.readDirSync(dir)]
      .filter((e) => e.isDirectory && e.name.includes("-sgmrl-published-"))
      .map((e) => e.name);
    assert.ok(runs.length > 0, `no sgmrl-published run committed in ${dir}`);
    for (const run of runs) {
      const twin = run.replace("-sgmrl-published-", "-maml-");
      assert.deepEqual(
        await Deno.readFile(`${dir}/${run}/params.bin`),
        await Deno.readFile(`${dir}/${twin}/params.bin`),
        `${dir}/${run}`,
      );
    }
  }
});
