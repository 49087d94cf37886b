// The Gaussian MLP policy: the differentiable log-density against the Gaussian formula written out in
// float64, the float64 mean against the tensor mean and a hand-computed network, row independence of
// the float64 mean, the initialisation's layout and distribution, and the spec's validation.
import assert from "node:assert/strict";
import type * as tfType from "@tensorflow/tfjs";
import { tf, useBackend } from "../src/kernels/backend.ts";
import {
  gaussianLogDensity,
  initPolicyParams,
  logProbTensor,
  meanActions,
  meanActionsTensor,
  paramCount,
  paramShapes,
  type PolicyParams,
  type PolicySpec,
  validateSpec,
} from "../src/estimators/policy.ts";
import { stream } from "../src/core/rng.ts";
import { PAPER_NAV2D } from "../src/training/config.ts";
// The plain loop the artefacts were first produced with: the blocked pass must give its bits.
import { plainLoopMean } from "../src/bench/sampling_bench.ts";
import { DENSE_PRECISIONS } from "../src/kernels/dense_simd.ts";

await useBackend("wasm");

const LOG_2PI = Math.log(2 * Math.PI);

function assertClose(actual: number, expected: number, relTol: number, what: string): void {
  const err = Math.abs(actual - expected);
  assert.ok(
    err <= relTol * Math.max(1, Math.abs(expected)),
    `${what}: got ${actual}, expected ${expected} (error ${err})`,
  );
}

/** Parameters with every entry drawn uniformly from [−scale, scale) (biases and logStd too). */
function randomParams(spec: PolicySpec, key: number, scale = 0.8): PolicyParams {
  const rng = stream({ seed: 11, purpose: "test", task: key });
  return paramShapes(spec).map((shape) =>
    Float32Array.from(
      { length: shape.reduce((a, b) => a * b, 1) },
      () => rng.uniformIn(-scale, scale),
    )
  );
}

function randomRows(n: number, key: number, scale: number): Float64Array {
  const rng = stream({ seed: 12, purpose: "test", task: key });
  return Float64Array.from({ length: n }, () => rng.uniformIn(-scale, scale));
}

/**
 * The MLP written out independently in float64: h ← act(h·Wₖ + bₖ) for the hidden layers, then
 * μ = h·W_out + b_out, with Wₖ row-major [fan_in, fan_out].
 */
function referenceMean(spec: PolicySpec, params: PolicyParams, x: number[]): number[] {
  const sizes = [spec.obsDim, ...spec.hidden, spec.actDim];
  let h = x;
  for (let k = 0; k + 1 < sizes.length; k++) {
    const w = params[2 * k], b = params[2 * k + 1];
    const next: number[] = [];
    for (let j = 0; j < sizes[k + 1]; j++) {
      let s = b[j];
      for (let i = 0; i < sizes[k]; i++) s += h[i] * w[i * sizes[k + 1] + j];
      next.push(s);
    }
    const hidden = k + 2 < sizes.length;
    h = hidden ? next.map((v) => spec.activation === "relu" ? Math.max(0, v) : Math.tanh(v)) : next;
  }
  return h;
}

/** Σ_j −½((a_j − μ_j)/σ_j)² − log σ_j − ½ log 2π, σ_j = exp(logStd_j), in float64. */
function referenceLogDensity(a: number[], mu: number[], logStd: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const sigma = Math.exp(logStd[j]);
    const z = (a[j] - mu[j]) / sigma;
    s += -0.5 * z * z - Math.log(sigma) - 0.5 * LOG_2PI;
  }
  return s;
}

function tensorLogProb(
  spec: PolicySpec,
  params: PolicyParams,
  obs: Float64Array,
  actions: Float64Array,
  rows: number,
): Float32Array {
  return tf.tidy(() => {
    const p = paramShapes(spec).map((shape, i) => tf.tensor(params[i], shape, "float32"));
    const o = tf.tensor2d(Float32Array.from(obs), [rows, spec.obsDim]);
    const a = tf.tensor2d(Float32Array.from(actions), [rows, spec.actDim]);
    return logProbTensor(spec, p, o, a).dataSync() as Float32Array;
  });
}

