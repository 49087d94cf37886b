// The meta-gradient estimators against finite differences of the objectives they differentiate.
//
// For a linear Gaussian policy (no hidden layer) the inner step has a closed form, so the post-update
// objective F(θ) = L(θ^ζ(θ); D_o) (plus SG-MRL's and E-MAML's terms) can be evaluated in float64 and
// differentiated by central differences with an error far below float32's resolution. The package's
// tfjs estimators (float32) must match those derivatives; the first-order variants must not.
// The explicit derivatives that the native learner runs in place of the tape
// (src/estimators/explicit_meta_gradient.ts) must match them too, and the tape on MLPs.
import assert from "node:assert/strict";
import { tf, useBackend } from "../src/kernels/backend.ts";
import { type LearnerBatch, learnerBatch } from "../src/estimators/batch.ts";
import {
  ALGORITHMS,
  combineTaskGradients,
  type EstimatorConfig,
  innerStep,
  innerStepAsync,
  leaveOneOutBaselines,
  metaGradient,
  metaGradientAsync,
  metaGradientBaselines,
  type TaskBatches,
  taskGradients,
} from "../src/estimators/meta_gradient.ts";
import {
  explicitInnerSteps,
  explicitTaskGradients,
  InnerStepCache,
} from "../src/estimators/explicit_meta_gradient.ts";
import { gaussianMlp, type PolicyParams, type PolicySpec } from "../src/estimators/policy.ts";
import { referenceAdvantageConfig } from "../src/estimators/returns.ts";
import { stream } from "../src/core/rng.ts";
import { FFI_ALLOWED } from "./helpers.ts";
import { WEBGPU_AVAILABLE } from "./gpu.ts";

await useBackend("wasm");

/** The estimator as most tests here take it: α = 0.3 and SG-MRL's leave-one-out baseline. */
const estimator = (
  algorithm: EstimatorConfig["algorithm"],
  hessian: EstimatorConfig["hessian"],
  innerSteps: number,
): EstimatorConfig => ({
  algorithm,
  hessian,
  innerSteps,
  innerLr: 0.3,
  sgmrlBaseline: "leave-one-out",
});

/**
 * The finite-difference tests run on the default backend and, where FFI is allowed
 * (`deno task test:native`), on the native one, and where a WebGPU adapter may be used
 * (`deno task test:webgpu`), on webgpu; elsewhere those runs are reported ignored.
 */
const LEARNER_BACKENDS = [
  { backend: "wasm", prefix: "", ignore: false },
  { backend: "native", prefix: "native: ", ignore: !FFI_ALLOWED },
  { backend: "webgpu", prefix: "webgpu: ", ignore: !WEBGPU_AVAILABLE },
] as const;

/** The backends the explicit derivatives run on (webgpu takes the batched graph instead). */
const EXPLICIT_BACKENDS = LEARNER_BACKENDS.filter((b) => b.backend !== "webgpu");

const LINEAR: PolicySpec = { obsDim: 2, actDim: 2, hidden: [], activation: "tanh", initStd: 1 };

function makeBatch(n: number, key: number, spec: PolicySpec): LearnerBatch {
  const rng = stream({ seed: 99, purpose: "test", task: key });
  const observations = Float32Array.from({ length: n * spec.obsDim }, () => rng.uniformIn(-1, 1));
  const actions = Float32Array.from({ length: n * spec.actDim }, () => rng.uniformIn(-1.5, 1.5));
  const weights = Float32Array.from({ length: n }, () => rng.uniformIn(-0.5, 0.5));
  return {
    observations,
    actions,
    weights,
    sampleCount: n,
    trajectoryCount: 2,
    returnEstimate: rng.uniformIn(-2, 0),
    meanUndiscountedReturn: 0,
    scale: 0.7,
    rewards: new Float64Array(n),
    meanAdvantage: rng.uniformIn(-1, 1),
  };
}

