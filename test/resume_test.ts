// Resume in one process: training split at any iteration, or stopped and rerun any number of
// times, with any worker count, gives the bytes of an uninterrupted run; damaged checkpoints
// are passed over; finished experiments are kept; stale leftovers are removed.
import assert from "node:assert/strict";
import { checkManifests } from "../src/experiments/artifacts.ts";
import { compareProfiles } from "../src/experiments/compare.ts";
import { useBackend } from "../src/kernels/backend.ts";
import { checkpointName, decodeCheckpoint, encodeCheckpoint } from "../src/training/checkpoint.ts";
import type { ExperimentConfig } from "../src/training/config.ts";
import { tensorLengths } from "../src/experiments/experiment_files.ts";
import { runExperiments, type RunHooks } from "../src/experiments/reproduce.ts";
import {
  createThreads,
  evaluate,
  initialTrainingState,
  train,
  trainIterations,
} from "../src/training/trainer.ts";
import { inTempDirs, tinyConfig } from "./helpers.ts";

await useBackend("wasm");

// Periodic evaluations after 2, 4 and 6 iterations: on, beside and off the checkpoints.
const tiny = (algorithm: ExperimentConfig["algorithm"], innerSteps: number, seed: number) =>
  tinyConfig(algorithm, "autodiff", innerSteps, seed, {
    iterations: 7,
    checkpointEvery: 3,
    evaluation: { tasks: 2, trajectoriesPerTask: 2, periodic: { every: 2, tasks: 3 } },
  });

// 7 iterations with checkpoints after 3, 6 and 7, for two experiments: 14 iterations in all.
const CONFIGS = [tiny("sgmrl", 1, 0), tiny("maml", 2, 1)];

/** Hooks that ask to stop after `after` iterations in all, and count the iterations run. */
function stopAfter(after: number): RunHooks & { ran: number } {
  const hooks = {
    ran: 0,
    onIteration() {
      hooks.ran++;
    },
    shouldStop: () => hooks.ran >= after,
  };
  return hooks;
}

async function entries(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

Deno.test("training resumed from a checkpoint at any iteration gives the uninterrupted bytes", async () => {
  const config = tiny("sgmrl", 2, 3);
  const whole = await train(config);
  for (let k = 1; k < config.iterations; k++) {
    const first = await initialTrainingState(config);
    const head = await trainIterations(config, first, { until: k });
    // Through the checkpoint's bytes, as a resumed process would read them.
    const restored = await decodeCheckpoint(
      encodeCheckpoint(first),
      "mem",
      tensorLengths(config),
    );
    const tail = await trainIterations(config, restored);
    assert.deepEqual([...head, ...tail], whole.metrics, `split after ${k}`);
    assert.deepEqual(restored.params, whole.params, `split after ${k}`);
    assert.equal(restored.digest, whole.finalStateDigest);
    assert.deepEqual(await evaluate(config, restored.params), whole.evaluation);
  }
});

Deno.test("a run stopped after any iteration and rerun (any worker count) ends with the uninterrupted bytes", async () => {
  await inTempDirs(2, async ([reference, dir]) => {
    const full = await runExperiments(CONFIGS, reference, "t");
    assert.equal(full.stopped, false);
    // Off the schedule (1, 4, 8), on it (3, 10), at an experiment's last iteration (7, 14).
    for (const after of [1, 3, 4, 7, 8, 10, 14]) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      const hooks = stopAfter(after);
      const first = await runExperiments(CONFIGS, dir, "t", hooks);
      assert.equal(first.stopped, true, `stop after ${after}`);
      assert.equal(hooks.ran, after);
      const threads = createThreads(after % 2 === 0 ? 2 : 1);
      const again = stopAfter(Infinity);
      let second;
      try {
        second = await runExperiments(CONFIGS, dir, "t", again, threads);
      } finally {
        threads.close();
      }
      assert.equal(second.stopped, false);
      // Only what was not done is redone: the two experiments have 14 iterations in all.
      assert.equal(again.ran, 14 - after, `stop after ${after}`);
      assert.equal(second.root, full.root, `stop after ${after}`);
      assert.equal(await compareProfiles(reference, dir), null, `stop after ${after}`);
      assert.deepEqual(await checkManifests(dir), []);
      const expected = [
        ...CONFIGS.map((c) => c.id),
        ...CONFIGS.map((c) => `.lock-${c.id}`),
        ".lock",
        "manifest.json",
        "summary",
        "timings.json",
      ];
      assert.deepEqual(await entries(dir), expected.sort());
    }
    // Stopped five times in a row, one iteration at a time apart, then finished.
    await Deno.remove(dir, { recursive: true });
    for (const after of [2, 1, 3, 1, 5]) {
      assert.equal((await runExperiments(CONFIGS, dir, "t", stopAfter(after))).stopped, true);
    }
    await runExperiments(CONFIGS, dir, "t");
    assert.equal(await compareProfiles(reference, dir), null, "five stops");
  });
});

