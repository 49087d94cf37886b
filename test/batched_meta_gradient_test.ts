// The meta-batch as one graph (src/estimators/batched_meta_gradient.ts) against the per-task
// inner step and estimator it must equal: every algorithm, second and first order (and eq. 13's
// Jacobians on the exact analysis's tabular policy), one and two inner steps, tasks whose batches
// differ in length, on wasm and (in deno task test:webgpu) on webgpu.
import assert from "node:assert/strict";
import { tf, useBackend } from "../src/kernels/backend.ts";
import { stream } from "../src/core/rng.ts";
import { type LearnerBatch, learnerBatch } from "../src/estimators/batch.ts";
import {
  innerStepsBatched,
  metaGradientBatched,
  taskGradientTensors,
} from "../src/estimators/batched_meta_gradient.ts";
import { rawAdvantageConfig } from "../src/estimators/returns.ts";
import { EXACT_ESTIMATORS, tabularPath } from "../src/theory/exact.ts";
import {
  type TabularProblem,
  tabularSoftmax,
  type WeightedTrajectory,
} from "../src/theory/tabular.ts";
import {
  type EstimatorConfig,
  innerStep,
  innerStepAsync,
  metaGradientAsync,
  type TaskBatches,
  taskGradients,
} from "../src/estimators/meta_gradient.ts";
import {
  gaussianMlp,
  initPolicyParams,
  type PolicyParams,
  type PolicySpec,
} from "../src/estimators/policy.ts";
import { WEBGPU_AVAILABLE } from "./gpu.ts";

function batch(spec: PolicySpec, n: number, key: number): LearnerBatch {
  const rng = stream({ seed: 21, purpose: "test", task: key });
  return {
    observations: Float32Array.from({ length: n * spec.obsDim }, () => rng.uniformIn(-1, 1)),
    actions: Float32Array.from({ length: n * spec.actDim }, () => rng.uniformIn(-1.5, 1.5)),
    weights: Float32Array.from({ length: n }, () => rng.uniformIn(-0.5, 0.5)),
    sampleCount: n,
    trajectoryCount: 2,
    returnEstimate: rng.uniformIn(-2, 0),
    meanUndiscountedReturn: 0,
    scale: rng.uniformIn(0.5, 1),
    rewards: new Float64Array(n),
    meanAdvantage: rng.uniformIn(-1, 1),
  };
}

/** Three tasks with 7, 4 and 9 samples per batch (so two are padded), their inner steps realised. */
async function tasksFor(
  spec: PolicySpec,
  theta: PolicyParams,
  config: EstimatorConfig,
): Promise<TaskBatches[]> {
  const policy = gaussianMlp(spec);
  const out: TaskBatches[] = [];
  for (const [i, n] of [7, 4, 9].entries()) {
    const inner = Array.from(
      { length: config.innerSteps },
      (_, t) => batch(spec, n + t, 10 * i + t),
    );
    const adapted: PolicyParams[] = [];
    let current = theta;
    for (const b of inner) {
      current = await innerStepAsync(policy, current, b, config.innerLr);
      adapted.push(current);
    }
    out.push({ inner, outer: batch(spec, n + 2, 10 * i + 9), adapted, explorationWeight: 0.3 - i });
  }
  return out;
}

const BACKENDS = [
  { backend: "wasm", prefix: "", ignore: false },
  { backend: "webgpu", prefix: "webgpu: ", ignore: !WEBGPU_AVAILABLE },
] as const;

for (const { backend, prefix, ignore } of BACKENDS) {
  for (const activation of ["tanh", "relu"] as const) {
    Deno.test({
      name:
        `${prefix}metaGradientBatched equals the per-task meta-gradient (${activation} MLP): every algorithm, second and first order, ζ = 1, 2, padded batches`,
      ignore,
    }, async () => {
      await useBackend(backend);
      const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [5], activation, initStd: 1 };
      const theta = initPolicyParams(spec, 4);
      for (const algorithm of ["sgmrl", "maml", "emaml", "sgmrl-published"] as const) {
        for (const hessian of ["autodiff", "none"] as const) {
          for (const innerSteps of [1, 2]) {
            const config: EstimatorConfig = {
              algorithm,
              hessian,
              innerSteps,
              innerLr: 0.4,
              sgmrlBaseline: "leave-one-out",
            };
            const tasks = await tasksFor(spec, theta, config);
            const expected = await metaGradientAsync(gaussianMlp(spec), theta, tasks, config);
            const got = await metaGradientBatched(spec, theta, tasks, config);
            const e = expected.gradient.flatMap((g) => [...g]);
            const g = got.gradient.flatMap((x) => [...x]);
            const norm = Math.sqrt(e.reduce((s, x) => s + x * x, 0));
            const err = Math.sqrt(e.reduce((s, x, i) => s + (x - g[i]) ** 2, 0));
            const label = `${algorithm} ${hessian} ζ = ${innerSteps}`;
            assert.ok(err < 1e-5 * Math.max(1, norm), `${label}: gradient differs by ${err}`);
            assert.ok(
              Math.abs(got.objective - expected.objective) <
                1e-5 * Math.max(1, Math.abs(expected.objective)),
              `${label}: objective ${got.objective} vs ${expected.objective}`,
            );
          }
        }
      }
    });
  }
}

