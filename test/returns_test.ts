import assert from "node:assert/strict";
import {
  type AdvantageConfig,
  baselineFeatureCount,
  baselineFeatures,
  discountCumsum,
  discountedReturn,
  fitLinearBaseline,
  gae,
  normalize,
  predictLinearBaseline,
  processBatch,
  rawAdvantageConfig,
  referenceAdvantageConfig,
  rewardToGo,
  solveLinearSystem,
  solveRidgeWithRetries,
} from "../src/estimators/returns.ts";

const f64 = (...v: number[]) => new Float64Array(v);

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) {
  assert.equal(actual.length, expected.length, "length");
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `index ${i}: ${actual[i]} vs ${expected[i]} (tol ${tol})`,
    );
  }
}

/** Deterministic pseudo-random numbers in [−1, 1) (a 32-bit LCG). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

function populationStd(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  m /= x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i] - m) ** 2;
  return Math.sqrt(ss / x.length);
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
}

// ------------------------------------------------------------------------------------------
// Discounting
// ------------------------------------------------------------------------------------------

Deno.test("discountedReturn: hand-computed 4-step path", () => {
  // r = [1, 2, 3, 4], γ = 0.5: 1·1 + 0.5·2 + 0.25·3 + 0.125·4 = 1 + 1 + 0.75 + 0.5 = 3.25
  assert.equal(discountedReturn(f64(1, 2, 3, 4), 0.5), 3.25);
  // γ = 1: the plain sum 10; γ = 0: only r_0
  assert.equal(discountedReturn(f64(1, 2, 3, 4), 1), 10);
  assert.equal(discountedReturn(f64(1, 2, 3, 4), 0), 1);
});

Deno.test("rewardToGo absolute: R^h = Σ_{t≥h} γ^t r_t", () => {
  // r = [1, 2, 3, 4], γ = 0.5:
  // R^3 = 0.125·4 = 0.5
  // R^2 = 0.25·3 + 0.5 = 1.25
  // R^1 = 0.5·2 + 1.25 = 2.25
  // R^0 = 1·1 + 2.25 = 3.25 = R(τ)
  const r = rewardToGo(f64(1, 2, 3, 4), 0.5, "absolute");
  assert.deepEqual([...r], [3.25, 2.25, 1.25, 0.5]);
  assert.equal(r[0], discountedReturn(f64(1, 2, 3, 4), 0.5));
});

Deno.test("rewardToGo relative: G^h = Σ_{t≥h} γ^{t−h} r_t", () => {
  // r = [1, 2, 3, 4], γ = 0.5:
  // G^3 = 4
  // G^2 = 3 + 0.5·4 = 5
  // G^1 = 2 + 0.5·5 = 4.5
  // G^0 = 1 + 0.5·4.5 = 3.25
  const g = rewardToGo(f64(1, 2, 3, 4), 0.5, "relative");
  assert.deepEqual([...g], [3.25, 4.5, 5, 4]);
  // the two conventions differ by γ^h: R^h = γ^h G^h
  const a = rewardToGo(f64(1, 2, 3, 4), 0.5, "absolute");
  for (let h = 0; h < 4; h++) assert.equal(a[h], 0.5 ** h * g[h]);
});

Deno.test("discountCumsum: y_h = x_h + factor·y_{h+1}", () => {
  // x = [1, 2, 3, 4], factor 2: y_3 = 4, y_2 = 3 + 2·4 = 11, y_1 = 2 + 2·11 = 24, y_0 = 1 + 2·24 = 49
  assert.deepEqual([...discountCumsum(f64(1, 2, 3, 4), 2)], [49, 24, 11, 4]);
  // factor 0.5 on [1, 2, 3]: y_2 = 3, y_1 = 2 + 1.5 = 3.5, y_0 = 1 + 1.75 = 2.75
  assert.deepEqual([...discountCumsum(f64(1, 2, 3), 0.5)], [2.75, 3.5, 3]);
  assert.equal(discountCumsum(f64(), 0.5).length, 0);
});

Deno.test("absolute reward-to-go stays accurate on a long path", () => {
  const next = lcg(7);
  const r = new Float64Array(500).map(() => next());
  const gamma = 0.99;
  const abs = rewardToGo(r, gamma, "absolute");
  // independent check: direct sums with Math.pow
  for (const h of [0, 1, 250, 499]) {
    let s = 0;
    for (let t = h; t < r.length; t++) s += Math.pow(gamma, t) * r[t];
    assert.ok(Math.abs(abs[h] - s) < 1e-12, `h=${h}`);
  }
});

// ------------------------------------------------------------------------------------------
// GAE
// ------------------------------------------------------------------------------------------

Deno.test("gae: hand-computed 3-step example", () => {
  // r = [1, 2, 3], v = [0.5, 1, 1.5], γ = 0.5, λ = 0.5, v_3 = 0:
  // δ_0 = 1 + 0.5·1 − 0.5 = 1
  // δ_1 = 2 + 0.5·1.5 − 1 = 1.75
  // δ_2 = 3 + 0.5·0 − 1.5 = 1.5
  // γλ = 0.25: Â_2 = 1.5, Â_1 = 1.75 + 0.25·1.5 = 2.125, Â_0 = 1 + 0.25·2.125 = 1.53125
  const a = gae(f64(1, 2, 3), f64(0.5, 1, 1.5), 0.5, 0.5);
  assert.deepEqual([...a], [1.53125, 2.125, 1.5]);
});

Deno.test("gae: λ = 1 is relative reward-to-go minus values; λ = 0 is the TD residual", () => {
  const next = lcg(3);
  const L = 17;
  const r = new Float64Array(L).map(() => next());
  const v = new Float64Array(L).map(() => 3 * next());
  const gamma = 0.9;
  const g = rewardToGo(r, gamma, "relative");
  assertClose(gae(r, v, gamma, 1), g.map((x, h) => x - v[h]), 1e-12);
  const td = r.map((x, h) => x + gamma * (h + 1 < L ? v[h + 1] : 0) - v[h]);
  assert.deepEqual([...gae(r, v, gamma, 0)], [...td]);
});

// ------------------------------------------------------------------------------------------
// Linear baseline
// ------------------------------------------------------------------------------------------

Deno.test("baselineFeatures: row layout, clipping at ±10, time features", () => {
  // obsDim 2, a path of 51 steps; step h = 50 has t = 0.5 (exact in binary).
  const L = 51;
  const obs = new Float64Array(L * 2);
  obs[50 * 2] = 12; // clipped to 10
  obs[50 * 2 + 1] = -12.5; // clipped to −10
  obs[0] = 3; // kept
  obs[1] = -0.5;
  const f = baselineFeatures(obs, 2, L);
  assert.equal(baselineFeatureCount(2), 8);
  assert.equal(f.length, L * 8);
  // row 50: [o, o², t, t², t³, 1] = [10, −10, 100, 100, 0.5, 0.25, 0.125, 1]
  assert.deepEqual([...f.subarray(50 * 8, 51 * 8)], [10, -10, 100, 100, 0.5, 0.25, 0.125, 1]);
  // row 0: t = 0
  assert.deepEqual([...f.subarray(0, 8)], [3, -0.5, 9, 0.25, 0, 0, 0, 1]);
  // row 1: t = 1/100
  assert.deepEqual([...f.subarray(8, 16)], [0, 0, 0, 0, 0.01, 0.01 * 0.01, 0.01 * 0.01 * 0.01, 1]);
});

/** Gauss–Jordan elimination with partial pivoting on an augmented matrix. */
function gaussJordan(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const piv = m[c][c];
    for (let j = 0; j <= n; j++) m[c][j] /= piv;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      for (let j = 0; j <= n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row) => row[n]);
}