Deno.test("a resumed experiment's time in timings.json counts the earlier processes' up to its checkpoint", async () => {
  await inTempDirs(1, async ([dir]) => {
    const [config] = CONFIGS;
    const run = `${dir}/.run-${config.id}`;
    const seconds = async () =>
      JSON.parse(await Deno.readTextFile(`${dir}/timings.json`)).seconds[config.id];
    // Stopped after 4 iterations: the scheduled checkpoint after 3 and the stop's after 4.
    assert.equal((await runExperiments([config], dir, "t", stopAfter(4))).stopped, true);
    const recorded = JSON.parse(await Deno.readTextFile(`${run}/elapsed.json`));
    assert.deepEqual(Object.keys(recorded).sort(), ["3", "4"]);
    assert.ok(0 <= recorded["3"] && recorded["3"] <= recorded["4"], JSON.stringify(recorded));
    assert.ok(await seconds() >= recorded["4"], "the stopped process's time so far");
    // As if the first process had trained for hours: the rerun adds its time to the checkpoint's.
    await Deno.writeTextFile(`${run}/elapsed.json`, '{"3":3600,"4":7200}');
    await runExperiments([config], dir, "t");
    const total = await seconds();
    assert.ok(total >= 7200 && total < 7200 + 600, `${total}`);
    // Damaged: said on one line naming it, and the time before it is not counted.
    await Deno.remove(dir, { recursive: true });
    await runExperiments([config], dir, "t", stopAfter(4));
    await Deno.writeTextFile(`${run}/elapsed.json`, '{"4":"an hour"}');
    const warnings: string[] = [];
    await runExperiments([config], dir, "t", { onWarning: (m) => warnings.push(m) });
    assert.deepEqual(warnings, [
      `${run}/elapsed.json: not a map of iterations to seconds; the time before it is not counted`,
    ]);
    assert.ok(await seconds() < 3600);
  });
});

Deno.test("a truncated latest checkpoint or a damaged metrics file is passed over with one line naming it", async () => {
  await inTempDirs(2, async ([reference, dir]) => {
    const config = CONFIGS[0];
    await runExperiments([config], reference, "t");
    const run = `${dir}/.run-${config.id}`;
    for (
      const [what, damage, resumedAt] of [
        ["truncated checkpoint", async () => {
          const file = `${run}/${checkpointName(6)}`;
          const bytes = await Deno.readFile(file);
          await Deno.writeFile(file, bytes.subarray(0, bytes.length - 100));
        }, 3],
        ["zeroed checkpoint", async () => {
          const file = `${run}/${checkpointName(6)}`;
          await Deno.writeFile(file, new Uint8Array((await Deno.stat(file)).size));
        }, 3],
        ["damaged earlier checkpoint", async () => {
          const file = `${run}/${checkpointName(3)}`;
          const bytes = await Deno.readFile(file);
          bytes[bytes.length - 1] ^= 0x40;
          await Deno.writeFile(file, bytes);
        }, 0],
        ["metrics without the last rows", async () => {
          const text = await Deno.readTextFile(`${run}/metrics.csv`);
          await Deno.writeTextFile(
            `${run}/metrics.csv`,
            text.split("\n").slice(0, 5).join("\n") + "\n",
          );
        }, 3],
        ["periodic evaluations without the last row", async () => {
          const text = await Deno.readTextFile(`${run}/evaluations.csv`);
          const lines = text.split("\n");
          assert.equal(lines.length, 5, text); // header, after 2, 4 and 6, and the final newline
          await Deno.writeTextFile(`${run}/evaluations.csv`, lines.slice(0, 3).join("\n") + "\n");
        }, 3],
        ["metrics not a table", async () => {
          await Deno.writeTextFile(`${run}/metrics.csv`, "garbage\n");
        }, 0],
      ] as const
    ) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      assert.equal((await runExperiments([config], dir, "t", stopAfter(6))).stopped, true);
      await damage();
      const warnings: string[] = [];
      let resumed = -1;
      await runExperiments([config], dir, "t", {
        onWarning: (m) => warnings.push(m),
        onStart: (_c, _i, _n, completed) => (resumed = completed),
      });
      assert.equal(resumed, resumedAt, what);
      assert.ok(warnings.length >= 1, what);
      for (const w of warnings) assert.equal(w.split("\n").length, 1, `${what}: ${w}`);
      assert.match(warnings.join("\n"), new RegExp(`\\.run-${config.id}/`), what);
      assert.equal(await compareProfiles(reference, dir), null, what);
    }
  });
});

Deno.test("finished experiments that check are kept; a damaged or reconfigured one is redone; stale leftovers go", async () => {
  await inTempDirs(2, async ([reference, dir]) => {
    await runExperiments(CONFIGS, reference, "t");
    await runExperiments(CONFIGS, dir, "t");
    let started = 0;
    const again = await runExperiments(CONFIGS, dir, "t", { onStart: () => started++ });
    assert.equal(started, 0);
    assert.deepEqual(again.kept, CONFIGS.map((c) => c.id));
    // A flipped byte in a finished experiment: it no longer checks, so it is trained again.
    const params = `${dir}/${CONFIGS[1].id}/params.bin`;
    const bytes = await Deno.readFile(params);
    bytes[0] ^= 1;
    await Deno.writeFile(params, bytes);
    // Leftovers of interrupted writes, and a run directory of another configuration.
    await Deno.mkdir(`${dir}/.partial-${CONFIGS[0].id}-0123456789abcdef`);
    await Deno.writeTextFile(`${dir}/.partial-manifest.json-0123456789abcdef`, "{");
    await Deno.mkdir(`${dir}/.run-${CONFIGS[1].id}`);
    await Deno.writeTextFile(`${dir}/.run-${CONFIGS[1].id}/config.json`, "{}\n");
    const warnings: string[] = [];
    const redo = await runExperiments(CONFIGS, dir, "t", { onWarning: (m) => warnings.push(m) });
    assert.deepEqual(redo.kept, [CONFIGS[0].id]);
    assert.deepEqual(redo.written, [CONFIGS[1].id]);
    assert.match(warnings.join("\n"), /another configuration/);
    assert.equal(await compareProfiles(reference, dir), null);
    assert.deepEqual(await checkManifests(dir), []);
  });
});
