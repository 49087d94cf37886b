// The learner's batch: surrogate weights, return estimate and scale for the raw estimator (eq. 5)
// and the reference estimator, concatenation order, and E-MAML's exploration weights, all against
// hand computations.
import assert from "node:assert/strict";
import { explorationWeights, learnerBatch } from "../src/estimators/batch.ts";
import {
  type AdvantageConfig,
  processBatch,
  rawAdvantageConfig,
  referenceAdvantageConfig,
} from "../src/estimators/returns.ts";
import type { Path } from "../src/estimators/sampler.ts";

function assertClose(actual: number, expected: number, relTol: number, what: string): void {
  const err = Math.abs(actual - expected);
  assert.ok(
    err <= relTol * Math.max(1, Math.abs(expected)),
    `${what}: got ${actual}, expected ${expected} (error ${err})`,
  );
}

function path(observations: number[], actions: number[], rewards: number[]): Path {
  return {
    observations: new Float64Array(observations),
    actions: new Float64Array(actions),
    rewards: new Float64Array(rewards),
    length: rewards.length,
  };
}

// Two paths, obsDim 2, actDim 2; rewards [1, 2, 4] and [−2, 6].
const P1 = path([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [1, -1, 2, -2, 3, -3], [1, 2, 4]);
const P2 = path([-0.1, -0.2, -0.3, -0.4], [7, 8, 9, 10], [-2, 6]);

Deno.test("learnerBatch, raw estimator: w = absolute reward-to-go / |D|, scale 1", () => {
  const b = learnerBatch([P1, P2], 2, 2, {
    advantages: rawAdvantageConfig(0.5),
    mean: "trajectories",
  });
  // γ = 0.5, R^h = Σ_{t≥h} γ^t r_t:
  //   path 1: R^0 = 1 + 0.5·2 + 0.25·4 = 3, R^1 = 0.5·2 + 0.25·4 = 2, R^2 = 0.25·4 = 1;
  //   path 2: R^0 = −2 + 0.5·6 = 1, R^1 = 0.5·6 = 3.
  // |D| = 2, so w = [1.5, 1, 0.5, 0.5, 1.5].
  assert.deepEqual(Array.from(b.weights), [1.5, 1, 0.5, 0.5, 1.5]);
  assert.ok(b.weights instanceof Float32Array);
  assert.equal(b.sampleCount, 5);
  assert.equal(b.trajectoryCount, 2);
  assert.equal(b.scale, 1);
  // J̃ = mean of R(τ) = (3 + 1)/2; undiscounted: (7 + 4)/2.
  assert.equal(b.returnEstimate, 2);
  assert.equal(b.meanUndiscountedReturn, 5.5);
  // Paths concatenated in order; observations and actions stored in float32.
  assert.deepEqual(
    b.observations,
    new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, -0.1, -0.2, -0.3, -0.4]),
  );
  assert.deepEqual(b.actions, new Float32Array([1, -1, 2, -2, 3, -3, 7, 8, 9, 10]));
  assert.deepEqual(Array.from(b.rewards), [1, 2, 4, -2, 6]);
  assert.ok(b.rewards instanceof Float64Array);
});