function tensorMean(
  spec: PolicySpec,
  params: PolicyParams,
  obs: Float64Array,
  rows: number,
): Float32Array {
  return tf.tidy(() => {
    const p = paramShapes(spec).map((shape, i) => tf.tensor(params[i], shape, "float32"));
    const o = tf.tensor2d(Float32Array.from(obs), [rows, spec.obsDim]);
    return meanActionsTensor(spec, p, o).dataSync() as Float32Array;
  });
}

const row = (x: ArrayLike<number>, r: number, d: number): number[] =>
  Array.from(x).slice(r * d, (r + 1) * d);

for (const activation of ["relu", "tanh"] as const) {
  const spec: PolicySpec = { obsDim: 3, actDim: 2, hidden: [5, 4], activation, initStd: 1 };

  Deno.test(`logProbTensor equals the Gaussian formula in float64 (${activation})`, () => {
    const rows = 6;
    const params = randomParams(spec, activation === "relu" ? 1 : 2);
    // Observations and actions are float32 values, so both sides see the same inputs.
    const obs = Float64Array.from(randomRows(rows * spec.obsDim, 3, 1.5), Math.fround);
    const actions = Float64Array.from(randomRows(rows * spec.actDim, 4, 2), Math.fround);
    const got = tensorLogProb(spec, params, obs, actions, rows);
    assert.equal(got.length, rows);
    const logStd = params[params.length - 1];
    for (let r = 0; r < rows; r++) {
      const mu = referenceMean(spec, params, row(obs, r, spec.obsDim));
      const expected = referenceLogDensity(row(actions, r, spec.actDim), mu, logStd);
      assertClose(got[r], expected, 1e-5, `row ${r}`);
      assertClose(
        gaussianLogDensity(row(actions, r, spec.actDim), mu, logStd),
        expected,
        1e-12,
        `gaussianLogDensity row ${r}`,
      );
    }
  });

  Deno.test(`meanActions (float64) equals meanActionsTensor (float32) (${activation})`, () => {
    const rows = 7;
    const params = randomParams(spec, activation === "relu" ? 5 : 6);
    const obs = Float64Array.from(randomRows(rows * spec.obsDim, 7, 1.5), Math.fround);
    const mu64 = meanActions(spec, params, obs, rows);
    const mu32 = tensorMean(spec, params, obs, rows);
    assert.equal(mu64.length, rows * spec.actDim);
    assert.equal(mu32.length, rows * spec.actDim);
    for (let i = 0; i < mu64.length; i++) assertClose(mu32[i], mu64[i], 1e-5, `entry ${i}`);
    // And both against the independent float64 network.
    for (let r = 0; r < rows; r++) {
      const ref = referenceMean(spec, params, row(obs, r, spec.obsDim));
      ref.forEach((v, j) => assertClose(mu64[r * spec.actDim + j], v, 1e-12, `row ${r}`));
    }
  });
}

Deno.test("gaussianLogDensity: hand-computed values", () => {
  // One dimension, σ = 1, a = μ: −½ log 2π.
  assertClose(gaussianLogDensity([0.5], [0.5], [0]), -0.5 * LOG_2PI, 1e-15, "standard at mean");
  // Two dimensions: z₀ = (3 − 1)/2 = 1 with log σ₀ = log 2; z₁ = (−1 − 0)/0.5 = −2 with
  // log σ₁ = −log 2: −½ − log 2 − 2 + log 2 − log 2π = −2.5 − log 2π.
  assertClose(
    gaussianLogDensity([3, -1], [1, 0], [Math.log(2), -Math.log(2)]),
    -2.5 - LOG_2PI,
    1e-14,
    "two dimensions",
  );
});

// A 2 → 2 → 1 network, entries exact in float32:
//   W₀ = [[1, −1], [2, 0.5]], b₀ = [0.5, −0.25], W₁ = [[2], [3]], b₁ = [−1].
// Row x = (1, 2): x·W₀ + b₀ = (1 + 4 + 0.5, −1 + 1 − 0.25) = (5.5, −0.25).
//   relu: (5.5, 0) → 2·5.5 + 0 − 1 = 10.
//   tanh: 2·tanh 5.5 + 3·tanh(−0.25) − 1.
// Row x = (0, −1): x·W₀ + b₀ = (−2 + 0.5, −0.5 − 0.25) = (−1.5, −0.75).
//   relu: (0, 0) → −1.
//   tanh: 2·tanh(−1.5) + 3·tanh(−0.75) − 1.
const HAND_PARAMS: PolicyParams = [
  new Float32Array([1, -1, 2, 0.5]),
  new Float32Array([0.5, -0.25]),
  new Float32Array([2, 3]),
  new Float32Array([-1]),
  new Float32Array([0]),
];
const HAND_OBS = new Float64Array([1, 2, 0, -1]);

