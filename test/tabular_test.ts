// Tabular problems: exact enumeration in float64, and the softmax policy's log-density.
import assert from "node:assert/strict";
import { tf, useBackend } from "../src/kernels/backend.ts";
import {
  EXACT_ESTIMATORS,
  exactExpectation,
  exactMoments,
  exactMomentsOfAll,
  tabularPath,
} from "../src/theory/exact.ts";
import { learnerBatch } from "../src/estimators/batch.ts";
import { innerStep, metaGradient } from "../src/estimators/meta_gradient.ts";
import type { PolicyParams } from "../src/estimators/policy.ts";
import { rawAdvantageConfig } from "../src/estimators/returns.ts";
import { allJobs, samplePaths } from "../src/estimators/sampler.ts";
import {
  enumerateTrajectories,
  exactMetaGradient,
  exactReturn,
  forEachBatch,
  policyGradient64,
  softmaxRows,
  tabularFamily,
  type TabularProblem,
  tabularSampling,
  tabularSoftmax,
  type WeightedTrajectory,
} from "../src/theory/tabular.ts";

await useBackend("wasm");

/** The worked example of the estimator-bias analysis: 2 states, 2 actions, H = 1, γ = 0.9. */
const WORKED_EXAMPLE: TabularProblem = {
  states: 2,
  actions: 2,
  horizon: 1,
  gamma: 0.9,
  tasks: [{
    weight: 1,
    mu: [0.6, 0.4],
    P: [[[0.2, 0.8], [0.7, 0.3]], [[0.5, 0.5], [0.1, 0.9]]],
    r: [[0.3, 0.9], [0.6, 0.1]],
  }],
};
const WORKED_THETA = [0.3, -0.2, 0.5, 0.1];

Deno.test("trajectory enumeration: 16 paths whose probabilities sum to 1; J by hand for uniform π", () => {
  const task = WORKED_EXAMPLE.tasks[0];
  const all = enumerateTrajectories(WORKED_EXAMPLE, task, [0, 0, 0, 0]);
  assert.equal(all.length, 16);
  assert.ok(Math.abs(all.reduce((s, t) => s + t.probability, 0) - 1) < 1e-15);
  // Uniform π: E r(s0,·) = μ·[0.6, 0.35] = 0.36 + 0.14 = 0.5; the state distribution after one
  // step is μ P̄ with P̄[s] = mean over a of P[s][a]: [0.45, 0.55]·0.6 + [0.3, 0.7]·0.4 = [0.39, 0.61];
  // E r(s1,·) = 0.39·0.6 + 0.61·0.35 = 0.4475. J = 0.5 + 0.9·0.4475 = 0.90275.
  assert.ok(Math.abs(exactReturn(WORKED_EXAMPLE, task, [0, 0, 0, 0]) - 0.90275) < 1e-12);
});

Deno.test("∇V_1 and ∇V_2 of the worked example by exact enumeration", () => {
  const g1 = exactMetaGradient(WORKED_EXAMPLE, WORKED_THETA, 0.5, 1, 1);
  const g2 = exactMetaGradient(WORKED_EXAMPLE, WORKED_THETA, 0.5, 2, 1);
  const close = (g: Float64Array, e: number[]) => e.every((v, i) => Math.abs(g[i] - v) < 6e-6);
  assert.ok(close(g1, [-0.14657, 0.14657, 0.11187, -0.11187]), `∇V_1 = ${Array.from(g1)}`);
  assert.ok(close(g2, [-0.15070, 0.15070, 0.10318, -0.10318]), `∇V_2 = ${Array.from(g2)}`);
});