/** The features written out independently of the module: [o, o², t, t², t³, 1]. */
function featureRow(o: number[], h: number): number[] {
  const c = o.map((x) => Math.min(10, Math.max(-10, x)));
  const t = h / 100;
  return [...c, ...c.map((x) => x * x), t, t * t, t * t * t, 1];
}

Deno.test("fitLinearBaseline: equals the closed-form ridge solution", () => {
  const next = lcg(11);
  const obsDim = 2;
  const gamma = 0.9;
  const reg = 0.5;
  const lengths = [5, 3, 7];
  const paths = lengths.map((L) => ({
    observations: new Float64Array(L * obsDim).map(() => 15 * next()),
    rewards: new Float64Array(L).map(() => next()),
  }));
  // Normal equations built in the test: (FᵀF + reg I) w = Fᵀy with y the relative returns.
  const rows: number[][] = [];
  const y: number[] = [];
  for (const p of paths) {
    const L = p.rewards.length;
    for (let h = 0; h < L; h++) {
      rows.push(featureRow([...p.observations.subarray(h * obsDim, (h + 1) * obsDim)], h));
      let g = 0;
      for (let t = h; t < L; t++) g += gamma ** (t - h) * p.rewards[t];
      y.push(g);
    }
  }
  const k = 2 * obsDim + 4;
  const A = Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (_, j) => {
      let s = i === j ? reg : 0;
      for (const row of rows) s += row[i] * row[j];
      return s;
    }));
  const b = Array.from({ length: k }, (_, i) => {
    let s = 0;
    rows.forEach((row, n) => (s += row[i] * y[n]));
    return s;
  });
  const expected = gaussJordan(A, b);
  const fit = fitLinearBaseline(paths, obsDim, gamma, { regCoeff: reg });
  assert.equal(fit.attempts, 1);
  assert.equal(fit.converged, true);
  assert.equal(fit.regCoeff, reg);
  assertClose(fit.coeffs, expected, 1e-8 * Math.max(...expected.map(Math.abs)));
  // predictions are features · w
  const pred = predictLinearBaseline(fit.coeffs, paths[1].observations, obsDim, 3);
  for (let h = 0; h < 3; h++) {
    const row = featureRow([...paths[1].observations.subarray(h * obsDim, (h + 1) * obsDim)], h);
    const e = row.reduce((s, x, i) => s + x * fit.coeffs[i], 0);
    assert.ok(Math.abs(pred[h] - e) < 1e-9);
  }
  // the fit is bit-identical run to run
  const again = fitLinearBaseline(paths, obsDim, gamma, { regCoeff: reg });
  assert.deepEqual([...again.coeffs], [...fit.coeffs]);
});