function randomParams(spec: PolicySpec, key: number): PolicyParams {
  const rng = stream({ seed: 7, purpose: "test", task: key });
  const sizes = [spec.obsDim, ...spec.hidden, spec.actDim];
  const params: PolicyParams = [];
  for (let k = 0; k + 1 < sizes.length; k++) {
    params.push(Float32Array.from({ length: sizes[k] * sizes[k + 1] }, () => rng.uniformIn(-1, 1)));
    params.push(Float32Array.from({ length: sizes[k + 1] }, () => rng.uniformIn(-0.3, 0.3)));
  }
  params.push(Float32Array.from({ length: spec.actDim }, () => rng.uniformIn(-0.3, 0.3)));
  return params;
}

// ---- float64 reference for the linear Gaussian policy: θ = [W (2×2), b (2), logStd (2)] ----

type Flat = Float64Array;
const flatten = (p: PolicyParams): Flat => Float64Array.from(p.flatMap((a) => Array.from(a)));

/** Σₙ cₙ log π(aₙ|sₙ; θ) and its gradient, for a linear policy, in float64. */
function weightedLogProb(theta: Flat, b: LearnerBatch, coef: ArrayLike<number>) {
  const W = theta.subarray(0, 4), bias = theta.subarray(4, 6), ls = theta.subarray(6, 8);
  const grad = new Float64Array(8);
  let value = 0;
  for (let n = 0; n < b.sampleCount; n++) {
    const s0 = b.observations[2 * n], s1 = b.observations[2 * n + 1];
    for (let j = 0; j < 2; j++) {
      const mu = s0 * W[j] + s1 * W[2 + j] + bias[j];
      const sig = Math.exp(ls[j]);
      const z = (b.actions[2 * n + j] - mu) / sig;
      value += coef[n] * (-0.5 * z * z - ls[j] - 0.5 * Math.log(2 * Math.PI));
      const dmu = coef[n] * z / sig;
      grad[j] += dmu * s0;
      grad[2 + j] += dmu * s1;
      grad[4 + j] += dmu;
      grad[6 + j] += coef[n] * (z * z - 1);
    }
  }
  return { value, grad };
}

const step = (theta: Flat, b: LearnerBatch, alpha: number): Flat => {
  const g = weightedLogProb(theta, b, b.weights).grad;
  return theta.map((v, i) => v + alpha * g[i]);
};

/** The per-task meta-objective O(θ) (second order: through the exact inner steps). */
function objective64(theta: Flat, task: TaskBatches, cfg: EstimatorConfig, baseline: number) {
  let current = theta;
  let total = 0;
  for (let t = 0; t < cfg.innerSteps; t++) {
    const b = task.inner[t];
    if (cfg.algorithm === "sgmrl") {
      const ones = new Float64Array(b.sampleCount).fill(1);
      const factor = task.outer.scale * (task.outer.returnEstimate - baseline);
      total += factor * weightedLogProb(current, b, ones).value;
    }
    if (cfg.algorithm === "emaml" && t === 0) {
      const m = new Float64Array(b.sampleCount).fill(task.explorationWeight / b.sampleCount);
      total += weightedLogProb(theta, b, m).value;
    }
    if (cfg.algorithm === "sgmrl-published" && t === 0) {
      // The published term: stop_gradient(mean outer advantage) × Σ log π over D_1 only.
      const m = new Float64Array(b.sampleCount).fill(task.outer.meanAdvantage);
      total += weightedLogProb(theta, b, m).value;
    }
    current = step(current, b, cfg.innerLr);
  }
  return total + weightedLogProb(current, task.outer, task.outer.weights).value;
}

function fdGradient(f: (t: Flat) => number, theta: Flat, eps = 1e-6): Flat {
  return theta.map((_, i) => {
    const p = theta.slice(), m = theta.slice();
    p[i] += eps;
    m[i] -= eps;
    return (f(p) - f(m)) / (2 * eps);
  });
}

/** Tasks with their realised inner steps (read back asynchronously, as every backend can). */
async function makeTasks(
  spec: PolicySpec,
  theta: PolicyParams,
  cfg: EstimatorConfig,
  n = 2,
): Promise<TaskBatches[]> {
  const tasks: TaskBatches[] = [];
  for (let i = 0; i < n; i++) {
    const inner = Array.from({ length: cfg.innerSteps }, (_, t) => makeBatch(5, 10 * i + t, spec));
    const adapted: PolicyParams[] = [];
    let current = theta;
    for (const b of inner) {
      current = await innerStepAsync(gaussianMlp(spec), current, b, cfg.innerLr);
      adapted.push(current);
    }
    tasks.push({
      inner,
      outer: makeBatch(6, 10 * i + 9, spec),
      adapted,
      explorationWeight: 0.4 - 0.5 * i,
    });
  }
  return tasks;
}