Deno.test("metaGradientBatched refuses the paper's eq. 13 Jacobians (they exist for the exact analysis)", async () => {
  await useBackend("wasm");
  const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [], activation: "tanh", initStd: 1 };
  const theta = initPolicyParams(spec, 1);
  const config: EstimatorConfig = {
    algorithm: "sgmrl",
    hessian: "paper-eq13",
    innerSteps: 1,
    innerLr: 0.1,
    sgmrlBaseline: "none",
  };
  await assert.rejects(
    metaGradientBatched(spec, theta, await tasksFor(spec, theta, config), config),
    /hessian must be autodiff or none/,
  );
});

for (const { backend, prefix, ignore } of BACKENDS) {
  Deno.test({
    name:
      `${prefix}innerStepsBatched equals each task's inner step from its own parameters (tanh and relu MLPs, padded batches)`,
    ignore,
  }, async () => {
    await useBackend(backend);
    for (const activation of ["tanh", "relu"] as const) {
      const spec: PolicySpec = { obsDim: 3, actDim: 2, hidden: [6, 4], activation, initStd: 0.7 };
      const params = [5, 6, 7].map((seed) => initPolicyParams(spec, seed));
      const batches = [7, 4, 9].map((n, i) => batch(spec, n, 40 + i));
      const got = await innerStepsBatched(spec, params, batches, 0.3);
      assert.equal(got.length, 3);
      for (const [i, b] of batches.entries()) {
        const want = (await innerStepAsync(gaussianMlp(spec), params[i], b, 0.3)).flatMap((
          p,
        ) => [...p]);
        const mine = got[i].flatMap((p) => [...p]);
        const before = params[i].flatMap((p) => [...p]);
        const moved = want.reduce((s, x, j) => s + Math.abs(x - before[j]), 0);
        assert.equal(mine.length, want.length);
        const err = Math.max(...want.map((x, j) => Math.abs(x - mine[j])));
        assert.ok(err < 1e-5, `${activation}, task ${i}: differs by ${err}`);
        assert.ok(moved > 1e-2, `${activation}, task ${i}: the step moved the parameters`);
      }
    }
    await assert.rejects(
      innerStepsBatched(
        { obsDim: 3, actDim: 2, hidden: [], activation: "tanh", initStd: 1 },
        [],
        [batch({ obsDim: 3, actDim: 2, hidden: [], activation: "tanh", initStd: 1 }, 2, 1)],
        0.1,
      ),
      /0 parameter sets for 1 batches/,
    );
  });
}

