// The own-MuJoCo-task example: its model compiles to the dimensions it declares, a push moves the
// cart and the reward is the stated function of the cart's velocity; meta-training on it gives the
// same bytes for 1 and 2 workers and verifies.
import assert from "node:assert/strict";
import { stream } from "../mod.ts";
import { compareProfiles } from "../src/experiments/compare.ts";
import cartPole from "./cart_pole_velocity.ts";
import { runDenoTask } from "../test/helpers.ts";

Deno.test("cart-pole velocity: dimensions from the model, a push moves the cart, the reward by hand", () => {
  assert.equal(cartPole.obsDim, 3);
  assert.equal(cartPole.actDim, 1);
  const task = cartPole.sampleTask(stream({ seed: 1, purpose: "task" })) as { goal: number };
  assert.ok(task.goal >= -1 && task.goal <= 1);
  const episode = cartPole.reset(task, stream({ seed: 1, purpose: "reset" }));
  let velocity = 0;
  for (let k = 0; k < 20; k++) {
    const { reward, done } = episode.step(new Float64Array([1]));
    assert.equal(done, false);
    // reward = −|v − goal| − 0.01·1²: the cart's speed over the step, recovered from the reward,
    // is the one the observation reports at its end, to within what 2 physics steps change.
    const gap = -reward - 0.01;
    const v = [task.goal + gap, task.goal - gap].sort((a, b) =>
      Math.abs(a - episode.observation[1]) - Math.abs(b - episode.observation[1])
    )[0];
    assert.ok(
      Math.abs(v - episode.observation[1]) < 0.1,
      `step ${k}: ${v} vs ${episode.observation}`,
    );
    velocity = episode.observation[1];
  }
  assert.ok(velocity > 0.5, `a constant push to the right accelerates the cart (${velocity})`);
  episode.close?.();
});

Deno.test("SG-MRL vs MAML on the cart-pole: the same bytes for 1 and 2 workers, verified", async () => {
  const dir = `results/tmp-example-${crypto.randomUUID()}`;
  await Deno.mkdir(dir, { recursive: true });
  try {
    const config = { env: "examples/cart_pole_velocity.ts", iterations: 4, checkpointEvery: 2 };
    await Deno.writeTextFile(`${dir}/env.json`, JSON.stringify(config));
    const args = ["--profile", "compare", "--config", `${dir}/env.json`, "--seeds", "1"];
    for (const workers of ["1", "2"]) {
      const run = await runDenoTask("reproduce", [
        ...args,
        "--out",
        `${dir}/w${workers}`,
        "--workers",
        workers,
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /\| cart-pole-velocity \| sgmrl \| second order \| 1 \|/);
    }
    assert.equal(await compareProfiles(`${dir}/w1`, `${dir}/w2`), null);
    const verified = await runDenoTask("verify", ["--profile", "compare", "--dir", `${dir}/w1`]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