Deno.test("meanActions: hand-computed 1-hidden-layer network", () => {
  const relu: PolicySpec = { obsDim: 2, actDim: 1, hidden: [2], activation: "relu", initStd: 1 };
  const r = meanActions(relu, HAND_PARAMS, HAND_OBS, 2);
  assert.deepEqual(Array.from(r), [10, -1]);
  const tanhSpec: PolicySpec = { ...relu, activation: "tanh" };
  const t = meanActions(tanhSpec, HAND_PARAMS, HAND_OBS, 2);
  assertClose(t[0], 2 * Math.tanh(5.5) + 3 * Math.tanh(-0.25) - 1, 1e-15, "tanh row 0");
  assertClose(t[1], 2 * Math.tanh(-1.5) + 3 * Math.tanh(-0.75) - 1, 1e-15, "tanh row 1");
  // The tensor version on the same network.
  const rt = tensorMean(relu, HAND_PARAMS, HAND_OBS, 2);
  assert.deepEqual(Array.from(rt), [10, -1]);
});

Deno.test("meanActions: no hidden layer is the affine map x·W + b", () => {
  const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [], activation: "tanh", initStd: 1 };
  // W = [[1, 2], [3, 4]], b = [0.5, −0.5]; x = (1, −1): (1 − 3 + 0.5, 2 − 4 − 0.5) = (−1.5, −2.5).
  const params = [
    new Float32Array([1, 2, 3, 4]),
    new Float32Array([0.5, -0.5]),
    new Float32Array([0, 0]),
  ];
  assert.deepEqual(Array.from(meanActions(spec, params, new Float64Array([1, -1]), 1)), [
    -1.5,
    -2.5,
  ]);
});

for (const samplingPrecision of DENSE_PRECISIONS) {
  Deno.test(`meanActions (${samplingPrecision}): each row alone gives the same bits as all rows together`, () => {
    for (const activation of ["relu", "tanh"] as const) {
      const spec: PolicySpec = {
        obsDim: 3,
        actDim: 2,
        hidden: [16, 16],
        activation,
        initStd: 1,
        samplingPrecision,
      };
      const params = randomParams(spec, 9);
      const rows = 9;
      const obs = randomRows(rows * spec.obsDim, 10, 2);
      obs[4] = 0; // a zero input entry
      const together = meanActions(spec, params, obs, rows);
      for (let r = 0; r < rows; r++) {
        const alone = meanActions(
          spec,
          params,
          obs.slice(r * spec.obsDim, (r + 1) * spec.obsDim),
          1,
        );
        for (let j = 0; j < spec.actDim; j++) {
          assert.ok(
            Object.is(alone[j], together[r * spec.actDim + j]),
            `${activation} row ${r}, dim ${j}: ${alone[j]} vs ${together[r * spec.actDim + j]}`,
          );
        }
      }
    }
  });

  Deno.test(`meanActions (${samplingPrecision}): the bits of the plain loop, for every width around the blocks of 8, 4, 2 and 1 vectors, zeros, −0 and non-finite values included`, () => {
    const widths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 20, 30, 31, 32, 33, 63, 64, 65, 100];
    let cases = 0;
    for (const activation of ["relu", "tanh"] as const) {
      for (const width of widths) {
        for (const hidden of [[], [width], [width, 5]]) {
          const spec: PolicySpec = {
            obsDim: 3,
            actDim: width,
            hidden,
            activation,
            initStd: 1,
            samplingPrecision,
          };
          const params = randomParams(spec, width * 10 + hidden.length);
          // Zero inputs of both signs, a −0 bias, a zero weight of each sign, and in one case a
          // non-finite weight: cases where skipping a zero input or not could change a sum's bits.
          params[1][0] = -0;
          params[0][0] = 0;
          params[0][1] = -0;
          if (width === 9) params[0][2] = Infinity;
          if (hidden.length === 2) {
            // The second hidden layer: a −0 bias, and a non-finite weight or a NaN output (which
            // the ReLU keeps, so the next layer must sum it).
            params[3][0] = -0;
            if (width === 17) params[2][1] = -Infinity;
            if (width === 5) params[2][2] = NaN;
          }
          const rows = 5;
          const obs = randomRows(rows * spec.obsDim, width, 3);
          obs[0] = 0;
          obs[4] = -0;
          obs[6] = 0;
          obs[7] = -0;
          obs[8] = 0;
          const fast = meanActions(spec, params, obs, rows);
          const plain = plainLoopMean(spec, params, obs, rows);
          assert.equal(fast.length, plain.length);
          for (let q = 0; q < plain.length; q++) {
            assert.ok(
              Object.is(fast[q], plain[q]),
              `${activation} ${JSON.stringify(hidden)}→${width}, entry ${q}: ${fast[q]} vs ${
                plain[q]
              }`,
            );
          }
          cases++;
        }
      }
    }
    assert.equal(cases, 2 * widths.length * 3);
    // The paper's network on rows of a policy's own outputs: ReLU zeros throughout.
    const paper: PolicySpec = { obsDim: 2, actDim: 2, ...PAPER_NAV2D.policy, samplingPrecision };
    const params = initPolicyParams(paper, 3);
    const obs = randomRows(40, 77, 0.5);
    const mean = meanActions(paper, params, obs, 20);
    assert.deepEqual(
      new Uint8Array(mean.buffer),
      new Uint8Array(plainLoopMean(paper, params, obs, 20).buffer),
    );
    // float32 is float32: every mean is a float32 value, and not all of float64's are.
    const single = mean.every((m) => Math.fround(m) === m);
    assert.equal(single, samplingPrecision === "float32");
  });
}

