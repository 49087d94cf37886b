// The own-task-family example, end to end as a researcher runs it: the family's dynamics and
// reward by hand; SG-MRL against MAML through `deno task reproduce --profile compare`, the same
// bytes for 1 and 2 workers and verified; a changed task file refused by verify.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { stream } from "../mod.ts";
import { readProfileManifest } from "../src/experiments/artifacts.ts";
import { compareProfiles } from "../src/experiments/compare.ts";
import pointMass from "./point_mass.ts";
import { runDenoTask } from "../test/helpers.ts";

Deno.test("point mass: one step by hand (velocity, position, reward), reset noise from its stream", () => {
  const task = pointMass.sampleTask(stream({ seed: 3, purpose: "task" }));
  assert.ok(task.targetVelocity >= -1 && task.targetVelocity <= 1);
  const reset = () => pointMass.reset(task, stream({ seed: 3, purpose: "reset" }));
  const episode = reset();
  const [x0, v0] = episode.observation;
  assert.deepEqual([...reset().observation], [x0, v0], "the same stream, the same start");
  const { reward, done } = episode.step(new Float64Array([0.5]));
  const v1 = v0 + 0.5 * 0.1;
  assert.equal(episode.observation[1], v1);
  assert.equal(episode.observation[0], x0 + v1 * 0.1);
  assert.equal(reward, -Math.abs(v1 - task.targetVelocity) - 0.01 * 0.25);
  assert.equal(done, false);
});

async function withScratch(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = `results/tmp-example-${crypto.randomUUID()}`;
  await Deno.mkdir(dir, { recursive: true });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SG-MRL vs MAML on the point mass: pinned to the file, the same bytes for 1 and 2 workers, verified", async () => {
  await withScratch(async (dir) => {
    await Deno.writeTextFile(`${dir}/env.json`, JSON.stringify({ env: "examples/point_mass.ts" }));
    const run = (out: string, workers: string) =>
      runDenoTask("reproduce", [
        ...["--profile", "compare", "--config", `${dir}/env.json`, "--seeds", "1"],
        ...["--out", out, "--workers", workers],
      ]);
    const one = await run(`${dir}/one`, "1");
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /\| point-mass \| maml \| second order \| 1 \|/);
    assert.match(one.stdout, /\| point-mass \| sgmrl \| second order \| 1 \|/);
    // The smallest program (train_own_task.ts) trains the same configurations by hand through
    // mod.ts, and prints the same meta-test returns.
    const program = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--allow-read=.", "examples/train_own_task.ts"],
      stdout: "piped",
    }).output();
    const printed = new TextDecoder().decode(program.stdout);
    for (const algorithm of ["maml", "sgmrl"]) {
      const row = new RegExp(`\\| point-mass \\| ${algorithm} \\| second order \\| 1 \\| (\\S+) ±`)
        .exec(one.stdout);
      const line = new RegExp(`^${algorithm}: \\S+ before adaptation, (\\S+) after$`, "m").exec(
        printed,
      );
      assert.ok(row !== null && line !== null, printed);
      assert.equal(line[1].replace("-", "−"), row[1]);
    }
    const two = await run(`${dir}/two`, "2");
    assert.equal(two.code, 0, two.stderr);
    assert.equal(await compareProfiles(`${dir}/one`, `${dir}/two`), null);

    const digest = createHash("sha256").update(await Deno.readFile("examples/point_mass.ts"))
      .digest("hex");
    const ids = Object.keys((await readProfileManifest(`${dir}/one`)).experiments).sort();
    assert.deepEqual(ids, ["point-mass-maml-so-z1-s0", "point-mass-sgmrl-so-z1-s0", "summary"]);
    const config = JSON.parse(
      await Deno.readTextFile(`${dir}/one/point-mass-sgmrl-so-z1-s0/config.json`),
    );
    assert.equal(config.env, `examples/point_mass.ts#sha256=${digest}`);

    const verified = await runDenoTask("verify", ["--profile", "compare", "--dir", `${dir}/one`]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /verified: 2 experiment\(s\)/);
  });
});

Deno.test("a task file changed after its run is refused by verify and by reproduce into the same directory", async () => {
  const module = `examples/tmp-family-${crypto.randomUUID().slice(0, 8)}.ts`;
  await Deno.copyFile("examples/point_mass.ts", module);
  try {
    await withScratch(async (dir) => {
      const config = JSON.stringify({ env: module, iterations: 2, checkpointEvery: 1 });
      await Deno.writeTextFile(`${dir}/env.json`, config);
      const args = ["--profile", "compare", "--config", `${dir}/env.json`, "--seeds", "1"];
      const first = await runDenoTask("reproduce", [...args, "--out", `${dir}/out`]);
      assert.equal(first.code, 0, first.stderr);
      await Deno.writeTextFile(module, "\n// a changed reward would go here\n", { append: true });
      const verify = await runDenoTask("verify", ["--profile", "compare", "--dir", `${dir}/out`]);
      assert.equal(verify.code, 2);
      assert.match(
        verify.stderr,
        /^error: env: task module "examples\/tmp-family-[0-9a-f]+\.ts" has changed since this configuration was written \(sha256 [0-9a-f]{64} recorded, [0-9a-f]{64} now\)/,
      );
      const again = await runDenoTask("reproduce", [...args, "--out", `${dir}/out`]);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /holds a finished experiment of another configuration \(env/);
    });
  } finally {
    await Deno.remove(module);
  }
});

Deno.test("a module that is not a task family, or a path out of the project, is one line and exit 2", async () => {
  await withScratch(async (dir) => {
    const cases = [
      ["src/core/stats.ts", /must export a TaskFamily as its default export/],
      ["../outside.ts", /expected one of "nav2d", .*, or a task module/],
      ["examples/none.ts", /task module "examples\/none.ts" not found/],
    ] as const;
    for (const [env, message] of cases) {
      await Deno.writeTextFile(`${dir}/env.json`, JSON.stringify({ env }));
      const out = await runDenoTask("reproduce", [
        ...["--profile", "compare", "--config", `${dir}/env.json`, "--out", `${dir}/out`],
      ]);
      assert.equal(out.code, 2, env);
      assert.match(out.stderr, new RegExp(`^error: (config\\.)?env: .*${message.source}`), env);
      assert.equal(out.stderr.split("\n").length, 1, env);
    }
  });
});