Deno.test("learnerBatch: the order of the paths is the order of the rows", () => {
  const config = { advantages: rawAdvantageConfig(0.5), mean: "trajectories" } as const;
  const b = learnerBatch([P2, P1], 2, 2, config);
  assert.deepEqual(Array.from(b.weights), [0.5, 1.5, 1.5, 1, 0.5]);
  assert.deepEqual(Array.from(b.rewards), [-2, 6, 1, 2, 4]);
  assert.deepEqual(b.actions, new Float32Array([7, 8, 9, 10, 1, -1, 2, -2, 3, -3]));
  assert.deepEqual(
    b.observations,
    new Float32Array([-0.1, -0.2, -0.3, -0.4, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
  );
});

Deno.test("learnerBatch, raw estimator with mean over samples: w = R^h / N, scale |D|/N", () => {
  const b = learnerBatch([P1, P2], 2, 2, { advantages: rawAdvantageConfig(0.5), mean: "samples" });
  // N = 5: w = [3, 2, 1, 1, 3]/5; c = |D|·(1/N)/1 = 2/5.
  [3, 2, 1, 1, 3].forEach((r, i) => assert.equal(b.weights[i], Math.fround(r / 5), `w${i}`));
  assertClose(b.scale, 0.4, 1e-15, "scale");
  assert.equal(b.returnEstimate, 2);
});

Deno.test("learnerBatch, normalised advantages: hand computation", () => {
  // GAE with λ = 1 and no baseline is the relative reward-to-go G^h = Σ_{t≥h} γ^{t−h} r_t:
  //   path 1: [1 + 1 + 1, 2 + 2, 4] = [3, 4, 4]; path 2: [−2 + 3, 6] = [1, 6].
  // Mean 18/5 = 3.6, deviations [−0.6, 0.4, 0.4, −2.6, 2.4], population variance 13.2/5 = 2.64.
  const advantages: AdvantageConfig = {
    estimator: "gae",
    gamma: 0.5,
    gaeLambda: 1,
    baseline: "none",
    normalize: true,
  };
  const b = learnerBatch([P1, P2], 2, 2, { advantages, mean: "samples" });
  const sigma = Math.sqrt(2.64);
  [-0.6, 0.4, 0.4, -2.6, 2.4].forEach((d, i) =>
    assertClose(b.weights[i], d / (sigma + 1e-8) / 5, 1e-6, `w${i}`)
  );
  // c = |D|/(N·(σ + 1e-8)).
  assertClose(b.scale, 2 / (5 * (sigma + 1e-8)), 1e-12, "scale");
  // J̃ still comes from the raw rewards with absolute discounting: (3 + 1)/2.
  assert.equal(b.returnEstimate, 2);
  assert.equal(b.meanUndiscountedReturn, 5.5);
});

Deno.test("learnerBatch, reference estimator: w = normalised advantages / N", () => {
  // obsDim 1 paths long enough for the linear baseline to be fitted.
  const paths = [
    path([0, 0.1, 0.25, 0.3, 0.35], [0.5, -0.5, 1, 0.2, 0.1], [-1, -0.8, -0.5, -0.3, -0.2]),
    path([0, -0.05, -0.2, -0.3], [1, 2, 3, 4], [-0.9, -1.1, -1.2, -1.4]),
    path([0, 0.2, 0.1], [0, 0, 0], [-0.7, -0.4, -0.45]),
  ];
  const ref = referenceAdvantageConfig();
  const b = learnerBatch(paths, 1, 1, { advantages: ref, mean: "samples" });
  const N = 12;
  assert.equal(b.sampleCount, N);
  // The same advantages before normalisation, then normalised by hand.
  const raw = processBatch(paths, 1, { ...ref, normalize: false }).advantages;
  const mean = raw.reduce((a, v) => a + v, 0) / N;
  const sigma = Math.sqrt(raw.reduce((a, v) => a + (v - mean) ** 2, 0) / N);
  assert.ok(sigma > 1e-3, "the advantages are not constant");
  for (let i = 0; i < N; i++) {
    assertClose(b.weights[i], (raw[i] - mean) / (sigma + 1e-8) / N, 1e-6, `w${i}`);
  }
  // Σ w = 0 and N·Σ w² = 1 (up to the 1e-8 guard and float32 rounding).
  const sum = Array.from(b.weights).reduce((a, v) => a + v, 0);
  const sq = Array.from(b.weights).reduce((a, v) => a + v * v, 0);
  assert.ok(Math.abs(sum) < 1e-6, `Σw = ${sum}`);
  assertClose(N * sq, 1, 1e-5, "N·Σw²");
  assertClose(b.scale, 3 / (N * (sigma + 1e-8)), 1e-9, "scale");
  // J̃ = mean_τ Σ_t γ^t r_t with γ = 0.99, from the rewards.
  const disc = paths.map((p) => p.rewards.reduce((a, r, t) => a + 0.99 ** t * r, 0));
  assertClose(b.returnEstimate, (disc[0] + disc[1] + disc[2]) / 3, 1e-12, "J̃");
});

Deno.test("learnerBatch: a batch needs at least one path", () => {
  assert.throws(
    () => learnerBatch([], 2, 2, { advantages: rawAdvantageConfig(0.9), mean: "samples" }),
    RangeError,
  );
});

Deno.test("explorationWeights: rewards normalised over the meta-batch, averaged per task", () => {
  // All rewards 1, 2 | 3 | 0, 0, 6: n = 6, mean 12/6 = 2, deviations −1, 0 | 1 | −2, −2, 4,
  // population variance (1 + 0 + 1 + 4 + 4 + 16)/6 = 13/3.
  // Task means of the deviations: −1/2, 1, 0; each divided by sd + 1e-8.
  const w = explorationWeights([
    new Float64Array([1, 2]),
    new Float64Array([3]),
    new Float64Array([0, 0, 6]),
  ]);
  const sd = Math.sqrt(13 / 3) + 1e-8;
  assert.equal(w.length, 3);
  assertClose(w[0], -0.5 / sd, 1e-12, "task 0");
  assertClose(w[1], 1 / sd, 1e-12, "task 1");
  assertClose(w[2], 0, 1e-12, "task 2");
  // Equal rewards everywhere: every weight is 0.
  assert.deepEqual(explorationWeights([new Float64Array([2, 2]), new Float64Array([2])]), [0, 0]);
  // Shifting and scaling all rewards leaves the weights unchanged (up to the guard).
  const shifted = explorationWeights([
    new Float64Array([13, 16]),
    new Float64Array([19]),
    new Float64Array([10, 10, 28]),
  ]);
  shifted.forEach((v, i) => assertClose(v, w[i], 1e-7, `affine invariance, task ${i}`));
});