Deno.test("paramShapes and paramCount: W₀, b₀, …, W_out, b_out, logStd", () => {
  const spec: PolicySpec = { obsDim: 3, actDim: 2, hidden: [5, 4], activation: "relu", initStd: 1 };
  assert.deepEqual(paramShapes(spec), [[3, 5], [5], [5, 4], [4], [4, 2], [2], [2]]);
  assert.equal(paramCount(spec), 15 + 5 + 20 + 4 + 8 + 2 + 2);
  assert.deepEqual(paramShapes({ ...spec, hidden: [] }), [[3, 2], [2], [2]]);
});

Deno.test("initPolicyParams: layout, zero biases, logStd = log initStd, Glorot bounds", () => {
  const spec: PolicySpec = {
    obsDim: 3,
    actDim: 2,
    hidden: [7, 5],
    activation: "tanh",
    initStd: 0.6,
  };
  const p = initPolicyParams(spec, 3);
  const shapes = paramShapes(spec);
  assert.equal(p.length, shapes.length);
  shapes.forEach((shape, i) => {
    assert.ok(p[i] instanceof Float32Array, `entry ${i} is a Float32Array`);
    assert.equal(p[i].length, shape.reduce((a, b) => a * b, 1), `entry ${i} size`);
  });
  for (let k = 0; k < 3; k++) {
    const [fanIn, fanOut] = shapes[2 * k];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const w = p[2 * k];
    assert.ok(w.every((v) => Math.abs(v) <= limit), `layer ${k} within ±${limit}`);
    assert.ok(w.some((v) => v !== 0), `layer ${k} not all zero`);
    assert.ok(p[2 * k + 1].every((v) => v === 0), `bias ${k} is zero`);
    // Layer k's weights come from the stream {seed, "init", task: k}.
    const expected = stream({ seed: 3, purpose: "init", task: k })
      .fillUniform(new Float32Array(w.length), -limit, limit);
    assert.deepEqual(w, expected, `layer ${k} from its own stream`);
  }
  assert.deepEqual(Array.from(p[6]), [Math.fround(Math.log(0.6)), Math.fround(Math.log(0.6))]);
  assert.deepEqual(Array.from(initPolicyParams({ ...spec, initStd: 1 }, 3)[6]), [0, 0]);
});

