// checkTaskFamily: the package's own families and the examples pass; each way of breaking the
// contract or reproducibility is reported, all of them in one list.
import assert from "node:assert/strict";
import { checkTaskFamily } from "../src/sandbox/check_task_family.ts";
import { loadTaskFamily } from "../src/envs/registry.ts";
import type { Episode, TaskFamily } from "../src/envs/env.ts";
import pointMass from "../examples/point_mass.ts";
import cartPole from "../examples/cart_pole_velocity.ts";

Deno.test("checkTaskFamily: the built-in families and the examples have no problem", async () => {
  for (const env of ["nav2d", "half-cheetah-dir", "swimmer-vel"]) {
    assert.deepEqual(checkTaskFamily(await loadTaskFamily(env), { steps: 20 }), [], env);
  }
  assert.deepEqual(checkTaskFamily(pointMass), []);
  assert.deepEqual(checkTaskFamily(cartPole, { steps: 20 }), []);
});

/** A line family whose parts the cases below break one at a time. */
const line: TaskFamily<{ target: number }> = {
  id: "line",
  obsDim: 1,
  actDim: 1,
  actionLow: [-1],
  actionHigh: [1],
  sampleTask: (rng) => ({ target: rng.uniformIn(-1, 1) }),
  describeTask: (task) => ({ target: task.target }),
  reset: (_task, rng): Episode => {
    const observation = new Float64Array([rng.uniformIn(-0.1, 0.1)]);
    return {
      observation,
      step: (a) => {
        observation[0] += a[0];
        return { reward: -Math.abs(observation[0]), done: false };
      },
    };
  },
};

Deno.test("checkTaskFamily: every problem, each one line naming where", () => {
  assert.deepEqual(checkTaskFamily(line), []);
  const cases: [string, unknown, RegExp[]][] = [
    ["not an object", 3, [/^its default export must be a TaskFamily object$/]],
    ["shape", { ...line, obsDim: 0, actionHigh: [-2], reset: undefined }, [
      /^obsDim must be an integer in \[1, 4096\], got 0$/,
      /^actionLow\[0\] = -1 must be below actionHigh\[0\] = -2$/,
      /^reset must be a function$/,
    ]],
    ["sampleTask throws", {
      ...line,
      sampleTask: () => {
        throw new Error("no tasks");
      },
    }, [
      /^task 0: sampleTask threw: no tasks$/,
    ]],
    ["tasks from Math.random", { ...line, sampleTask: () => ({ target: Math.random() }) }, [
      /^task 0: sampleTask is not a function of its stream/,
      /^draws from Math\.random \(\d+ calls\)/,
    ]],
    ["describeTask", { ...line, describeTask: () => ({ name: "left" }) }, [
      /^task 0: describeTask must return a record of finite numbers or arrays of them/,
    ]],
    ["observation width", {
      ...line,
      reset: () => ({ observation: new Float64Array(2), step: () => ({ reward: 0, done: false }) }),
    }, [
      /^task 0, episode 0: reset: after reset\(\): the episode's observation must be a Float64Array of obsDim \(1\) numbers, got 2 numbers$/,
    ]],
    ["reward and done", {
      ...line,
      reset: () => {
        let n = 0;
        return {
          observation: new Float64Array(1),
          step: () => (++n < 3
            ? { reward: 0, done: false }
            : { reward: 0, done: "no" as unknown as boolean }),
        };
      },
    }, [/^task 0, episode 0: step 3 returned done "no", not a boolean$/]],
    [
      "state kept across episodes",
      (() => {
        let episodes = 0; // a hidden counter: the second run of the same episode differs
        return {
          ...line,
          reset: () => {
            const observation = new Float64Array([episodes++]);
            return { observation, step: () => ({ reward: 0, done: false }) };
          },
        };
      })(),
      [/^task 0, episode 0: not a function of its task, its reset stream and the actions/],
    ],
    ["close throws", {
      ...line,
      reset: () => ({
        observation: new Float64Array(1),
        step: () => ({ reward: 0, done: true }),
        close: () => {
          throw new Error("double free");
        },
      }),
    }, [/^task 0, episode 0: close\(\) threw: double free$/]],
  ];
  for (const [name, family, expected] of cases) {
    const problems = checkTaskFamily(family, { tasks: 1, episodes: 1, steps: 5 });
    for (const pattern of expected) {
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `${name}: ${pattern} in\n${problems.join("\n")}`,
      );
    }
    assert.ok(problems.every((p) => !p.includes("\n")), `${name}: one line each`);
  }
});