Deno.test("fitLinearBaseline: recovers exact linear targets", () => {
  // γ = 0 makes the targets the rewards themselves; rewards = F w* exactly.
  const next = lcg(5);
  const obsDim = 1;
  const wStar = [0.7, -0.3, 2, -1.5, 0.8, 0.25];
  const paths = [60, 45, 80].map((L) => {
    const observations = new Float64Array(L).map(() => 4 * next());
    const rewards = new Float64Array(L).map((_, h) =>
      featureRow([observations[h]], h).reduce((s, x, i) => s + x * wStar[i], 0)
    );
    return { observations, rewards };
  });
  const fit = fitLinearBaseline(paths, obsDim, 0, { regCoeff: 1e-12 });
  assertClose(fit.coeffs, wStar, 1e-6);
});

Deno.test("solveLinearSystem: Cholesky, Gaussian fallback, singular → NaN", () => {
  // SPD: [[4, 2], [2, 3]] x = [10, 8] → x = [1.75, 1.5]
  assertClose(solveLinearSystem(f64(4, 2, 2, 3), f64(10, 8), 2), [1.75, 1.5], 1e-14);
  // not positive definite (indefinite): [[0, 1], [1, 0]] x = [2, 3] → x = [3, 2]
  assertClose(solveLinearSystem(f64(0, 1, 1, 0), f64(2, 3), 2), [3, 2], 1e-14);
  // negative definite: [[−2, 0], [0, −4]] x = [2, 2] → x = [−1, −0.5]
  assertClose(solveLinearSystem(f64(-2, 0, 0, -4), f64(2, 2), 2), [-1, -0.5], 1e-14);
  // singular
  assert.ok(solveLinearSystem(f64(1, 2, 2, 4), f64(1, 2), 2).every(Number.isNaN));
  // non-finite input
  assert.ok(solveLinearSystem(f64(NaN, 0, 0, 1), f64(1, 1), 2).every(Number.isNaN));
});

