// The MuJoCo locomotion tasks: the compiled models' invariants (hand-computed masses, gears,
// dimensions, integrator), resets and steps replayed directly on the engine (reset noise, frame
// skip, reward, observation), the reward variants against each other, task distributions, bad
// input, and memory that stays flat over a long run of episodes.
import assert from "node:assert/strict";
import { InputError } from "../src/core/errors.ts";
import {
  loadLocomotionFamily,
  LOCOMOTION_TASKS,
  modelUrl,
  sharedModel,
} from "../src/envs/locomotion.ts";
import {
  type CompiledModel,
  compileModelFile,
  compileModelXml,
  loadMujoco,
  ModelCompileError,
} from "../src/envs/mujoco.ts";
import { environmentDims, ENVIRONMENTS, loadTaskFamily } from "../src/envs/registry.ts";
import { type RandomStream, stream } from "../src/core/rng.ts";
import { allJobs, gaussianSampling, samplePaths } from "../src/estimators/sampler.ts";
import { runHalfCheetahEpisodes } from "./helpers.ts";

const mj = await loadMujoco();
const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);
const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: got ${a}, expected ${b}`);

Deno.test("half_cheetah compiles to Gym's robot: 9 dofs, 6 motors, gears, total mass 14, dt 0.01", async () => {
  const { model } = await compileModelFile(modelUrl("half_cheetah.xml"));
  assert.deepEqual([model.nq, model.nv, model.nu, model.nbody, model.njnt], [9, 9, 6, 8, 9]);
  assert.deepEqual(
    Array.from({ length: 6 }, (_, i) => model.actuator_gear[6 * i]),
    [120, 90, 60, 120, 60, 30],
  );
  close(sum(model.body_mass), 14, 1e-9, "total mass (settotalmass)");
  assert.equal(model.opt.timestep, 0.01);
  assert.deepEqual(Array.from(model.opt.gravity), [0, 0, -9.81]);
  assert.deepEqual(Array.from(model.actuator_ctrlrange), Array(6).fill([-1, 1]).flat());
  // Leg joints: stiffness and damping as in Gym; the root's three joints are free of both.
  assert.deepEqual(Array.from(model.jnt_stiffness), [0, 0, 0, 240, 180, 120, 180, 120, 60]);
  assert.deepEqual(Array.from(model.dof_damping), [0, 0, 0, 6, 4.5, 3, 4.5, 3, 1.5]);
  assert.deepEqual(Array.from(model.dof_armature), [0, 0, 0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
});

Deno.test("swimmer compiles to Gym's robot: 5 dofs, 2 motors of gear 150, RK4 in a viscous medium", async () => {
  const { model } = await compileModelFile(modelUrl("swimmer.xml"));
  assert.deepEqual([model.nq, model.nv, model.nu, model.nbody], [5, 5, 2, 4]);
  assert.deepEqual([model.actuator_gear[0], model.actuator_gear[6]], [150, 150]);
  assert.equal(model.opt.timestep, 0.01);
  assert.equal(model.opt.integrator, 1, "mjINT_RK4");
  assert.equal(model.opt.density, 4000);
  assert.equal(model.opt.viscosity, 0.1);
  // Each link is a capsule of radius 0.1 and length 1 at density 1000: 1000·(πr²·1 + 4/3·πr³).
  const link = 1000 * (Math.PI * 0.01 + (4 / 3) * Math.PI * 0.001);
  for (let b = 1; b < 4; b++) close(model.body_mass[b], link, 1e-9, `body ${b} mass`);
  assert.deepEqual(
    Array.from(model.jnt_range).slice(6),
    [-100, 100, -100, 100].map((d) => d * Math.PI / 180),
  );
});

/** Replays a family's reset and one step directly on the engine; returns what they must give. */
function replay(
  id: keyof typeof LOCOMOTION_TASKS,
  model: CompiledModel,
  rng: RandomStream,
  action: Float64Array,
  goal: number,
) {
  // REPRODUCTION §4, restated here rather than read from the package's table.
  const cheetah = id.startsWith("half-cheetah");
  const spec = cheetah
    ? { frameSkip: 5, qposStart: 1, resetNoise: "cheetah" }
    : { frameSkip: 4, qposStart: 2, resetNoise: "swimmer" };
  const data = new mj.MjData(model.model);
  try {
    mj.mj_resetData(model.model, data);
    const nq = model.model.nq, nv = model.model.nv;
    const qpos = data.qpos, qvel = data.qvel;
    for (let i = 0; i < nq; i++) qpos[i] += -0.1 + 0.2 * rng.uniform();
    for (let i = 0; i < nv; i++) {
      qvel[i] += spec.resetNoise === "cheetah" ? 0.1 * rng.normal() : -0.1 + 0.2 * rng.uniform();
    }
    mj.mj_forward(model.model, data);
    const obs0 = [...Array.from(data.qpos).slice(spec.qposStart), ...Array.from(data.qvel)];
    for (let j = 0; j < action.length; j++) data.ctrl[j] = action[j];
    const x0 = data.qpos[0];
    for (let k = 0; k < spec.frameSkip; k++) mj.mj_step(model.model, data);
    const v = (data.qpos[0] - x0) / (0.01 * spec.frameSkip);
    const a2 = sum(action.map((a) => a * a));
    const obs1 = [...Array.from(data.qpos).slice(spec.qposStart), ...Array.from(data.qvel)];
    const reward = {
      "half-cheetah-dir": goal * v - 0.05 * a2,
      "half-cheetah-vel": -Math.abs(v - goal) - 0.05 * a2,
      "swimmer-vel": Math.abs(v - goal) - 1e-4 * a2,
      "swimmer-vel-goal": -Math.abs(v - goal) - 1e-4 * a2,
    }[id];
    return { obs0, obs1, reward, v };
  } finally {
    data.delete();
  }
}

for (const id of Object.keys(LOCOMOTION_TASKS) as (keyof typeof LOCOMOTION_TASKS)[]) {
  Deno.test(`${id}: reset noise, frame skip, reward and observation replayed on the engine`, async () => {
    const family = await loadLocomotionFamily(id);
    const model = await compileModelFile(modelUrl(LOCOMOTION_TASKS[id].model));
    const action = Float64Array.from({ length: family.actDim }, (_, j) => 0.9 * Math.cos(j + 1));
    for (const goal of id === "half-cheetah-dir" ? [1, -1] : [0.15, 2]) {
      const key = { seed: 7, purpose: "reset" as const, task: 3, trajectory: 1 };
      const episode = family.reset({ goal }, stream(key));
      try {
        const expected = replay(id, model, stream(key), action, goal);
        assert.deepEqual(Array.from(episode.observation), expected.obs0, "observation after reset");
        const { reward, done } = episode.step(action);
        assert.equal(done, false);
        assert.deepEqual(Array.from(episode.observation), expected.obs1, "observation after step");
        assert.equal(reward, expected.reward);
        assert.ok(Math.abs(expected.v) > 1e-3, "the step moved the root");
      } finally {
        episode.close?.();
      }
    }
  });
}

Deno.test("reward variants agree: direction ±1 and the two swimmer rewards differ only where they should", async () => {
  const action = new Float64Array([0.5, -0.3, 0.8, -1, 0.2, 0.1]);
  const a2 = sum(action.map((a) => a * a));
  const cheetah = await loadLocomotionFamily("half-cheetah-dir");
  const vel = await loadLocomotionFamily("half-cheetah-vel");
  const rewards = (family: typeof cheetah, goal: number) => {
    const episode = family.reset({ goal }, stream({ seed: 1, purpose: "reset" }));
    try {
      return Array.from({ length: 20 }, () => episode.step(action).reward);
    } finally {
      episode.close?.();
    }
  };
  const forward = rewards(cheetah, 1), backward = rewards(cheetah, -1);
  const atRest = rewards(vel, 0);
  for (let t = 0; t < 20; t++) {
    close(forward[t] + backward[t], -2 * 0.05 * a2, 1e-12, `step ${t}: control cost`);
    const v = (forward[t] - backward[t]) / 2;
    close(atRest[t], -Math.abs(v) - 0.05 * a2, 1e-12, `step ${t}: goal speed 0`);
  }
  const swim = await loadLocomotionFamily("swimmer-vel");
  const swimGoal = await loadLocomotionFamily("swimmer-vel-goal");
  const a = action.subarray(0, 2), s2 = a[0] * a[0] + a[1] * a[1];
  const e1 = swim.reset({ goal: 0.15 }, stream({ seed: 2, purpose: "reset" }));
  const e2 = swimGoal.reset({ goal: 0.15 }, stream({ seed: 2, purpose: "reset" }));
  try {
    for (let t = 0; t < 20; t++) {
      close(e1.step(a).reward + e2.step(a).reward, -2 * 1e-4 * s2, 1e-12, `swimmer step ${t}`);
    }
  } finally {
    e1.close?.();
    e2.close?.();
  }
});

Deno.test("task distributions: d uniform on {−1, +1}, v* ~ U[0, 3] and U[0.1, 0.2]", async () => {
  const draws = async (id: keyof typeof LOCOMOTION_TASKS) => {
    const family = await loadLocomotionFamily(id);
    return Array.from(
      { length: 2000 },
      (_, task) =>
        (family.sampleTask(stream({ seed: 0, purpose: "task", task })) as { goal: number }).goal,
    );
  };
  const d = await draws("half-cheetah-dir");
  assert.ok(d.every((x) => x === 1 || x === -1));
  const plus = d.filter((x) => x === 1).length;
  assert.ok(Math.abs(plus - 1000) < 4.5 * Math.sqrt(500), `${plus} of 2000 forward`);
  for (const [id, lo, hi] of [["half-cheetah-vel", 0, 3], ["swimmer-vel", 0.1, 0.2]] as const) {
    const v = await draws(id);
    assert.ok(v.every((x) => x >= lo && x < hi), id);
    close(
      sum(v) / v.length,
      (lo + hi) / 2,
      4.5 * (hi - lo) / Math.sqrt(12 * v.length),
      `${id} mean`,
    );
  }
  const family = await loadLocomotionFamily("half-cheetah-vel");
  assert.deepEqual(family.describeTask({ goal: 1.5 }), { goalVelocity: 1.5 });
  assert.deepEqual((await loadLocomotionFamily("half-cheetah-dir")).describeTask({ goal: -1 }), {
    direction: -1,
  });
});

Deno.test("no early termination: 200 steps of random actions never end an episode", async () => {
  for (const id of ["half-cheetah-vel", "swimmer-vel"] as const) {
    const family = await loadLocomotionFamily(id);
    const spec = {
      obsDim: family.obsDim,
      actDim: family.actDim,
      hidden: [],
      activation: "tanh",
      initStd: 1,
    } as const;
    const params = [
      new Float32Array(family.obsDim * family.actDim),
      new Float32Array(family.actDim),
      new Float32Array(family.actDim),
    ];
    const [path] = samplePaths({
      family,
      policy: gaussianSampling(spec),
      tasks: [{ goal: 1 }],
      params: [params],
      horizon: 200,
      seed: 0,
      purpose: "action",
      iteration: 0,
      phase: 0,
    }, allJobs(1, 1));
    assert.equal(path.length, 200, id);
    assert.ok(path.rewards.every(Number.isFinite));
  }
});

Deno.test("the registry's static dimensions match the families, and unknown ids list the known ones", async () => {
  for (const env of ENVIRONMENTS) {
    const family = await loadTaskFamily(env);
    assert.deepEqual(environmentDims(env), { obsDim: family.obsDim, actDim: family.actDim }, env);
  }
  await assert.rejects(
    () => loadTaskFamily("ant-dir"),
    (e: unknown) =>
      e instanceof InputError &&
      e.message ===
        `env must be one of ${ENVIRONMENTS.join(", ")} or a pinned task module, got "ant-dir"`,
  );
});

Deno.test("non-finite actions are refused naming the task and the step", async () => {
  const family = await loadLocomotionFamily("half-cheetah-vel");
  const episode = family.reset({ goal: 1.25 }, stream({ seed: 0, purpose: "reset" }));
  try {
    episode.step(new Float64Array(6));
    assert.throws(
      () => episode.step(new Float64Array([0, 0, NaN, 0, 0, 0])),
      /^RangeError: half-cheetah-vel \(goalVelocity 1\.25\): non-finite action at step 1$/,
    );
  } finally {
    episode.close?.();
  }
  const spec = { obsDim: 17, actDim: 6, hidden: [], activation: "tanh", initStd: 1 } as const;
  const params = [new Float32Array(17 * 6).fill(NaN), new Float32Array(6), new Float32Array(6)];
  assert.throws(
    () =>
      samplePaths({
        family,
        policy: gaussianSampling(spec),
        tasks: [{ goal: 1 }, { goal: 2 }],
        params: [params, params],
        horizon: 5,
        seed: 0,
        purpose: "action",
        iteration: 0,
        phase: 0,
      }, [{ task: 1, trajectory: 0 }]),
    /half-cheetah-vel: non-finite action at task 1, step 0/,
  );
});

Deno.test("a model that does not compile: MuJoCo's message and the file, on one line", async () => {
  assert.throws(
    () =>
      compileModelXml(
        mj,
        "<mujoco><worldbody><body><geom type='sphere'/></body></worldbody>",
        "broken.xml",
      ),
    (e: unknown) =>
      e instanceof ModelCompileError &&
      /^broken\.xml: MuJoCo could not compile the model: .*XML/.test(e.message) &&
      !e.message.includes("\n"),
  );
  assert.throws(
    () =>
      compileModelXml(
        mj,
        `<mujoco><worldbody><geom type="sphere" size="-1"/></worldbody></mujoco>`,
        "neg.xml",
      ),
    /neg\.xml: MuJoCo could not compile the model: .*size/,
  );
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => compileModelFile(`${dir}/missing.xml`),
      (e: unknown) =>
        e instanceof ModelCompileError &&
        e.message.startsWith(`${dir}/missing.xml: cannot read the model`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("memory stays flat: 3000 resets and steps reuse one simulation state, the heap does not grow", async () => {
  const family = await loadLocomotionFamily("half-cheetah-dir");
  const model = await sharedModel("half_cheetah.xml");
  const probe = model.acquire();
  const heap = () => probe.qpos.buffer.byteLength;
  model.release(probe);
  const run = (n: number) => runHalfCheetahEpisodes(family, n);
  run(50);
  const before = { heap: heap(), states: model.allocated };
  run(3000);
  assert.equal(model.allocated, before.states, "no new simulation states");
  assert.equal(heap(), before.heap, "the WebAssembly heap did not grow");
});

Deno.test("a compiled model frees its states and itself, and refuses to free borrowed states", async () => {
  const own = await compileModelFile(new URL("../src/envs/models/swimmer.xml", import.meta.url));
  const data = own.acquire();
  assert.throws(() => own.free(), /1 simulation state\(s\) still in use/);
  own.release(data);
  own.free();
  assert.equal(own.allocated, 0);
  assert.throws(() => own.acquire(), /was freed/);
});
