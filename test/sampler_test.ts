// Trajectory sampling: byte-determinism, independence of how the jobs are split or ordered, early
// termination exactly when the episode ends, raw actions μ(s) + σ·ε with ε from the trajectory's own
// stream, and distinct noise for distinct stream keys.
import assert from "node:assert/strict";
import { scaleAction } from "../src/envs/env.ts";
import { nav2d, type Nav2dTask } from "../src/envs/nav2d.ts";
import {
  initPolicyParams,
  meanActions,
  type PolicyParams,
  type PolicySpec,
} from "../src/estimators/policy.ts";
import { stream } from "../src/core/rng.ts";
import { plainLoopMean } from "../src/bench/sampling_bench.ts";
import {
  allJobs,
  gaussianSampling,
  type Path,
  samplePaths,
  type SampleRequest,
} from "../src/estimators/sampler.ts";

const SPEC: PolicySpec = { obsDim: 2, actDim: 2, hidden: [8], activation: "tanh", initStd: 1 };
const TASKS: Nav2dTask[] = [{ goal: [0.3, -0.2] }, { goal: [-0.45, 0.1] }, { goal: [0.05, 0.4] }];

function request(overrides: Partial<SampleRequest<Nav2dTask>> = {}): SampleRequest<Nav2dTask> {
  return {
    family: nav2d,
    policy: gaussianSampling(SPEC),
    tasks: TASKS,
    params: TASKS.map((_, i) => initPolicyParams(SPEC, 10 + i)),
    horizon: 6,
    seed: 3,
    purpose: "action",
    iteration: 2,
    phase: 1,
    ...overrides,
  };
}

/** The noise stream key of `request()`'s first task (trajectory and purpose added where used). */
const TASK0_KEY = { seed: 3, purpose: "action", iteration: 2, task: 0, phase: 1 } as const;