function relErr(a: Flat, b: Flat): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) (num += (a[i] - b[i]) ** 2, den += b[i] ** 2);
  return Math.sqrt(num / den);
}

for (const { backend, prefix, ignore } of LEARNER_BACKENDS) {
  for (const algorithm of ["sgmrl", "maml", "emaml", "sgmrl-published"] as const) {
    for (const innerSteps of [1, 2]) {
      Deno.test({
        name:
          `${prefix}${algorithm}, ζ = ${innerSteps}: second order (the tape; explicit derivatives too) equals the finite-difference gradient of the meta-objective`,
        ignore,
      }, async () => {
        await useBackend(backend);
        const theta = randomParams(LINEAR, 1);
        const cfg = estimator(algorithm, "autodiff", innerSteps);
        const tasks = await makeTasks(LINEAR, theta, cfg);
        const b = leaveOneOutBaselines(tasks.map((t) => t.outer.returnEstimate));
        const f = (t: Flat) =>
          tasks.reduce((s, task, i) => s + objective64(t, task, cfg, b[i]), 0) / tasks.length;
        const expected = fdGradient(f, flatten(theta));
        const so = flatten(
          (await metaGradientAsync(gaussianMlp(LINEAR), theta, tasks, cfg)).gradient,
        );
        assert.ok(relErr(so, expected) < 2e-5, `relative error ${relErr(so, expected)}`);
        // The explicit derivatives, which the native learner runs in place of the tape.
        if (backend !== "webgpu") {
          const explicit = await explicitTaskGradients(LINEAR, theta, tasks, b, cfg);
          const ex = flatten(combineTaskGradients(explicit).gradient);
          assert.ok(
            relErr(ex, expected) < 2e-5,
            `explicit: relative error ${relErr(ex, expected)}`,
          );
        }
        // Dropping the inner Jacobians (first order) must be visibly different here.
        const fo = flatten(
          (await metaGradientAsync(gaussianMlp(LINEAR), theta, tasks, { ...cfg, hessian: "none" }))
            .gradient,
        );
        assert.ok(relErr(fo, expected) > 1e-2, `first order too close: ${relErr(fo, expected)}`);
      });
    }
  }

  Deno.test({
    name:
      `${prefix}first order equals the finite-difference gradient with every inner Jacobian the identity`,
    ignore,
  }, async () => {
    await useBackend(backend);
    const theta = randomParams(LINEAR, 2);
    const cfg: EstimatorConfig = {
      algorithm: "sgmrl",
      hessian: "none",
      innerSteps: 2,
      innerLr: 0.3,
      sgmrlBaseline: "none",
    };
    const tasks = await makeTasks(LINEAR, theta, cfg, 1);
    const task = tasks[0];
    const t0 = flatten(theta);
    const offsets = task.adapted.map((a) => flatten(a).map((v, i) => v - t0[i]));
    // O_fo(θ) = L(θ + Δ_ζ; D_o) + c·J̃·Σ_t Σ_n log π(θ + Δ_{t−1}), Δ constant, Δ_0 = 0.
    const f = (t: Flat) => {
      const at = (k: number) => k === 0 ? t : t.map((v, i) => v + offsets[k - 1][i]);
      let total = weightedLogProb(at(2), task.outer, task.outer.weights).value;
      for (let k = 0; k < 2; k++) {
        const ones = new Float64Array(task.inner[k].sampleCount).fill(1);
        total += task.outer.scale * task.outer.returnEstimate *
          weightedLogProb(at(k), task.inner[k], ones).value;
      }
      return total;
    };
    const fo = flatten((await metaGradientAsync(gaussianMlp(LINEAR), theta, tasks, cfg)).gradient);
    const expected = fdGradient(f, t0);
    assert.ok(relErr(fo, expected) < 2e-5, `relative error ${relErr(fo, expected)}`);
  });

  for (const activation of ["tanh", "relu"] as const) {
    Deno.test({
      name:
        `${prefix}second order through a ${activation} MLP agrees with float32 central differences`,
      ignore,
    }, async () => {
      await useBackend(backend);
      const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [4], activation, initStd: 1 };
      const theta = randomParams(spec, 3);
      const cfg: EstimatorConfig = {
        algorithm: "maml",
        hessian: "autodiff",
        innerSteps: 1,
        innerLr: 1.0,
        sgmrlBaseline: "none",
      };
      const tasks = await makeTasks(spec, theta, cfg, 1);
      const g = flatten((await metaGradientAsync(gaussianMlp(spec), theta, tasks, cfg)).gradient);
      const fo = flatten(
        (await metaGradientAsync(gaussianMlp(spec), theta, tasks, { ...cfg, hessian: "none" }))
          .gradient,
      );
      // Directional derivatives along three random directions, by central differences of the
      // objective value that metaGradient reports (float32; ε = 1e-2).
      const rng = stream({ seed: 5, purpose: "test" });
      for (let k = 0; k < 3; k++) {
        const d = theta.map((p) => Float32Array.from(p, () => rng.uniformIn(-1, 1)));
        const shifted = (e: number) => theta.map((p, i) => p.map((v, j) => v + e * d[i][j]));
        const value = async (p: PolicyParams) =>
          (await metaGradientAsync(gaussianMlp(spec), p, tasks, cfg)).objective;
        const eps = 1e-2;
        const fd = (await value(shifted(eps)) - await value(shifted(-eps))) / (2 * eps);
        const dir = flatten(d);
        const ad = g.reduce((s, v, i) => s + v * dir[i], 0);
        const adFo = fo.reduce((s, v, i) => s + v * dir[i], 0);
        const tol = 2e-3 * Math.max(1, Math.abs(fd));
        assert.ok(Math.abs(ad - fd) < tol, `direction ${k}: autodiff ${ad}, differences ${fd}`);
        assert.ok(Math.abs(adFo - fd) > 10 * tol, `direction ${k}: first order ${adFo} too close`);
      }
    });
  }
}