Deno.test("tabular softmax log π equals θ[s,a] − log Σ_b exp θ[s,b]", () => {
  const theta = [0.3, -0.2, 0.5, 0.1];
  const policy = tabularSoftmax(2, 2);
  const lp = tf.tidy(() =>
    policy.logProb(
      [tf.tensor2d(theta, [2, 2])],
      tf.tensor2d([1, 0, 0, 1, 0, 1], [3, 2]),
      tf.tensor2d([1, 0, 1], [3, 1]),
    ).arraySync() as number[]
  );
  const pi = softmaxRows(theta, 2, 2);
  const expected = [Math.log(pi[0][1]), Math.log(pi[1][0]), Math.log(pi[1][1])];
  lp.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${v} vs ${expected[i]}`));
});

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const dist = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  norm(Array.from(a, (x, i) => x - b[i]));

for (
  const [innerSteps, expected] of [
    [1, {
      "sgmrl-fo": 0.0398,
      "maml": 0.0491,
      "maml-fo": 0.0129,
      "sgmrl-eq13": 0.0461,
      "sgmrl-published": 0.0137,
    }],
    [2, {
      "sgmrl-fo": 0.0778,
      "maml": 0.0872,
      "maml-fo": 0.0235,
      "sgmrl-eq13": 0.0878,
      "sgmrl-published": 0.0523,
    }],
  ] as const
) {
  Deno.test(`worked example, ζ = ${innerSteps}: sgmrl is unbiased, the others are biased as tabulated`, () => {
    const settings = { alpha: 0.5, innerSteps, batchIn: 1, batchOut: 1 };
    const gradV = exactMetaGradient(WORKED_EXAMPLE, WORKED_THETA, 0.5, innerSteps, 1);
    const all = exactMomentsOfAll(WORKED_EXAMPLE, WORKED_THETA, settings, [
      "sgmrl",
      ...Object.keys(expected),
    ]);
    const sg = all.sgmrl.mean;
    // float32 estimator arithmetic: bias of order 1e-7 relative to the estimates.
    assert.ok(dist(sg, gradV) < 1e-5 * norm(gradV), `sgmrl bias ${dist(sg, gradV)}`);
    for (const [name, bias] of Object.entries(expected)) {
      const e = all[name].mean;
      // One estimator alone (exactExpectation) gives the same numbers as the shared enumeration.
      if (innerSteps === 1) {
        assert.deepEqual(exactExpectation(WORKED_EXAMPLE, WORKED_THETA, settings, name), e);
      }
      const b = dist(e, gradV);
      assert.ok(Math.abs(b - bias) < 1e-4, `${name}: bias ${b}, tabulated ${bias}`);
    }
  });
}

for (const innerSteps of [1, 2]) {
  Deno.test(`worked example, ζ = ${innerSteps}: sgmrl-published is MAML plus E[Ā_o · s(D_1; θ)], computed independently`, () => {
    const alpha = 0.5, gamma = WORKED_EXAMPLE.gamma, task = WORKED_EXAMPLE.tasks[0];
    const pi = softmaxRows(WORKED_THETA, 2, 2);
    // s(τ; θ) = Σ_h (e_{a_h} − π(·|s_h)) on row s_h, and Ā = the mean of R^h = Σ_{t≥h} γ^t r_t.
    const score = (states: readonly number[], actions: readonly number[]) => {
      const g = new Float64Array(4);
      states.forEach((st, h) => {
        for (let a = 0; a < 2; a++) g[st * 2 + a] += (a === actions[h] ? 1 : 0) - pi[st][a];
      });
      return g;
    };
    const meanRewardToGo = (rewards: readonly number[]) => {
      let acc = 0, total = 0;
      for (let h = rewards.length - 1; h >= 0; h--) {
        acc += Math.pow(gamma, h) * rewards[h];
        total += acc;
      }
      return total / rewards.length;
    };
    // E over D_1 … D_ζ, D_o (one trajectory each) of Ā_o · s(D_1; θ), all in float64.
    const term = new Float64Array(4);
    const walk = (theta: number[], t: number, p: number, s1: Float64Array | null) => {
      for (const tau of enumerateTrajectories(WORKED_EXAMPLE, task, theta)) {
        const q = p * tau.probability;
        if (t === innerSteps) {
          const c = q * meanRewardToGo(tau.rewards);
          s1!.forEach((v, k) => term[k] += c * v);
          continue;
        }
        const g = policyGradient64(WORKED_EXAMPLE, theta, [tau]);
        walk(theta.map((v, k) => v + alpha * g[k]), t + 1, q, s1 ?? score(tau.states, tau.actions));
      }
    };
    walk([...WORKED_THETA], 0, 1, null);
    const settings = { alpha, innerSteps, batchIn: 1, batchOut: 1 };
    const both = exactMomentsOfAll(WORKED_EXAMPLE, WORKED_THETA, settings, [
      "sgmrl-published",
      "maml",
    ]);
    const published = both["sgmrl-published"].mean, maml = both.maml.mean;
    const difference = published.map((v, k) => v - maml[k]);
    assert.ok(norm(term) > 0.01, `the term matters in raw mode: ${norm(term)}`);
    assert.ok(dist(difference, term) < 1e-6, `${[...difference]} vs ${[...term]}`);
  });
}

Deno.test("worked example: maml-fo's exact second moment equals an independent float64 enumeration", () => {
  // maml-fo with |D_1| = |D_o| = 1 is ĝ(θ¹, τ_o) with θ¹ = θ + α ĝ(θ, τ_1): E‖g‖² over τ_1, τ_o.
  const alpha = 0.5, task = WORKED_EXAMPLE.tasks[0];
  let second = 0;
  const mean = new Float64Array(4);
  for (const t1 of enumerateTrajectories(WORKED_EXAMPLE, task, WORKED_THETA)) {
    const g1 = policyGradient64(WORKED_EXAMPLE, WORKED_THETA, [t1]);
    const theta1 = WORKED_THETA.map((v, k) => v + alpha * g1[k]);
    for (const to of enumerateTrajectories(WORKED_EXAMPLE, task, theta1)) {
      const g = policyGradient64(WORKED_EXAMPLE, theta1, [to]);
      const p = t1.probability * to.probability;
      second += p * g.reduce((s, x) => s + x * x, 0);
      g.forEach((x, k) => mean[k] += p * x);
    }
  }
  const settings = { alpha, innerSteps: 1, batchIn: 1, batchOut: 1 };
  const m = exactMoments(WORKED_EXAMPLE, WORKED_THETA, settings, "maml-fo");
  assert.ok(
    Math.abs(m.meanSquaredNorm - second) < 1e-6 * second,
    `${m.meanSquaredNorm} vs ${second}`,
  );
  assert.ok(dist(m.mean, mean) < 1e-6, `${[...m.mean]} vs ${[...mean]}`);
  // Two outer trajectories halve the part of the variance that comes from D_o alone.
  const two = exactMoments(WORKED_EXAMPLE, WORKED_THETA, { ...settings, batchOut: 2 }, "maml-fo");
  const variance = (x: { mean: Float64Array; meanSquaredNorm: number }) =>
    x.meanSquaredNorm - norm(x.mean) ** 2;
  assert.ok(variance(two) < variance(m), `${variance(two)} vs ${variance(m)}`);
});

Deno.test("tabular tasks through the sampler: trajectory frequencies match the exact probabilities", () => {
  const task = WORKED_EXAMPLE.tasks[0];
  const theta = Float32Array.from(WORKED_THETA);
  const n = 20000;
  const paths = samplePaths({
    family: tabularFamily(WORKED_EXAMPLE),
    policy: tabularSampling(2, 2),
    tasks: [task],
    params: [[theta]],
    horizon: WORKED_EXAMPLE.horizon + 1,
    seed: 11,
    purpose: "action",
    iteration: 0,
    phase: 0,
  }, allJobs(1, n));
  const key = (states: ArrayLike<number>, actions: ArrayLike<number>) =>
    `${Array.from(states).join(",")}|${Array.from(actions).join(",")}`;
  const counts = new Map<string, number>();
  for (const p of paths) {
    assert.equal(p.length, WORKED_EXAMPLE.horizon + 1);
    const states = Array.from({ length: p.length }, (_, h) => p.observations[2 * h + 1]);
    const k = key(states, p.actions);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    // The reward of each step is r[s][a].
    p.rewards.forEach((r, h) => assert.equal(r, task.r[states[h]][p.actions[h]]));
  }
  const exact = enumerateTrajectories(WORKED_EXAMPLE, task, theta);
  assert.equal(exact.length, 16);
  for (const t of exact) {
    const freq = (counts.get(key(t.states, t.actions)) ?? 0) / n;
    const sd = Math.sqrt(t.probability * (1 - t.probability) / n);
    assert.ok(
      Math.abs(freq - t.probability) < 4.5 * sd,
      `${key(t.states, t.actions)}: ${freq} vs ${t.probability}`,
    );
  }
});

/**
 * The plain enumeration that exactMomentsOfAll replaces: every ordered inner and outer batch, the
 * package's estimator on each, weighted by its probability.
 */
function momentsByOrderedBatches(
  problem: TabularProblem,
  theta: readonly number[],
  settings: { alpha: number; innerSteps: number; batchIn: number; batchOut: number },
  estimator: keyof typeof EXACT_ESTIMATORS,
) {
  const policy = tabularSoftmax(problem.states, problem.actions);
  const config = {
    ...EXACT_ESTIMATORS[estimator],
    innerSteps: settings.innerSteps,
    innerLr: settings.alpha,
    sgmrlBaseline: "none" as const,
  };
  const batchOf = (b: readonly WeightedTrajectory[]) =>
    learnerBatch(
      b.map((t) => tabularPath(problem, t)),
      problem.states,
      1,
      { advantages: rawAdvantageConfig(problem.gamma), mean: "trajectories" },
    );
  const mean = new Float64Array(problem.states * problem.actions);
  let squared = 0;
  const theta0: PolicyParams = [Float32Array.from(theta)];
  for (const task of problem.tasks) {
    const rec = (
      current: PolicyParams,
      inner: ReturnType<typeof batchOf>[],
      adapted: PolicyParams[],
      probability: number,
    ) => {
      const trajectories = enumerateTrajectories(problem, task, current[0]);
      if (inner.length === settings.innerSteps) {
        forEachBatch(trajectories, settings.batchOut, (outer, p) => {
          const { gradient } = metaGradient(policy, theta0, [{
            inner,
            outer: batchOf(outer),
            adapted,
            explorationWeight: 0,
          }], config);
          const w = task.weight * probability * p;
          gradient[0].forEach((g, k) => (mean[k] += w * g, squared += w * g * g));
        });
        return;
      }
      forEachBatch(trajectories, settings.batchIn, (batch, p) => {
        const b = batchOf(batch);
        const next = innerStep(policy, current, b, settings.alpha);
        rec(next, [...inner, b], [...adapted, next], probability * p);
      });
    };
    rec(theta0, [], [], 1);
  }
  return { mean, meanSquaredNorm: squared };
}

Deno.test("exact moments by multisets and one outer trajectory at a time equal the plain enumeration of every ordered batch", () => {
  // One state, three actions, two tasks, ζ = 2, |D_t| = |D_o| = 2: 2 · 3⁶ = 1458 ordered
  // combinations; the identities reduce them to 2 · 6² · 3 evaluations.
  const problem: TabularProblem = {
    states: 1,
    actions: 3,
    horizon: 0,
    gamma: 1,
    tasks: [
      { weight: 0.3, mu: [1], P: [[[1], [1], [1]]], r: [[1, 0.2, -0.5]] },
      { weight: 0.7, mu: [1], P: [[[1], [1], [1]]], r: [[-0.3, 0.8, 0.1]] },
    ],
  };
  const theta = [0.2, -0.4, 0.1];
  const settings = { alpha: 0.7, innerSteps: 2, batchIn: 2, batchOut: 2 };
  const names = Object.keys(EXACT_ESTIMATORS);
  const fast = exactMomentsOfAll(problem, theta, settings, names);
  // However the combinations are grouped into graphs (one inner sequence per graph, a few, or all
  // at once), the results are the same.
  for (const leavesPerGraph of [1, 7]) {
    const grouped = exactMomentsOfAll(problem, theta, settings, names, { leavesPerGraph });
    for (const name of names) {
      const a = fast[name], b = grouped[name];
      assert.ok(
        a.mean.every((m, k) => Math.abs(m - b.mean[k]) <= 1e-12 * Math.sqrt(a.meanSquaredNorm)),
        `${name}, ${leavesPerGraph} per graph: ${b.mean} vs ${a.mean}`,
      );
      assert.ok(Math.abs(a.meanSquaredNorm - b.meanSquaredNorm) <= 1e-12 * a.meanSquaredNorm);
    }
  }
  for (const name of names) {
    const plain = momentsByOrderedBatches(problem, theta, settings, name);
    const scale = Math.sqrt(plain.meanSquaredNorm);
    const err = Math.sqrt(plain.mean.reduce((s, m, k) => s + (m - fast[name].mean[k]) ** 2, 0));
    assert.ok(err < 1e-6 * scale, `${name}: E[g] differs by ${err} (scale ${scale})`);
    const rel = Math.abs(fast[name].meanSquaredNorm - plain.meanSquaredNorm) /
      plain.meanSquaredNorm;
    assert.ok(
      rel < 1e-6,
      `${name}: E‖g‖² ${fast[name].meanSquaredNorm} vs ${plain.meanSquaredNorm}`,
    );
  }
});