Deno.test("solveRidgeWithRetries: a failed solve retries with reg × 10", () => {
  // G + 1·I = [[1, 1], [1, 1]] is singular → retry; G + 10·I = [[10, 1], [1, 10]], c = [11, 11]
  // → w = [1, 1].
  const s = solveRidgeWithRetries(f64(0, 1, 1, 0), f64(11, 11), 2, 1, 5);
  assert.equal(s.attempts, 2);
  assert.equal(s.regCoeff, 10);
  assert.equal(s.converged, true);
  assertClose(s.coeffs, [1, 1], 1e-14);
  // retries = 1: no second chance → zeros
  const once = solveRidgeWithRetries(f64(0, 1, 1, 0), f64(11, 11), 2, 1, 1);
  assert.equal(once.converged, false);
  assert.equal(once.attempts, 1);
  assert.deepEqual([...once.coeffs], [0, 0]);
  // G = −1.1·I: reg 1.1 gives the zero matrix (singular); the retry with reg 11 gives 9.9·I,
  // and 9.9·I w = [9.9, 19.8] → w = [1, 2].
  const t = solveRidgeWithRetries(f64(-1.1, 0, 0, -1.1), f64(9.9, 19.8), 2, 1.1, 3);
  assert.equal(t.attempts, 2);
  assert.equal(t.regCoeff, 11);
  assertClose(t.coeffs, [1, 2], 1e-12);
});

Deno.test("fitLinearBaseline: every attempt failing gives zero coefficients", () => {
  // All-zero observations make the o and o² columns of F zero, so FᵀF is singular; with
  // reg = 0 (which stays 0 after ×10) every attempt fails.
  const paths = [{ observations: new Float64Array(4), rewards: f64(1, 2, 3, 4) }];
  const fit = fitLinearBaseline(paths, 1, 0.9, { regCoeff: 0, retries: 3 });
  assert.equal(fit.converged, false);
  assert.equal(fit.attempts, 3);
  assert.deepEqual([...fit.coeffs], [0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...predictLinearBaseline(fit.coeffs, paths[0].observations, 1, 4)], [
    0,
    0,
    0,
    0,
  ]);
  // a NaN observation also fails every attempt, whatever the regularisation
  const bad = [{ observations: f64(0.1, NaN, 0.3, 0.4), rewards: f64(1, 2, 3, 4) }];
  const nanFit = fitLinearBaseline(bad, 1, 0.9);
  assert.equal(nanFit.converged, false);
  assert.equal(nanFit.attempts, 5);
  assert.equal(nanFit.regCoeff, 1e-5 * 10 * 10 * 10 * 10);
  assert.deepEqual([...nanFit.coeffs], [0, 0, 0, 0, 0, 0]);
  // with the default reg the singular columns get coefficient 0 and the fit succeeds at once
  const ok = fitLinearBaseline(paths, 1, 0.9);
  assert.equal(ok.converged, true);
  assert.equal(ok.attempts, 1);
  assert.equal(ok.coeffs[0], 0);
  assert.equal(ok.coeffs[1], 0);
});

// ------------------------------------------------------------------------------------------
// Normalisation
// ------------------------------------------------------------------------------------------

Deno.test("normalize: zero mean, unit std, population std returned", () => {
  // x = [2, 4, 4, 4, 5, 5, 7, 9]: mean 5, Σ(x−5)² = 9+1+1+1+0+0+4+16 = 32, std = √(32/8) = 2
  const n = normalize(f64(2, 4, 4, 4, 5, 5, 7, 9));
  assert.equal(n.mean, 5);
  assert.equal(n.std, 2);
  assertClose(n.values, [-1.5, -0.5, -0.5, -0.5, 0, 0, 1, 2].map((v) => v * 2 / (2 + 1e-8)), 1e-15);
  let m = 0;
  for (const v of n.values) m += v;
  assert.ok(Math.abs(m / 8) < 1e-15);
  assert.ok(Math.abs(populationStd(n.values) - 1) < 1e-8);
});

Deno.test("normalize: a single value has std 0 and normalises to 0", () => {
  const n = normalize(f64(3.5));
  assert.equal(n.mean, 3.5);
  assert.equal(n.std, 0);
  assert.deepEqual([...n.values], [0]);
});