Deno.test("initPolicyParams: Glorot-uniform moments on a 100×100 layer", () => {
  const spec: PolicySpec = {
    obsDim: 100,
    actDim: 3,
    hidden: [100],
    activation: "relu",
    initStd: 1,
  };
  const w = initPolicyParams(spec, 21)[0];
  assert.equal(w.length, 10000);
  const limit = Math.sqrt(6 / 200);
  let s = 0, ss = 0;
  for (const v of w) (s += v, ss += v * v);
  const mean = s / w.length;
  const variance = ss / w.length - mean * mean;
  // U(−l, l) has mean 0 and variance l²/3 = 0.01; the standard errors over 10⁴ draws are 0.001 for
  // the mean and about 0.9 % of the variance.
  assert.ok(Math.abs(mean) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(variance / (limit * limit / 3) - 1) < 0.05, `variance ${variance}`);
  assert.ok(w.every((v) => Math.abs(v) <= limit));
  // The extremes come close to the bounds.
  assert.ok(Math.max(...w) > 0.99 * limit && Math.min(...w) < -0.99 * limit);
});

Deno.test("initPolicyParams: same seed → identical arrays, different seed → different", () => {
  const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [8, 8], activation: "tanh", initStd: 1 };
  const a = initPolicyParams(spec, 5), b = initPolicyParams(spec, 5), c = initPolicyParams(spec, 6);
  assert.deepEqual(a, b);
  for (const k of [0, 2, 4]) {
    assert.notDeepEqual(a[k], c[k], `layer ${k / 2} changes with the seed`);
  }
  // Layers of the same seed use different streams.
  assert.notDeepEqual(a[2].slice(0, 16), a[0].slice(0, 16));
});

Deno.test("validateSpec: the message names the offending field", () => {
  const ok: PolicySpec = { obsDim: 2, actDim: 2, hidden: [4], activation: "relu", initStd: 1 };
  validateSpec(ok);
  validateSpec({ ...ok, hidden: [] });
  validateSpec({ ...ok, samplingPrecision: "float32" });
  const bad: [Partial<Record<keyof PolicySpec, unknown>>, RegExp][] = [
    [{ obsDim: 0 }, /policy\.obsDim/],
    [{ obsDim: 1.5 }, /policy\.obsDim/],
    [{ actDim: -1 }, /policy\.actDim/],
    [{ actDim: NaN }, /policy\.actDim/],
    [{ hidden: [4, 0] }, /policy\.hidden/],
    [{ hidden: [2.5] }, /policy\.hidden/],
    [{ activation: "sigmoid" }, /policy\.activation.*sigmoid/],
    [{ initStd: 0 }, /policy\.initStd/],
    [{ initStd: -1 }, /policy\.initStd/],
    [{ initStd: Infinity }, /policy\.initStd/],
    [{ initStd: NaN }, /policy\.initStd/],
    [{ samplingPrecision: "float16" }, /policy\.samplingPrecision must be one of float64, float32/],
  ];
  for (const [change, message] of bad) {
    const spec = { ...ok, ...change } as PolicySpec;
    assert.throws(() => validateSpec(spec), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, message);
      assert.ok(!e.message.includes("\n"), "one line");
      return true;
    }, JSON.stringify(change));
    assert.throws(() => initPolicyParams(spec, 0), RangeError);
  }
});

Deno.test("logProbTensor is differentiable in the parameters: ∂/∂logStd = z² − 1 per row", () => {
  // d/d logStd_j of −½ z_j² − logStd_j with z_j = (a_j − μ_j)e^{−logStd_j} is z_j² − 1.
  const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [3], activation: "tanh", initStd: 1 };
  const params = randomParams(spec, 13);
  const obs = Float64Array.from(randomRows(8, 14, 1), Math.fround);
  const actions = Float64Array.from(randomRows(8, 15, 2), Math.fround);
  const grad = tf.tidy(() => {
    const p = paramShapes(spec).map((shape, i) => tf.tensor(params[i], shape, "float32"));
    const o = tf.tensor2d(Float32Array.from(obs), [4, 2]);
    const a = tf.tensor2d(Float32Array.from(actions), [4, 2]);
    const g = tf.grads((...q: tfType.Tensor[]) => tf.sum(logProbTensor(spec, q, o, a)))(p);
    return g[g.length - 1].dataSync();
  });
  const logStd = params[params.length - 1];
  for (let j = 0; j < 2; j++) {
    let expected = 0;
    for (let r = 0; r < 4; r++) {
      const mu = referenceMean(spec, params, row(obs, r, 2));
      const z = (actions[r * 2 + j] - mu[j]) / Math.exp(logStd[j]);
      expected += z * z - 1;
    }
    assertClose(grad[j], expected, 1e-5, `∂/∂logStd_${j}`);
  }
});