// The explicit inner step (what the native learner runs) against the float64 finite differences.
for (const { backend, prefix, ignore } of EXPLICIT_BACKENDS) {
  Deno.test({
    name:
      `${prefix}explicit inner step equals θ + α times the finite-difference gradient of the surrogate`,
    ignore,
  }, async () => {
    await useBackend(backend);
    const theta = randomParams(LINEAR, 4);
    const batch = makeBatch(7, 3, LINEAR);
    const [next] = await explicitInnerSteps(LINEAR, [{ params: theta, batch }], 0.25);
    const t0 = flatten(theta);
    const grad = fdGradient((t) => weightedLogProb(t, batch, batch.weights).value, t0);
    const step = flatten(next).map((v, i) => v - t0[i]);
    const expected = grad.map((g) => 0.25 * g);
    assert.ok(relErr(step, expected) < 1e-5, `relative error ${relErr(step, expected)}`);
  });
}

// The explicit derivatives on the default backend (standard ops) and on native (its fused kernels
// and OpenBLAS) where FFI is allowed.
for (const { backend, prefix, ignore } of EXPLICIT_BACKENDS) {
  for (const activation of ["relu", "tanh"] as const) {
    const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [5, 4], activation, initStd: 1 };
    Deno.test(
      `${prefix}explicit inner steps equal the tape's: ${activation} MLP`,
      { ignore },
      async () => {
        await useBackend(backend);
        const params = randomParams(spec, 5);
        const batches = [makeBatch(9, 1, spec), makeBatch(4, 2, spec)];
        const explicit = await explicitInnerSteps(
          spec,
          batches.map((batch) => ({ params, batch })),
          0.3,
        );
        for (const [i, batch] of batches.entries()) {
          const tape = flatten(innerStep(gaussianMlp(spec), params, batch, 0.3));
          const t0 = flatten(params);
          const [x, y] = [
            flatten(explicit[i]).map((v, j) => v - t0[j]),
            tape.map((v, j) => v - t0[j]),
          ];
          assert.ok(relErr(x, y) < 1e-5, `batch ${i}: relative error ${relErr(x, y)}`);
        }
        await useBackend("wasm");
      },
    );
    for (const algorithm of ALGORITHMS) {
      for (const hessian of ["autodiff", "none"] as const) {
        for (const innerSteps of [1, 2]) {
          Deno.test(
            `${prefix}explicit derivatives equal the tape's: ${activation} MLP, ${algorithm}, hessian ${hessian}, ζ = ${innerSteps}`,
            { ignore },
            async () => {
              await useBackend(backend);
              const theta = randomParams(spec, 4);
              const cfg = estimator(algorithm, hessian, innerSteps);
              const tasks = await makeTasks(spec, theta, cfg, 3);
              const b = metaGradientBaselines(tasks, cfg);
              const tape = taskGradients(gaussianMlp(spec), theta, tasks, b, cfg);
              const explicit = await explicitTaskGradients(spec, theta, tasks, b, cfg);
              for (const [i, t] of tape.entries()) {
                const e = explicit[i];
                // The objective is a difference of terms several times its size: float32 rounding.
                assert.ok(
                  Math.abs(e.value - t.value) <= 1e-4 * Math.max(1, Math.abs(t.value)),
                  `task ${i}: objective ${e.value} against ${t.value}`,
                );
                const [x, y] = [flatten(e.grads), flatten(t.grads)];
                assert.ok(relErr(x, y) < 1e-5, `task ${i}: relative error ${relErr(x, y)}`);
              }
              await useBackend("wasm");
            },
          );
        }
      }
    }
  }
}