Deno.test("taskGradientTensors: each task's slice is taskGradients' ∇O for that task (tabular softmax, every estimator of the exact analysis including paper-eq13, ζ = 1, 2, trajectories of different lengths)", async () => {
  await useBackend("wasm");
  const problem: TabularProblem = { states: 2, actions: 3, horizon: 2, gamma: 0.9, tasks: [] };
  const policy = tabularSoftmax(problem.states, problem.actions);
  const rng = stream({ seed: 5, purpose: "test" });
  const trajectory = (length: number): WeightedTrajectory => ({
    states: Array.from({ length }, () => Math.floor(rng.uniformIn(0, 2))),
    actions: Array.from({ length }, () => Math.floor(rng.uniformIn(0, 3))),
    rewards: Array.from({ length }, () => rng.uniformIn(-1, 1)),
    probability: 1,
  });
  const surrogate = {
    advantages: rawAdvantageConfig(problem.gamma),
    mean: "trajectories",
  } as const;
  const batchOf = (lengths: number[]) =>
    learnerBatch(lengths.map((n) => tabularPath(problem, trajectory(n))), 2, 1, surrogate);
  const theta: PolicyParams = [Float32Array.from([0.3, -0.2, 0.1, 0.5, 0.1, -0.3])];
  const shared = batchOf([2, 3]);
  for (const innerSteps of [1, 2]) {
    // Three tasks: the first two share their inner batches (as the exact analysis's leaves do).
    const inner = [[shared, batchOf([1, 3])], [shared, batchOf([1, 3])], [
      batchOf([3, 1]),
      batchOf([2, 2]),
    ]].map((b) => b.slice(0, innerSteps));
    const tasks: TaskBatches[] = inner.map((batches, i) => {
      const adapted: PolicyParams[] = [];
      let current = theta;
      for (const b of batches) {
        current = innerStep(policy, current, b, 0.6);
        adapted.push(current);
      }
      return { inner: batches, outer: batchOf([3 - i]), adapted, explorationWeight: 0.4 };
    });
    for (const [name, estimator] of Object.entries(EXACT_ESTIMATORS)) {
      const config: EstimatorConfig = {
        ...estimator,
        innerSteps,
        innerLr: 0.6,
        sgmrlBaseline: "none",
      };
      const baselines = [0, 0, 0];
      const want = taskGradients(policy, theta, tasks, baselines, config);
      const { values, grads } = taskGradientTensors(policy, theta, tasks, baselines, config);
      const got = grads[0].dataSync();
      const objectives = values.dataSync();
      tf.dispose([values, ...grads]);
      for (const [i, w] of want.entries()) {
        const err = Math.max(...w.grads[0].map((x, k) => Math.abs(x - got[i * 6 + k])));
        assert.ok(err < 1e-5, `${name}, ζ = ${innerSteps}, task ${i}: differs by ${err}`);
        assert.ok(
          Math.abs(objectives[i] - w.value) < 1e-5,
          `${name}, task ${i}: O ${objectives[i]} vs ${w.value}`,
        );
      }
    }
  }
  // eq. 13 stacks its constants, so the tasks' inner batches must hold as many trajectories.
  const config: EstimatorConfig = {
    algorithm: "sgmrl",
    hessian: "paper-eq13",
    innerSteps: 1,
    innerLr: 0.6,
    sgmrlBaseline: "none",
  };
  const uneven = [[2, 3], [1]].map((lengths): TaskBatches => ({
    inner: [batchOf(lengths)],
    outer: batchOf([2]),
    adapted: [theta],
    explorationWeight: 0,
  }));
  assert.throws(
    () => taskGradientTensors(policy, theta, uneven, [0, 0], config),
    /inner batch 0 to have the same number of trajectories/,
  );
});

Deno.test("metaGradientBatched and innerStepsBatched: the same results however many tasks share a graph (samplesPerGraph)", async () => {
  await useBackend("wasm");
  const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [5], activation: "tanh", initStd: 1 };
  const theta = initPolicyParams(spec, 4);
  const config: EstimatorConfig = {
    algorithm: "sgmrl",
    hessian: "autodiff",
    innerSteps: 2,
    innerLr: 0.4,
    sgmrlBaseline: "leave-one-out",
  };
  const tasks = await tasksFor(spec, theta, config);
  const flat = (m: { gradient: PolicyParams; objective: number }) => [
    m.objective,
    ...m.gradient.flatMap((g) => [...g]),
  ];
  const whole = flat(await metaGradientBatched(spec, theta, tasks, config));
  // Batches of 7–11 samples: 1 puts every task in a graph of its own, 22 two tasks then one.
  for (const samplesPerGraph of [1, 22]) {
    const split = flat(await metaGradientBatched(spec, theta, tasks, config, { samplesPerGraph }));
    const err = Math.max(...whole.map((x, i) => Math.abs(x - split[i])));
    assert.ok(err < 1e-6, `${samplesPerGraph} samples per graph: differs by ${err}`);
  }
  const batches = tasks.map((t) => t.outer);
  const params = tasks.map((t) => t.adapted[0]);
  const one = await innerStepsBatched(spec, params, batches, 0.3);
  const each = await innerStepsBatched(spec, params, batches, 0.3, { samplesPerGraph: 1 });
  assert.equal(each.length, 3);
  const err = Math.max(
    ...one.flatMap((p, i) =>
      p.flatMap((a, k) => [...a].map((x, j) => Math.abs(x - each[i][k][j])))
    ),
  );
  assert.ok(err < 1e-6, `inner steps differ by ${err}`);
  await assert.rejects(
    metaGradientBatched(spec, theta, tasks, config, { samplesPerGraph: 0 }),
    /samplesPerGraph must be at least 1, got 0/,
  );
});