const bytes = (a: Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function assertSamePath(a: Path, b: Path, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  assert.deepEqual(bytes(a.observations), bytes(b.observations), `${what}: observations`);
  assert.deepEqual(bytes(a.actions), bytes(b.actions), `${what}: actions`);
  assert.deepEqual(bytes(a.rewards), bytes(b.rewards), `${what}: rewards`);
}

function assertClose(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected}`);
}

/** A linear policy (no hidden layer) with mean action `mean` everywhere and σ = e^{−1000} = 0. */
function constantPolicy(mean: [number, number]): { spec: PolicySpec; params: PolicyParams } {
  return {
    spec: { obsDim: 2, actDim: 2, hidden: [], activation: "tanh", initStd: 1 },
    params: [
      new Float32Array(4),
      new Float32Array(mean),
      new Float32Array([-1000, -1000]),
    ],
  };
}

Deno.test("allJobs: task-major list of (task, trajectory)", () => {
  assert.deepEqual(allJobs(2, 3), [
    { task: 0, trajectory: 0 },
    { task: 0, trajectory: 1 },
    { task: 0, trajectory: 2 },
    { task: 1, trajectory: 0 },
    { task: 1, trajectory: 1 },
    { task: 1, trajectory: 2 },
  ]);
  assert.deepEqual(allJobs(0, 4), []);
});

Deno.test("samplePaths: the same request twice gives identical bytes", () => {
  const jobs = allJobs(3, 4);
  const a = samplePaths(request(), jobs);
  const b = samplePaths(request(), jobs);
  assert.equal(a.length, 12);
  a.forEach((p, i) => assertSamePath(p, b[i], `job ${i}`));
  // Shapes: rows of obsDim / actDim values, one reward per step.
  for (const p of a) {
    assert.equal(p.observations.length, 2 * p.length);
    assert.equal(p.actions.length, 2 * p.length);
    assert.equal(p.rewards.length, p.length);
  }
});

Deno.test("samplePaths: shards and reversed order give each job the same bytes", () => {
  const jobs = allJobs(3, 4);
  const whole = samplePaths(request(), jobs);
  const shards = [[0, 5], [5, 9], [9, 12]].flatMap(([lo, hi]) =>
    samplePaths(request(), jobs.slice(lo, hi))
  );
  const reversed = samplePaths(request(), [...jobs].reverse()).reverse();
  const alone = jobs.map((job) => samplePaths(request(), [job])[0]);
  for (let i = 0; i < jobs.length; i++) {
    assertSamePath(shards[i], whole[i], `job ${i} sharded`);
    assertSamePath(reversed[i], whole[i], `job ${i} reversed`);
    assertSamePath(alone[i], whole[i], `job ${i} alone`);
  }
  // Interleaving tasks does not matter either.
  const mixed = [jobs[11], jobs[0], jobs[6], jobs[1]];
  samplePaths(request(), mixed).forEach((p, k) =>
    assertSamePath(p, whole[jobs.indexOf(mixed[k])], `mixed ${k}`)
  );
});

Deno.test("samplePaths: sharding is byte-identical when paths end at different steps", () => {
  // A linear policy μ(s) = 100·(goal − s) in policy units, i.e. the environment action
  // goal − s (clipped to ±0.1), plus noise of σ = 1 policy unit = 0.01 in the box: paths approach
  // the goal and end after varying numbers of steps, so lockstep batches shrink. Every goal is more
  // than 0.1 away in some coordinate, so no path ends at the first step.
  const tasks: Nav2dTask[] = [{ goal: [0.15, -0.1] }, { goal: [-0.2, 0.05] }, {
    goal: [0.12, 0.18],
  }];
  const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [], activation: "relu", initStd: 1 };
  const params = tasks.map((t) => [
    new Float32Array([-100, 0, 0, -100]),
    new Float32Array([100 * t.goal[0], 100 * t.goal[1]]),
    new Float32Array([0, 0]),
  ]);
  const req = request({ policy: gaussianSampling(spec), tasks, params, horizon: 15 });
  const jobs = allJobs(3, 6);
  const whole = samplePaths(req, jobs);
  const lengths = new Set(whole.map((p) => p.length));
  assert.ok(lengths.size >= 3, `lengths ${[...lengths]}`);
  assert.ok(whole.some((p) => p.length < 15) && whole.every((p) => p.length >= 2));
  // A path that ended early ended at the goal.
  for (const [i, p] of whole.entries()) {
    if (p.length < 15) assert.ok(p.rewards[p.length - 1] > -0.01 * Math.SQRT2, `job ${i}`);
  }
  const shards = [[0, 7], [7, 8], [8, 18]].flatMap(([lo, hi]) =>
    samplePaths(req, jobs.slice(lo, hi))
  );
  const reversed = samplePaths(req, [...jobs].reverse()).reverse();
  for (let i = 0; i < jobs.length; i++) {
    assertSamePath(shards[i], whole[i], `job ${i} sharded`);
    assertSamePath(reversed[i], whole[i], `job ${i} reversed`);
    assertSamePath(samplePaths(req, [jobs[i]])[0], whole[i], `job ${i} alone`);
  }
});

Deno.test("samplePaths: a path ends at the step the episode reports done", () => {
  // Mean action (5, 0) in policy units with σ = 0 → environment action (0.05, 0) every step.
  const { spec, params } = constantPolicy([5, 0]);
  const base = { ...request(), policy: gaussianSampling(spec), params: [params], horizon: 10 };
  // Goal (0.05, 0): reached by the first step.
  const [one] = samplePaths({ ...base, tasks: [{ goal: [0.05, 0] }] }, allJobs(1, 1));
  assert.equal(one.length, 1);
  assert.deepEqual(Array.from(one.observations), [0, 0]);
  assert.deepEqual(Array.from(one.actions), [5, 0]);
  assert.ok(Math.abs(one.rewards[0]) < 1e-15, `reward ${one.rewards[0]}`);
  // Goal exactly where the first step lands: the reward is exactly 0.
  const landing = scaleAction([5, 0], nav2d.actionLow, nav2d.actionHigh, new Float64Array(2));
  const [exact] = samplePaths(
    { ...base, tasks: [{ goal: [landing[0], landing[1]] }] },
    allJobs(1, 1),
  );
  assert.equal(exact.length, 1);
  assert.ok(exact.rewards[0] === 0, `reward ${exact.rewards[0]}`);
  // Goal (0.1, 0): two steps of 0.05.
  const [two] = samplePaths({ ...base, tasks: [{ goal: [0.1, 0] }] }, allJobs(1, 2));
  assert.equal(two.length, 2);
  assertClose(two.rewards[0], -0.05, 1e-15, "first reward");
  assert.ok(Math.abs(two.rewards[1]) < 1e-15);
  assertClose(two.observations[2], 0.05, 1e-15, "second observation");
  // Goal (0.3, 0.2) is never reached by moving along x: the full horizon.
  const [full] = samplePaths({ ...base, tasks: [{ goal: [0.3, 0.2] }] }, allJobs(1, 1));
  assert.equal(full.length, 10);
});

Deno.test("samplePaths: horizon steps when no goal can be reached in time", () => {
  // From the origin at most 0.1 per step and coordinate: after 4 steps a goal at (0.5, 0.5) is still
  // at least 0.1 away in each coordinate, so no path can end early.
  const tasks: Nav2dTask[] = [{ goal: [0.5, 0.5] }, { goal: [-0.5, -0.5] }];
  const req = request({ tasks, params: [0, 1].map((i) => initPolicyParams(SPEC, i)) });
  const paths = samplePaths({ ...req, horizon: 4 }, allJobs(2, 5));
  assert.equal(paths.length, 10);
  for (const p of paths) assert.equal(p.length, 4);
});

Deno.test("samplePaths: actions are μ(s_h) + σ·ε with ε from the trajectory's stream", () => {
  const params = initPolicyParams(SPEC, 10);
  // Non-zero output bias and unequal standard deviations, so that a mix-up of dimensions shows.
  params[3] = new Float32Array([0.3, -0.2]);
  params[4] = new Float32Array([Math.log(2), Math.log(0.5)]);
  const req = request({ tasks: [TASKS[0]], params: [params], horizon: 5 });
  const key = TASK0_KEY;
  const paths = samplePaths(req, allJobs(1, 3));
  const std = Array.from(params[4], (l) => Math.exp(l));
  paths.forEach((path, trajectory) => {
    assert.equal(path.length, 5);
    const noise = stream({ ...key, trajectory });
    // At s_0 = (0, 0) the hidden layer is tanh(0) = 0, so μ(s_0) is the output bias.
    const e0 = noise.normal(), e1 = noise.normal();
    assert.equal(path.actions[0], Math.fround(0.3) + std[0] * e0);
    assert.equal(path.actions[1], Math.fround(-0.2) + std[1] * e1);
    // Later steps continue the same stream, two draws per step.
    for (let h = 1; h < path.length; h++) {
      const mu = meanActions(SPEC, params, path.observations.slice(2 * h, 2 * h + 2), 1);
      for (let j = 0; j < 2; j++) {
        assert.equal(path.actions[2 * h + j], mu[j] + std[j] * noise.normal(), `step ${h}`);
      }
    }
    // Replaying the recorded raw actions, scaled to the box, reproduces observations and rewards.
    const ep = nav2d.reset(TASKS[0], stream({ ...key, purpose: "reset", trajectory }));
    const envAction = new Float64Array(2);
    for (let h = 0; h < path.length; h++) {
      assert.deepEqual(
        Array.from(ep.observation),
        Array.from(path.observations.slice(2 * h, 2 * h + 2)),
      );
      scaleAction(
        path.actions.slice(2 * h, 2 * h + 2),
        nav2d.actionLow,
        nav2d.actionHigh,
        envAction,
      );
      assert.equal(ep.step(envAction).reward, path.rewards[h]);
    }
  });
});

Deno.test("samplePaths in float32: actions are μ(s_h) + σ·ε with μ the plain float32 loop's", () => {
  const spec: PolicySpec = { ...SPEC, activation: "relu", samplingPrecision: "float32" };
  const params = initPolicyParams(spec, 11);
  params[3] = new Float32Array([0.3, -0.2]);
  const req = request({
    policy: gaussianSampling(spec),
    tasks: [TASKS[1]],
    params: [params],
    horizon: 5,
  });
  const [path] = samplePaths(req, [{ task: 0, trajectory: 1 }]);
  const noise = stream({ ...TASK0_KEY, trajectory: 1 });
  const std = Array.from(params[4], (l) => Math.exp(l));
  let differs = false;
  for (let h = 0; h < path.length; h++) {
    const s = path.observations.slice(2 * h, 2 * h + 2);
    const mu = plainLoopMean(spec, params, s, 1);
    const mu64 = plainLoopMean({ ...spec, samplingPrecision: "float64" }, params, s, 1);
    for (let j = 0; j < 2; j++) {
      assert.equal(Math.fround(mu[j]), mu[j], `step ${h}: a float32 mean`);
      assert.equal(path.actions[2 * h + j], mu[j] + std[j] * noise.normal(), `step ${h}`);
      differs ||= mu[j] !== mu64[j];
    }
  }
  assert.ok(differs, "float32 means are not float64's");
});

Deno.test("samplePaths: eval-action requests draw from the eval-action stream", () => {
  const params = initPolicyParams(SPEC, 10);
  const req = request({ tasks: [TASKS[0]], params: [params], purpose: "eval-action" });
  const [path] = samplePaths(req, [{ task: 0, trajectory: 2 }]);
  const noise = stream({ ...TASK0_KEY, purpose: "eval-action", trajectory: 2 });
  // Biases are zero and σ = 1, so the first action is the noise itself.
  assert.equal(path.actions[0], noise.normal());
  assert.equal(path.actions[1], noise.normal());
});

Deno.test("samplePaths: a different phase, iteration, purpose, seed or trajectory changes the noise", () => {
  const jobs = [{ task: 1, trajectory: 2 }];
  const [base] = samplePaths(request(), jobs);
  const variants: [string, Partial<SampleRequest<Nav2dTask>>][] = [
    ["phase", { phase: 0 }],
    ["iteration", { iteration: 3 }],
    ["purpose", { purpose: "eval-action" }],
    ["seed", { seed: 4 }],
  ];
  for (const [name, change] of variants) {
    const [other] = samplePaths(request(change), jobs);
    assert.notEqual(other.actions[0], base.actions[0], name);
    assert.notEqual(other.actions[1], base.actions[1], name);
  }
  const [otherTrajectory] = samplePaths(request(), [{ task: 1, trajectory: 3 }]);
  assert.notEqual(otherTrajectory.actions[0], base.actions[0], "trajectory");
  // The same trajectory index of another task (with the same parameters) differs too.
  const same = initPolicyParams(SPEC, 0);
  const paths = samplePaths(request({ params: [same, same, same] }), [
    { task: 0, trajectory: 0 },
    { task: 1, trajectory: 0 },
  ]);
  assert.notEqual(paths[0].actions[0], paths[1].actions[0], "task");
});

Deno.test("samplePaths: invalid requests are refused", () => {
  assert.throws(() => samplePaths(request({ horizon: 0 }), allJobs(1, 1)), /horizon/);
  assert.throws(() => samplePaths(request({ horizon: 2.5 }), allJobs(1, 1)), /horizon/);
  assert.throws(
    () => samplePaths(request({ params: [initPolicyParams(SPEC, 0)] }), allJobs(1, 1)),
    /params/,
  );
  assert.throws(() => samplePaths(request(), [{ task: 3, trajectory: 0 }]), /task index 3/);
  assert.throws(() => samplePaths(request(), [{ task: -1, trajectory: 0 }]), /task index -1/);
  // A non-finite action is reported rather than fed to the environment.
  const { spec, params } = constantPolicy([0, 0]);
  params[1][0] = NaN;
  assert.throws(
    () =>
      samplePaths(
        { ...request(), policy: gaussianSampling(spec), tasks: [TASKS[0]], params: [params] },
        allJobs(1, 1),
      ),
    /non-finite action/,
  );
});