// The inner-step cache of the native learner: a meta-gradient that finds the adaptation steps'
// passes at each θᵗ must give the bytes it gives without them, and must find only its own.
const bitsOf = (p: PolicyParams) => p.map((a) => Array.from(new Uint32Array(a.buffer)).join());
for (const { backend, prefix, ignore } of EXPLICIT_BACKENDS) {
  for (const activation of ["relu", "tanh"] as const) {
    const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [5, 4], activation, initStd: 1 };
    for (const hessian of ["autodiff", "none"] as const) {
      for (const innerSteps of [1, 2]) {
        Deno.test(
          `${prefix}inner-step cache: every algorithm's meta-gradient has the same bytes with it, ${activation} MLP, hessian ${hessian}, ζ = ${innerSteps}`,
          { ignore },
          async () => {
            await useBackend(backend);
            const theta = randomParams(spec, 6);
            for (const algorithm of ALGORITHMS) {
              const cfg = estimator(algorithm, hessian, innerSteps);
              const tensorsBefore = tf.memory().numTensors;
              const cache = new InnerStepCache(2 ** 24);
              // As the trainer adapts: every task's step t from its θᵗ, through the cache.
              const inner = [0, 1, 2].map((i) =>
                Array.from({ length: innerSteps }, (_, t) => makeBatch(7, 10 * i + t, spec))
              );
              const adapted: PolicyParams[][] = inner.map(() => []);
              let current = inner.map(() => theta);
              for (let t = 0; t < innerSteps; t++) {
                current = await explicitInnerSteps(
                  spec,
                  current.map((params, i) => ({ params, batch: inner[i][t] })),
                  cfg.innerLr,
                  cache,
                );
                current.forEach((p, i) => adapted[i].push(p));
              }
              assert.equal(cache.size, 3 * innerSteps);
              const tasks: TaskBatches[] = inner.map((b, i) => ({
                inner: b,
                outer: makeBatch(6, 10 * i + 9, spec),
                adapted: adapted[i],
                explorationWeight: 0.4 - 0.5 * i,
              }));
              const b = metaGradientBaselines(tasks, cfg);
              const reused = await explicitTaskGradients(spec, theta, tasks, b, cfg, cache);
              if (hessian === "autodiff") {
                // Every step's record was found (at θ by its arrays, later by θᵗ read back) and used.
                assert.equal(cache.hits, 3 * innerSteps, algorithm);
                assert.equal(cache.size, 0);
              } else {
                // First order needs a step's forward pass only for a score term: at θ for every
                // algorithm but maml, and (sgmrl) at θ + (θᵗ − θ), found only if that is θᵗ exactly.
                const atTheta = algorithm === "maml" ? 0 : 3;
                assert.ok(cache.hits >= atTheta && cache.hits <= 3 * innerSteps, `${cache.hits}`);
              }
              const fresh = await explicitTaskGradients(spec, theta, tasks, b, cfg);
              for (const [i, f] of fresh.entries()) {
                assert.ok(Object.is(reused[i].value, f.value), `${algorithm} task ${i}: objective`);
                assert.deepEqual(
                  bitsOf(reused[i].grads),
                  bitsOf(f.grads),
                  `${algorithm} task ${i}`,
                );
              }
              cache.clear();
              assert.equal(tf.memory().numTensors, tensorsBefore, `${algorithm}: no tensor left`);
            }
            await useBackend("wasm");
          },
        );
      }
    }
  }
}

