// 2D navigation: hand-computed steps (action and state clipping, reward after the move, termination
// only when both coordinates are within tolerance), task sampling, and the action scaling from the
// policy's [−10, 10] to the environment's box.
import assert from "node:assert/strict";
import { POLICY_ACTION_BOUND, scaleAction } from "../src/envs/env.ts";
import { nav2d, type Nav2dTask } from "../src/envs/nav2d.ts";
import { stream } from "../src/core/rng.ts";

function assertClose(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: got ${actual}, expected ${expected}`,
  );
}

const start = (goal: [number, number]) =>
  nav2d.reset({ goal }, stream({ seed: 0, purpose: "reset" }));
const act = (x: number, y: number) => new Float64Array([x, y]);

Deno.test("nav2d: family metadata", () => {
  assert.equal(nav2d.id, "nav2d");
  assert.equal(nav2d.obsDim, 2);
  assert.equal(nav2d.actDim, 2);
  assert.deepEqual(nav2d.actionLow, [-0.1, -0.1]);
  assert.deepEqual(nav2d.actionHigh, [0.1, 0.1]);
  assert.deepEqual(nav2d.describeTask({ goal: [0.25, -0.125] }), { goal: [0.25, -0.125] });
});

Deno.test("nav2d: starts at the origin; a step moves by the action, reward is −distance after it", () => {
  const ep = start([0.3, -0.2]);
  assert.deepEqual(Array.from(ep.observation), [0, 0]);
  // (0.05, −0.0625) lies inside the box: s = (0.05, −0.0625); goal − s = (0.25, −0.1375).
  const r1 = ep.step(act(0.05, -0.0625));
  assert.deepEqual(Array.from(ep.observation), [0.05, -0.0625]);
  assertClose(r1.reward, -Math.hypot(0.25, -0.1375), 1e-15, "reward after step 1");
  assert.equal(r1.done, false);
  // The reward is measured after the move, not before: from the origin −‖goal‖ would be −0.3606.
  assert.ok(Math.abs(r1.reward + Math.hypot(0.3, 0.2)) > 0.05);
});

Deno.test("nav2d: each action coordinate is clipped to ±0.1", () => {
  const ep = start([0.4, 0.4]);
  // (0.25, −3) → (0.1, −0.1).
  const r = ep.step(act(0.25, -3));
  assertClose(ep.observation[0], 0.1, 1e-15, "x");
  assertClose(ep.observation[1], -0.1, 1e-15, "y");
  assertClose(r.reward, -Math.hypot(0.3, 0.5), 1e-15, "reward");
  // Only the out-of-range coordinate is clipped: (0.02, 7) → (0.02, 0.1).
  ep.step(act(0.02, 7));
  assertClose(ep.observation[0], 0.12, 1e-15, "x after step 2");
  assertClose(ep.observation[1], 0, 1e-15, "y after step 2");
});

Deno.test("nav2d: the state is clipped to [−0.5, 0.5]²", () => {
  const ep = start([0.45, -0.45]);
  // Six steps of (+0.1, −0.1): 0.1, 0.2, …, 0.5, then 0.6 is clipped back to 0.5.
  let last = { reward: 0, done: false };
  for (let i = 0; i < 6; i++) last = ep.step(act(0.1, -0.1));
  assertClose(ep.observation[0], 0.5, 1e-15, "x");
  assertClose(ep.observation[1], -0.5, 1e-15, "y");
  assert.ok(ep.observation[0] <= 0.5 && ep.observation[1] >= -0.5);
  assertClose(last.reward, -Math.hypot(0.05, 0.05), 1e-15, "reward at the corner");
  assert.equal(last.done, false);
  // Moving back by 0.05 from the clipped edge: the clip did not accumulate overshoot.
  const r = ep.step(act(-0.05, 0.05));
  assertClose(ep.observation[0], 0.45, 1e-15, "x after moving back");
  assertClose(ep.observation[1], -0.45, 1e-15, "y after moving back");
  assert.equal(r.done, true);
  assertClose(r.reward, 0, 1e-15, "reward at the goal");
});

Deno.test("nav2d: done only when both coordinates are within 0.01 of the goal", () => {
  const ep = start([0.05, 0.05]);
  // x reaches the goal, y is 0.05 away: not done.
  const r1 = ep.step(act(0.05, 0));
  assert.equal(r1.done, false);
  assertClose(r1.reward, -0.05, 1e-15, "reward with y 0.05 away");
  // y at 0.045: |dy| = 0.005 < 0.01 and |dx| = 0: done.
  const r2 = ep.step(act(0, 0.045));
  assert.equal(r2.done, true);
  assertClose(r2.reward, -0.005, 1e-15, "reward near the goal");

  // Only y within tolerance: not done.
  const ep2 = start([0.05, 0.05]);
  assert.equal(ep2.step(act(0.02, 0.048)).done, false);
  // Both within tolerance without hitting the goal exactly: done.
  const ep3 = start([0.05, 0.05]);
  const r3 = ep3.step(act(0.042, 0.058));
  assert.equal(r3.done, true);
  assertClose(r3.reward, -Math.hypot(0.008, 0.008), 1e-15, "reward");
  // One coordinate at 0.02: not done even though the other is exact.
  const ep4 = start([-0.03, 0.07]);
  assert.equal(ep4.step(act(-0.03, 0.05)).done, false);
});

Deno.test("nav2d: episodes are independent of each other", () => {
  const a = start([0.2, 0.2]);
  const b = start([0.2, 0.2]);
  a.step(act(0.1, 0.1));
  assert.deepEqual(Array.from(b.observation), [0, 0]);
});

Deno.test("nav2d: a task's goal comes from its stream: (uniformIn(−½, ½), uniformIn(−½, ½))", () => {
  const key = { seed: 4, purpose: "task", iteration: 2, task: 7 } as const;
  const t1 = nav2d.sampleTask(stream(key));
  const t2 = nav2d.sampleTask(stream(key));
  assert.deepEqual(t1, t2);
  const s = stream(key);
  const x = s.uniformIn(-0.5, 0.5), y = s.uniformIn(-0.5, 0.5);
  assert.deepEqual(t1.goal, [x, y]);
  const other = nav2d.sampleTask(stream({ ...key, task: 8 }));
  assert.notDeepEqual(other.goal, t1.goal);
});

Deno.test("nav2d: 2000 goals lie in [−0.5, 0.5]², mean ≈ 0, variance ≈ 1/12", () => {
  const goals: Nav2dTask[] = [];
  for (let i = 0; i < 2000; i++) {
    goals.push(nav2d.sampleTask(stream({ seed: 1, purpose: "task", task: i })));
  }
  for (const c of [0, 1]) {
    const v = goals.map((g) => g.goal[c]);
    assert.ok(v.every((x) => x >= -0.5 && x <= 0.5), `coordinate ${c} in range`);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    // Standard errors over 2000 draws: 0.0065 for the mean, 0.0015 for the variance.
    assert.ok(Math.abs(mean) < 0.03, `coordinate ${c} mean ${mean}`);
    assert.ok(Math.abs(variance - 1 / 12) < 0.008, `coordinate ${c} variance ${variance}`);
    // Both halves of the range are used.
    assert.ok(Math.min(...v) < -0.45 && Math.max(...v) > 0.45);
  }
  // The two coordinates are not the same draw.
  assert.ok(goals.some((g) => g.goal[0] !== g.goal[1]));
});

Deno.test("scaleAction: [−10, 10] mapped linearly onto [low, high], clipped", () => {
  assert.equal(POLICY_ACTION_BOUND, 10);
  const out = new Float64Array(2);
  const low = nav2d.actionLow, high = nav2d.actionHigh;
  // low + (a + 10)(high − low)/20 with low = −0.1, high = 0.1: a = 5 → 0.05, a = 0 → 0.
  scaleAction([5, 0], low, high, out);
  assertClose(out[0], 0.05, 1e-15, "a = 5");
  assertClose(out[1], 0, 1e-15, "a = 0");
  scaleAction([30, -10], low, high, out);
  assert.equal(out[0], 0.1);
  assert.equal(out[1], -0.1);
  scaleAction([-25, 10], low, high, out);
  assert.equal(out[0], -0.1);
  assertClose(out[1], 0.1, 1e-15, "a = 10");
  // Asymmetric box [−1, 3] × [0, 4]: a = 0 → the midpoints 1 and 2; a = −5 → −1 + 5·4/20 = 0 and
  // 0 + 5·4/20 = 1.
  const box = new Float64Array(2);
  const ret = scaleAction([0, -5], [-1, 0], [3, 4], box);
  assert.equal(ret, box, "writes into and returns out");
  assert.deepEqual(Array.from(box), [1, 1]);
  scaleAction([-5, 0], [-1, 0], [3, 4], box);
  assert.deepEqual(Array.from(box), [0, 2]);
  // Linear: equal steps in a give equal steps out.
  const a1 = scaleAction([1], [-1], [3], new Float64Array(1))[0];
  const a2 = scaleAction([2], [-1], [3], new Float64Array(1))[0];
  const a3 = scaleAction([3], [-1], [3], new Float64Array(1))[0];
  assertClose(a2 - a1, 0.2, 1e-15, "slope");
  assertClose(a3 - a2, 0.2, 1e-15, "slope");
});
