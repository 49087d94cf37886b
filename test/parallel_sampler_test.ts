// Parallel sampling: the paths of any number of workers are byte-identical to sampling in the
// calling thread (nav2d and MuJoCo), errors inside a worker arrive with their message, and a
// worker that crashes fails the call without hanging.
import assert from "node:assert/strict";
import { InputError } from "../src/core/errors.ts";
import { ENVIRONMENTS, loadTaskFamily } from "../src/envs/registry.ts";
import {
  chunkBounds,
  createSampler,
  localSampler,
  type PortableSampleRequest,
  type Sampler,
  workerSampler,
} from "../src/threads/parallel_sampler.ts";
import { initPolicyParams, type PolicySpec } from "../src/estimators/policy.ts";
import { stream } from "../src/core/rng.ts";
import { allJobs, gaussianSampling, type Path, samplePaths } from "../src/estimators/sampler.ts";
import type { DensePrecision } from "../src/kernels/dense_simd.ts";

const bytes = (a: Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function assertSamePaths(actual: Path[], expected: Path[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: number of paths`);
  actual.forEach((p, i) => {
    assert.equal(p.length, expected[i].length, `${what}: path ${i} length`);
    assert.deepEqual(bytes(p.observations), bytes(expected[i].observations), `${what}: obs ${i}`);
    assert.deepEqual(bytes(p.actions), bytes(expected[i].actions), `${what}: actions ${i}`);
    assert.deepEqual(bytes(p.rewards), bytes(expected[i].rewards), `${what}: rewards ${i}`);
  });
}

async function withSampler<T>(sampler: Sampler, f: (s: Sampler) => Promise<T>): Promise<T> {
  try {
    return await f(sampler);
  } finally {
    sampler.close();
  }
}

async function request(
  env: PortableSampleRequest["env"],
  horizon: number,
  tasks = 3,
  samplingPrecision: DensePrecision = "float64",
): Promise<PortableSampleRequest> {
  const family = await loadTaskFamily(env);
  const policy: PolicySpec = {
    obsDim: family.obsDim,
    actDim: family.actDim,
    hidden: [8],
    activation: "tanh",
    initStd: 1,
    samplingPrecision,
  };
  return {
    env,
    policy,
    tasks: Array.from(
      { length: tasks },
      (_, task) => family.sampleTask(stream({ seed: 4, purpose: "task", task })),
    ),
    params: Array.from({ length: tasks }, (_, i) => initPolicyParams(policy, 20 + i)),
    horizon,
    seed: 4,
    purpose: "action",
    iteration: 3,
    phase: 1,
  };
}

Deno.test("chunkBounds: contiguous runs covering every job, sizes differing by at most one", () => {
  assert.deepEqual(chunkBounds(7, 3), [[0, 3], [3, 5], [5, 7]]);
  assert.deepEqual(chunkBounds(2, 4), [[0, 1], [1, 2], [2, 2], [2, 2]]);
  assert.deepEqual(chunkBounds(0, 2), [[0, 0], [0, 0]]);
});

for (
  const [env, horizon, precision] of [
    ["nav2d", 20, "float64"],
    ["half-cheetah-vel", 30, "float64"],
    ["swimmer-vel", 30, "float64"],
    ["nav2d", 20, "float32"],
  ] as const
) {
  Deno.test(`${env}, sampling in ${precision}: 1, 2, 3 and 7 workers give the bytes of in-thread sampling, in job order`, async () => {
    const req = await request(env, horizon, 3, precision);
    const family = await loadTaskFamily(env);
    const direct = (jobs: ReturnType<typeof allJobs>) =>
      samplePaths({ ...req, family, policy: gaussianSampling(req.policy) }, jobs);
    const jobs = allJobs(3, 5);
    const shuffled = [...jobs].sort((a, b) =>
      ((a.task * 7 + a.trajectory * 3) % 5) - ((b.task * 7 + b.trajectory * 3) % 5)
    );
    const expected = direct(jobs);
    const expectedShuffled = direct(shuffled);
    if (precision === "float32") {
      // The workers must sample in float32 too: float64's paths are others.
      const float64 = samplePaths({
        ...req,
        family,
        policy: gaussianSampling({ ...req.policy, samplingPrecision: "float64" }),
      }, jobs);
      assert.notDeepEqual(bytes(float64[0].actions), bytes(expected[0].actions));
    }
    await withSampler(localSampler(), async (s) => {
      assertSamePaths(await s.sample(req, jobs), expected, "local");
    });
    for (const workers of [1, 2, 3, 7]) {
      await withSampler(workerSampler(workers), async (s) => {
        assertSamePaths(await s.sample(req, jobs), expected, `${workers} workers`);
        assertSamePaths(await s.sample(req, shuffled), expectedShuffled, `${workers}, shuffled`);
      });
    }
  });
}

Deno.test("errors inside a worker arrive with their type and message", async () => {
  const req = await request("nav2d", 5, 2);
  const broken = { ...req, params: req.params.map((p) => p.map((a) => a.map(() => NaN))) };
  const family = await loadTaskFamily("nav2d");
  let inThread = "";
  try {
    samplePaths({ ...broken, family, policy: gaussianSampling(req.policy) }, allJobs(2, 2));
  } catch (e) {
    inThread = (e as Error).message;
  }
  assert.match(inThread, /^nav2d: non-finite action at task 0, step 0$/);
  // Both workers fail, the second at once, the first only after 40 long healthy trajectories of task
  // 0: the error is still the first run's, the one sampling in one thread meets first.
  const three = await request("nav2d", 100, 3);
  const late = {
    ...three,
    params: three.params.map((p, i) => i === 0 ? p : p.map((a) => a.map(() => NaN))),
  };
  const jobs = [
    ...Array.from({ length: 40 }, (_, trajectory) => ({ task: 0, trajectory })),
    { task: 1, trajectory: 0 },
    ...Array.from({ length: 41 }, (_, trajectory) => ({ task: 2, trajectory })),
  ];
  assert.throws(
    () => samplePaths({ ...late, family, policy: gaussianSampling(req.policy) }, jobs),
    /^RangeError: nav2d: non-finite action at task 1, step 0$/,
  );
  await withSampler(workerSampler(2), async (s) => {
    await assert.rejects(
      () => s.sample(broken, allJobs(2, 2)),
      (e: unknown) => e instanceof RangeError && e.message === inThread,
    );
    await assert.rejects(() => s.sample(late, jobs), /^RangeError: nav2d: .* at task 1, step 0$/);
    await assert.rejects(
      () => s.sample({ ...req, env: "ant" as typeof req.env }, allJobs(2, 1)),
      (e: unknown) =>
        e instanceof InputError && e.message.includes(ENVIRONMENTS.join(", ")) &&
        e.message.includes('"ant"'),
    );
    // The pool still works after errors that were not crashes.
    assert.equal((await s.sample(req, allJobs(2, 1))).length, 2);
  });
});

Deno.test("a crashing worker fails the call and every later one, without hanging", async () => {
  const req = await request("nav2d", 5, 2);
  const url = new URL("./fixtures/crashing_worker.ts", import.meta.url);
  await withSampler(workerSampler(2, { workerUrl: url }), async (s) => {
    await assert.rejects(
      () => s.sample(req, allJobs(2, 2)),
      /^Error: sampling worker \d crashed: .*boom/,
    );
    await assert.rejects(() => s.sample(req, allJobs(2, 2)), /sampling worker \d crashed/);
  });
});

Deno.test("createSampler: 1 samples in this thread, more on workers, other counts are refused", () => {
  for (const bad of [0, -1, 1.5, NaN]) {
    assert.throws(() => createSampler(bad), /^RangeError: workers must be a positive integer/);
  }
  const one = createSampler(1), three = createSampler(3);
  assert.deepEqual([one.workers, three.workers], [1, 3]);
  one.close();
  three.close();
});

Deno.test("a closed sampler refuses to sample", async () => {
  const s = workerSampler(2);
  s.close();
  s.close();
  const req = await request("nav2d", 3, 1);
  await assert.rejects(() => s.sample(req, allJobs(1, 1)), /closed/);
});