Deno.test("inner-step cache: a record is found only for the same θ and batch, bit for bit, within its budget, oldest dropped first", async () => {
  await useBackend("wasm");
  const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [5], activation: "relu", initStd: 1 };
  const theta = randomParams(spec, 8);
  const batch = makeBatch(6, 1, spec), other = makeBatch(6, 2, spec);
  const cache = new InnerStepCache(2 ** 20);
  const mine = theta.map((a) => a.slice());
  await explicitInnerSteps(spec, [{ params: mine, batch }], 0.3, cache);
  // The record keeps copies: changing the caller's arrays afterwards does not change it.
  mine[0][0] += 1;
  assert.equal(cache.take(spec, mine, batch), undefined);
  const nudged = theta.map((a) => a.slice());
  nudged[2][1] = nudged[2][1] * (1 + 2 ** -23); // one ulp
  assert.equal(cache.take(spec, nudged, batch), undefined);
  const weights = { ...batch, weights: batch.weights.map((w, i) => (i === 3 ? -w : w)) };
  assert.equal(cache.take(spec, theta, weights), undefined);
  assert.equal(cache.take({ ...spec, activation: "tanh" }, theta, batch), undefined);
  assert.equal(cache.hits, 0);
  const found = cache.take(spec, theta, batch);
  assert.ok(found !== undefined);
  assert.deepEqual([cache.hits, cache.size, cache.bytes], [1, 0, 0]);
  cache.release(found);
  // A budget of one record: the second step's record replaces the first.
  await explicitInnerSteps(spec, [{ params: theta, batch }], 0.3, cache);
  const one = cache.bytes;
  const small = new InnerStepCache(one);
  await explicitInnerSteps(
    spec,
    [{ params: theta, batch }, { params: theta, batch: other }],
    0.3,
    small,
  );
  assert.equal(small.size, 1);
  assert.equal(small.take(spec, theta, batch), undefined);
  const second = small.take(spec, theta, other);
  assert.ok(second !== undefined);
  small.release(second);
  // Nothing fits in a budget of 0.
  const none = new InnerStepCache(0);
  await explicitInnerSteps(spec, [{ params: theta, batch }], 0.3, none);
  assert.equal(none.size, 0);
  cache.clear();
  assert.throws(() => new InnerStepCache(-1), /budgetBytes must be a finite number ≥ 0/);
});

Deno.test("leave-one-out baselines", () => {
  assert.deepEqual(leaveOneOutBaselines([1, 2, 6]), [4, 3.5, 1.5]);
  assert.deepEqual(leaveOneOutBaselines([5]), [0]);
});

Deno.test("the inner step equals θ + α times the finite-difference gradient of the surrogate", async () => {
  await useBackend("wasm");
  const theta = randomParams(LINEAR, 4);
  const batch = makeBatch(7, 3, LINEAR);
  const alpha = 0.25;
  const next = flatten(innerStep(gaussianMlp(LINEAR), theta, batch, alpha));
  const t0 = flatten(theta);
  const grad = fdGradient((t) => weightedLogProb(t, batch, batch.weights).value, t0);
  const expected = t0.map((v, i) => v + alpha * grad[i]);
  const step = next.map((v, i) => v - t0[i]);
  const expectedStep = expected.map((v, i) => v - t0[i]);
  assert.ok(relErr(step, expectedStep) < 1e-5, `relative error ${relErr(step, expectedStep)}`);
});

