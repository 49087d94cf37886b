// Parallel learning: inner steps and meta-gradients computed on any number of learner workers are
// byte-identical to the calling thread's (the per-task parts are summed in task order on the caller),
// the leave-one-out baselines see the whole meta-batch whatever the split, and errors inside a worker
// arrive with their type and message.
import assert from "node:assert/strict";
import { useBackend } from "../src/kernels/backend.ts";
import { learnerBatch } from "../src/estimators/batch.ts";
import { PAPER_NAV2D, validateConfig } from "../src/training/config.ts";
import { loadTaskFamily } from "../src/envs/registry.ts";
import type { EstimatorConfig, TaskBatches } from "../src/estimators/meta_gradient.ts";
import { metaGradient } from "../src/estimators/meta_gradient.ts";
import {
  createLearner,
  type Learner,
  localLearner,
  workerLearner,
} from "../src/threads/parallel_learner.ts";
import {
  gaussianMlp,
  initPolicyParams,
  type PolicyParams,
  type PolicySpec,
} from "../src/estimators/policy.ts";
import { stream } from "../src/core/rng.ts";
import { allJobs, gaussianSampling, samplePaths } from "../src/estimators/sampler.ts";
import { surrogateConfig } from "../src/training/trainer.ts";

await useBackend("wasm");

const SPEC: PolicySpec = { obsDim: 2, actDim: 2, hidden: [16, 16], activation: "relu", initStd: 1 };
const TASKS = 5, TRAJECTORIES = 3, HORIZON = 12;
const SURROGATE = surrogateConfig(
  validateConfig({
    ...PAPER_NAV2D,
    id: "t",
    algorithm: "sgmrl",
    hessian: "autodiff",
    innerSteps: 1,
    seed: 0,
  }),
);

const bits = (params: readonly Float32Array[]) =>
  params.map((p) => Array.from(new Uint32Array(p.buffer, p.byteOffset, p.length)));

async function taskBatches(innerSteps: number): Promise<{
  params: PolicyParams;
  tasks: TaskBatches[];
}> {
  const family = await loadTaskFamily("nav2d");
  const params = initPolicyParams(SPEC, 3);
  const tasks = Array.from(
    { length: TASKS },
    (_, task) => family.sampleTask(stream({ seed: 3, purpose: "task", task })),
  );
  const batch = (phase: number) => {
    const paths = samplePaths({
      family,
      policy: gaussianSampling(SPEC),
      tasks,
      params: tasks.map(() => params),
      horizon: HORIZON,
      seed: 3,
      purpose: "action",
      iteration: 0,
      phase,
    }, allJobs(TASKS, TRAJECTORIES));
    return tasks.map((_, i) =>
      learnerBatch(paths.slice(i * TRAJECTORIES, (i + 1) * TRAJECTORIES), 2, 2, SURROGATE)
    );
  };
  const phases = Array.from({ length: innerSteps + 1 }, (_, t) => batch(t));
  return {
    params,
    tasks: tasks.map((_, i) => ({
      inner: phases.slice(0, innerSteps).map((p) => p[i]),
      outer: phases[innerSteps][i],
      adapted: Array.from({ length: innerSteps }, () => params),
      explorationWeight: 0.5,
    })),
  };
}

async function withLearner<T>(learner: Learner, f: (l: Learner) => Promise<T>): Promise<T> {
  try {
    return await f(learner);
  } finally {
    learner.close();
  }
}

const CONFIGS: EstimatorConfig[] = [
  { algorithm: "sgmrl", hessian: "autodiff", innerSteps: 2, innerLr: 0.1, sgmrlBaseline: "none" },
  {
    algorithm: "sgmrl",
    hessian: "autodiff",
    innerSteps: 1,
    innerLr: 0.1,
    sgmrlBaseline: "leave-one-out",
  },
  { algorithm: "maml", hessian: "paper-eq13", innerSteps: 1, innerLr: 0.1, sgmrlBaseline: "none" },
  { algorithm: "emaml", hessian: "none", innerSteps: 2, innerLr: 0.1, sgmrlBaseline: "none" },
];

Deno.test("meta-gradients on 1, 2, 3 and 7 learner workers equal metaGradient in this thread, bit for bit", async () => {
  const cases = await Promise.all(CONFIGS.map(async (config) => {
    const { params, tasks } = await taskBatches(config.innerSteps);
    return {
      config,
      params,
      tasks,
      expected: metaGradient(gaussianMlp(SPEC), params, tasks, config),
    };
  }));
  for (const workers of [1, 2, 3, 7]) {
    await withLearner(createLearner(workers), async (learner) => {
      for (const { config, params, tasks, expected } of cases) {
        const got = await learner.metaGradient(SPEC, params, tasks, config);
        const what = `${config.algorithm}/${config.hessian}/${config.sgmrlBaseline}, ${workers}`;
        assert.equal(got.objective, expected.objective, `${what}: objective`);
        assert.deepEqual(bits(got.gradient), bits(expected.gradient), `${what}: gradient`);
      }
    });
  }
});

Deno.test("inner steps on 2 and 3 learner workers equal the calling thread's, bit for bit", async () => {
  const { tasks } = await taskBatches(1);
  const starts = tasks.map((_, i) => initPolicyParams(SPEC, 10 + i));
  const batches = tasks.map((t) => t.inner[0]);
  const expected = await localLearner().innerSteps(SPEC, starts, batches, 0.1);
  expected.forEach((p, i) =>
    assert.notDeepEqual(bits(p), bits(starts[i]), `the step moves task ${i}'s parameters`)
  );
  for (const workers of [2, 3]) {
    await withLearner(workerLearner(workers), async (learner) => {
      const got = await learner.innerSteps(SPEC, starts, batches, 0.1);
      assert.equal(got.length, TASKS);
      got.forEach((p, i) => assert.deepEqual(bits(p), bits(expected[i]), `task ${i}, ${workers}`));
    });
  }
});

Deno.test("an error inside a learner worker arrives with its type and message; a closed learner refuses work", async () => {
  const { params, tasks } = await taskBatches(1);
  const wrong: PolicySpec = { ...SPEC, hidden: [4] };
  await withLearner(workerLearner(2), async (learner) => {
    await assert.rejects(
      () => learner.metaGradient(wrong, params, tasks, CONFIGS[1]),
      (e: Error) => e instanceof RangeError && /params must hold 5 arrays/.test(e.message),
    );
    await assert.rejects(
      () => learner.metaGradient(SPEC, params, tasks, { ...CONFIGS[1], innerSteps: 2 }),
      /each task needs innerSteps = 2 inner batches/,
    );
    learner.close();
    await assert.rejects(() => learner.innerSteps(SPEC, [params], [tasks[0].outer], 0.1), /closed/);
  });
});