// ------------------------------------------------------------------------------------------
// processBatch
// ------------------------------------------------------------------------------------------

function makePaths(seed: number, lengths: number[], obsDim: number) {
  const next = lcg(seed);
  return lengths.map((L) => ({
    observations: new Float64Array(L * obsDim).map(() => 2 * next()),
    rewards: new Float64Array(L).map(() => next() + 0.3),
  }));
}

Deno.test("processBatch raw: advantages are exactly the absolute reward-to-go", () => {
  const paths = makePaths(21, [6, 3, 9], 2);
  const gamma = 0.95;
  const b = processBatch(paths, 2, rawAdvantageConfig(gamma));
  const expected = concat(paths.map((p) => rewardToGo(p.rewards, gamma, "absolute")));
  assert.deepEqual([...b.advantages], [...expected]);
  assert.equal(b.advantageStd, 1);
  assert.equal(b.advantageDivisor, 1);
  assert.equal(b.sampleCount, 18);
  assert.deepEqual([...b.pathLengths], [6, 3, 9]);
  assert.deepEqual(
    [...b.discountedReturns],
    paths.map((p) => discountedReturn(p.rewards, gamma)),
  );
  assert.deepEqual(
    [...b.undiscountedReturns],
    paths.map((p) => p.rewards.reduce((s, x) => s + x, 0)),
  );
});

Deno.test("processBatch: paths are concatenated in order", () => {
  const c = rawAdvantageConfig(1);
  const b = processBatch(
    [
      { observations: f64(0), rewards: f64(10) },
      { observations: f64(0, 0), rewards: f64(1, 2) },
    ],
    1,
    c,
  );
  // γ = 1: path 0 → [10]; path 1 → [3, 2]
  assert.deepEqual([...b.advantages], [10, 3, 2]);
  const swapped = processBatch(
    [
      { observations: f64(0, 0), rewards: f64(1, 2) },
      { observations: f64(0), rewards: f64(10) },
    ],
    1,
    c,
  );
  assert.deepEqual([...swapped.advantages], [3, 2, 10]);
  assert.deepEqual([...swapped.discountedReturns], [3, 10]);
});

Deno.test("processBatch reference: normalised GAE with the linear baseline", () => {
  const obsDim = 3;
  const paths = makePaths(42, [20, 35, 12, 50], obsDim);
  const config = referenceAdvantageConfig();
  const b = processBatch(paths, obsDim, config);
  // independent composition: fit, predict, GAE, concatenate
  const { coeffs } = fitLinearBaseline(paths, obsDim, 0.99);
  const raw = concat(paths.map((p) => {
    const v = predictLinearBaseline(coeffs, p.observations, obsDim, p.rewards.length);
    return gae(p.rewards, v, 0.99, 0.997);
  }));
  const sigma = populationStd(raw);
  assert.ok(Math.abs(b.advantageStd - sigma) < 1e-12 * sigma);
  assert.equal(b.advantageDivisor, b.advantageStd + 1e-8);
  let m = 0;
  for (const v of b.advantages) m += v;
  assert.ok(Math.abs(m / b.sampleCount) < 1e-12);
  assert.ok(Math.abs(populationStd(b.advantages) - 1) < 1e-7);
  const mean = raw.reduce((s, x) => s + x, 0) / raw.length;
  assertClose(b.advantages, raw.map((x) => (x - mean) / (sigma + 1e-8)), 1e-10);
  assert.equal(b.sampleCount, 117);
});

Deno.test("processBatch: reward-to-go with a linear baseline subtracts γ^h b_h", () => {
  const obsDim = 2;
  const gamma = 0.9;
  const paths = makePaths(8, [7, 4], obsDim);
  const config: AdvantageConfig = {
    estimator: "reward-to-go",
    gamma,
    gaeLambda: 1,
    baseline: "linear",
    normalize: false,
  };
  const b = processBatch(paths, obsDim, config);
  const { coeffs } = fitLinearBaseline(paths, obsDim, gamma);
  const expected = concat(paths.map((p) => {
    const L = p.rewards.length;
    const R = rewardToGo(p.rewards, gamma, "absolute");
    const v = predictLinearBaseline(coeffs, p.observations, obsDim, L);
    return R.map((x, h) => x - gamma ** h * v[h]);
  }));
  assertClose(b.advantages, expected, 1e-12);
  assert.equal(b.advantageStd, 1);
});