Deno.test("metaGradient: the mean of per-task gradients, with one task's tensor memory for any meta-batch", async () => {
  await useBackend("wasm");
  const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [16], activation: "tanh", initStd: 1 };
  const policy = gaussianMlp(spec);
  const params = randomParams(spec, 3);
  const task = (k: number): TaskBatches => ({
    inner: [makeBatch(200, 10 * k, spec), makeBatch(200, 10 * k + 1, spec)],
    outer: makeBatch(200, 10 * k + 2, spec),
    adapted: [params, params],
    explorationWeight: 0,
  });
  const config: EstimatorConfig = {
    algorithm: "sgmrl",
    hessian: "autodiff",
    innerSteps: 2,
    innerLr: 0.002,
    sgmrlBaseline: "none",
  };
  const tasks = Array.from({ length: 8 }, (_, k) => task(k));
  const before = tf.memory().numTensors;
  const peak = async (n: number) =>
    (await tf.profile(() => {
      metaGradient(policy, params, tasks.slice(0, n), config);
    })).peakBytes;
  const [peak1, peak8] = [await peak(1), await peak(8)];
  assert.ok(peak8 <= peak1 * 1.05, `peak tensor bytes: 1 task ${peak1}, 8 tasks ${peak8}`);
  const whole = metaGradient(policy, params, tasks, config);
  assert.equal(tf.memory().numTensors, before, "no tensor outlives the call");
  assert.ok(
    Number.isFinite(whole.objective) && whole.gradient.every((g) => g.every(Number.isFinite)),
  );
  // Each single-task result is that task's float32 gradient; their float64 mean, rounded once,
  // is what the meta-batch gives.
  const singles = tasks.map((t) => metaGradient(policy, params, [t], config));
  whole.gradient.forEach((g, k) => {
    const mean = Float32Array.from(
      g,
      (_, j) => singles.reduce((s, r) => s + r.gradient[k][j], 0) / tasks.length,
    );
    assert.deepEqual(g, mean, `parameter array ${k}`);
  });
  const objective = singles.reduce((s, r) => s + r.objective, 0) / tasks.length;
  assert.ok(
    Math.abs(whole.objective - objective) <= 1e-12 * Math.abs(objective),
    `${whole.objective} vs ${objective}`,
  );
});

Deno.test("sgmrl-published trains MAML: with per-task normalised advantages its term is ~0 (REPRODUCTION F2)", async () => {
  await useBackend("wasm");
  // Batches as training builds them: GAE, linear baseline, advantages normalised per task.
  const rng = stream({ seed: 5, purpose: "test" });
  const path = () => ({
    observations: Float64Array.from({ length: 12 }, () => rng.uniformIn(-0.5, 0.5)),
    actions: Float64Array.from({ length: 12 }, () => rng.uniformIn(-1, 1)),
    rewards: Float64Array.from({ length: 6 }, () => rng.uniformIn(-1, 0)),
    length: 6,
  });
  const surrogate = { advantages: referenceAdvantageConfig(), mean: "samples" as const };
  const batch = () => learnerBatch([path(), path(), path()], 2, 2, surrogate);
  const theta = randomParams(LINEAR, 4);
  const cfg: EstimatorConfig = {
    algorithm: "maml",
    hessian: "autodiff",
    innerSteps: 1,
    innerLr: 0.3,
    sgmrlBaseline: "none",
  };
  const tasks = [0, 1].map((): TaskBatches => {
    const inner = [batch()];
    return {
      inner,
      outer: batch(),
      adapted: [innerStep(gaussianMlp(LINEAR), theta, inner[0], 0.3)],
      explorationWeight: 0,
    };
  });
  for (const t of tasks) {
    assert.ok(Math.abs(t.outer.meanAdvantage) < 1e-12, `${t.outer.meanAdvantage}`);
  }
  const maml = flatten(metaGradient(gaussianMlp(LINEAR), theta, tasks, cfg).gradient);
  const published = flatten(
    metaGradient(gaussianMlp(LINEAR), theta, tasks, { ...cfg, algorithm: "sgmrl-published" })
      .gradient,
  );
  const sgmrl = flatten(
    metaGradient(gaussianMlp(LINEAR), theta, tasks, { ...cfg, algorithm: "sgmrl" }).gradient,
  );
  assert.ok(relErr(published, maml) < 1e-6, `published vs maml ${relErr(published, maml)}`);
  assert.ok(relErr(sgmrl, maml) > 1e-2, `sgmrl vs maml ${relErr(sgmrl, maml)}`);
});