Deno.test("processBatch: GAE without a baseline is discountCumsum(r, γλ)", () => {
  const paths = makePaths(9, [5, 8], 1);
  const config: AdvantageConfig = {
    estimator: "gae",
    gamma: 0.9,
    gaeLambda: 0.5,
    baseline: "none",
    normalize: false,
  };
  const b = processBatch(paths, 1, config);
  const expected = concat(paths.map((p) => discountCumsum(p.rewards, 0.9 * 0.5)));
  assertClose(b.advantages, expected, 1e-15);
});

// ------------------------------------------------------------------------------------------
// Validation
// ------------------------------------------------------------------------------------------

function throwsNaming(fn: () => unknown, name: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RangeError, `expected a RangeError, got ${e}`);
    assert.ok(e.message.includes(name), `message "${e.message}" does not name ${name}`);
    assert.ok(!e.message.includes("\n"), "message is one line");
    return true;
  });
}

Deno.test("validation messages name the argument", () => {
  throwsNaming(() => discountedReturn(f64(1), 1.5), "gamma");
  throwsNaming(() => discountedReturn(f64(1), NaN), "gamma");
  throwsNaming(() => discountedReturn(f64(), 0.5), "rewards");
  throwsNaming(() => rewardToGo(f64(1), -0.1, "absolute"), "gamma");
  throwsNaming(() => rewardToGo(f64(1), 0.5, "other" as "absolute"), "mode");
  throwsNaming(() => discountCumsum(f64(1), Infinity), "factor");
  throwsNaming(() => gae(f64(1, 2), f64(1), 0.5, 0.5), "values");
  throwsNaming(() => gae(f64(1, 2), f64(1, 1), 0.5, 1.01), "lambda");
  throwsNaming(() => baselineFeatures(f64(1, 2), 0, 2), "obsDim");
  throwsNaming(() => baselineFeatures(f64(1, 2), 1.5, 2), "obsDim");
  throwsNaming(() => baselineFeatures(f64(1, 2, 3), 2, 2), "observations");
  throwsNaming(() => predictLinearBaseline(f64(1, 2), f64(1), 1, 1), "coeffs");
  throwsNaming(() => normalize(f64()), "x");
  const path = { observations: f64(1, 2), rewards: f64(1) };
  throwsNaming(() => fitLinearBaseline([path], 1, 0.9), "paths[0].observations");
  throwsNaming(() => fitLinearBaseline([], 1, 0.9), "paths");
  throwsNaming(
    () => fitLinearBaseline([{ observations: f64(1), rewards: f64(1) }], 1, 0.9, { regCoeff: -1 }),
    "regCoeff",
  );
  throwsNaming(
    () => fitLinearBaseline([{ observations: f64(1), rewards: f64(1) }], 1, 0.9, { retries: 0 }),
    "retries",
  );
  throwsNaming(() => solveRidgeWithRetries(f64(1), f64(1), 1, 0, 0), "retries");
  throwsNaming(() => rawAdvantageConfig(2), "gamma");
  throwsNaming(() => referenceAdvantageConfig(0.99, 2), "gaeLambda");
  const ok = { observations: f64(1), rewards: f64(1) };
  throwsNaming(
    () => processBatch([ok], 1, { ...rawAdvantageConfig(0.9), gaeLambda: -1 }),
    "gaeLambda",
  );
  throwsNaming(() => processBatch([ok], 1, { ...rawAdvantageConfig(0.9), gamma: 3 }), "gamma");
  throwsNaming(
    () => processBatch([ok], 1, { ...rawAdvantageConfig(0.9), estimator: "x" as "gae" }),
    "estimator",
  );
  throwsNaming(
    () => processBatch([ok], 1, { ...rawAdvantageConfig(0.9), baseline: "x" as "none" }),
    "baseline",
  );
  throwsNaming(() => processBatch([ok], 0, rawAdvantageConfig(0.9)), "obsDim");
});
