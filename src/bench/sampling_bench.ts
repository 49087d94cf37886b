/**
 * Where sampling time goes: a sampling request in the calling thread with the policy's time counted
 * apart, and the 2D-navigation paper batch sampled with the sampler's float64 forward pass beside
 * the plain loop it replaced (same bits, tested in test/policy_test.ts).
 *
 * @module
 */
import { nav2d, type Nav2dTask } from "../envs/nav2d.ts";
import { initPolicyParams, type PolicyParams, type PolicySpec } from "../estimators/policy.ts";
import {
  allJobs,
  gaussianSampling,
  type Path,
  type SampleJob,
  samplePaths,
  type SampleRequest,
  type SamplingPolicy,
} from "../estimators/sampler.ts";
import { stream } from "../core/rng.ts";
import { environmentDims } from "../envs/registry.ts";
import { PAPER_NAV2D } from "../training/config.ts";
import { median } from "../core/stats.ts";

/** Seconds of one sampling call in this thread, and the part spent in the policy. */
export interface SamplingProfile {
  readonly seconds: number;
  readonly policySeconds: number;
  /** policySeconds / seconds. */
  readonly policyShare: number;
}

/**
 * Sample `jobs` of `request` in this thread, timing the policy's `act` calls apart.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { profileSampling } from "./sampling_bench.ts";
 * import { allJobs, gaussianSampling } from "../estimators/sampler.ts";
 * import { initPolicyParams } from "../estimators/policy.ts";
 * import { nav2d } from "../envs/nav2d.ts";
 * const spec = { obsDim: 2, actDim: 2, hidden: [16], activation: "relu", initStd: 1 } as const;
 * const p = profileSampling({ family: nav2d, policy: gaussianSampling(spec),
 *   tasks: [{ goal: [0.2, 0.1] }], params: [initPolicyParams(spec, 0)], horizon: 20, seed: 0,
 *   purpose: "action", iteration: 0, phase: 0 }, allJobs(1, 4));
 * assert.ok(p.policySeconds <= p.seconds && p.policyShare >= 0 && p.policyShare <= 1);
 * ```
 */
export function profileSampling<Task>(
  request: SampleRequest<Task>,
  jobs: readonly SampleJob[],
  keep?: (paths: Path[]) => void,
): SamplingProfile {
  let policySeconds = 0;
  const { policy } = request;
  const timedCall = <A extends unknown[]>(f: (...args: A) => void) => (...args: A) => {
    const start = performance.now();
    f(...args);
    policySeconds += (performance.now() - start) / 1000;
  };
  const timed: SamplingPolicy = {
    actDim: policy.actDim,
    act: timedCall((params, obs, rows, noise, out) => policy.act(params, obs, rows, noise, out)),
  };
  if (policy.bind !== undefined) {
    const bind = policy.bind;
    timed.bind = (params) => {
      const start = performance.now();
      const bound = bind(params);
      policySeconds += (performance.now() - start) / 1000;
      return timedCall(bound);
    };
  }
  const start = performance.now();
  const paths = samplePaths({ ...request, policy: timed }, jobs);
  const seconds = (performance.now() - start) / 1000;
  keep?.(paths);
  return { seconds, policySeconds, policyShare: policySeconds / seconds };
}

/**
 * The sampler's forward pass as it was first written: one output row at a time, every product
 * added into memory, zero inputs skipped; in float64, or in float32 where the spec's
 * `samplingPrecision` says so (the input, every product, sum and activation rounded to float32).
 * `meanActions` (src/estimators) gives the same bits faster; this is the baseline of the comparison
 * (and the oracle of its test).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plainLoopMean } from "./sampling_bench.ts";
 * import { meanActions } from "../estimators/policy.ts";
 * const spec = { obsDim: 1, actDim: 1, hidden: [2], activation: "relu", initStd: 1 } as const;
 * const params = [new Float32Array([1, -1]), new Float32Array([0, 0]), new Float32Array([2, 3]),
 *   new Float32Array([0.5]), new Float32Array([0])];
 * // ReLU(x·[1, −1]) · [2, 3] + 0.5 at x = −2: 0·2 + 2·3 + 0.5
 * const x = new Float64Array([-2]);
 * assert.equal(plainLoopMean(spec, params, x, 1)[0], 6.5, "by hand");
 * assert.equal(meanActions(spec, params, x, 1)[0], 6.5, "the same");
 * // In float32, 0.1 is rounded first: 0 + 3·fround(0.1) rounded, + 0.5 rounded.
 * const f32 = { ...spec, samplingPrecision: "float32" } as const;
 * const y = plainLoopMean(f32, params, new Float64Array([-0.1]), 1)[0];
 * assert.equal(y, Math.fround(0.5 + Math.fround(3 * Math.fround(0.1))), `${y}`);
 * ```
 */
export function plainLoopMean(
  spec: PolicySpec,
  params: PolicyParams,
  obs: Float64Array,
  rows: number,
): Float64Array {
  const sizes = [spec.obsDim, ...spec.hidden, spec.actDim];
  const single = spec.samplingPrecision === "float32";
  const values = (n: number) => single ? new Float32Array(n) : new Float64Array(n);
  let input: Float64Array | Float32Array = single ? Float32Array.from(obs) : obs;
  for (let k = 0; k + 1 < sizes.length; k++) {
    const nIn = sizes[k], nOut = sizes[k + 1];
    const w = params[2 * k], b = params[2 * k + 1];
    const out = values(rows * nOut);
    for (let r = 0; r < rows; r++) {
      const o = r * nOut, x = r * nIn;
      for (let j = 0; j < nOut; j++) out[o + j] = b[j];
      for (let i = 0; i < nIn; i++) {
        const xi = input[x + i];
        if (xi === 0) continue;
        // A float32 product is exact in float64 and then rounded once; the sum is rounded to
        // float64 and then to float32, which for a sum of two float32 values is the float32 sum.
        if (single) {
          for (let j = 0; j < nOut; j++) out[o + j] += Math.fround(xi * w[i * nOut + j]);
        } else for (let j = 0; j < nOut; j++) out[o + j] += xi * w[i * nOut + j];
      }
      if (k + 2 < sizes.length) {
        for (let j = 0; j < nOut; j++) {
          if (spec.activation === "relu") {
            if (out[o + j] < 0) out[o + j] = 0;
          } else out[o + j] = Math.tanh(out[o + j]);
        }
      }
    }
    input = out;
  }
  return single ? Float64Array.from(input) : input as Float64Array;
}

/** The 2D-navigation paper batch's sampling, with the sampler's pass and with the plain loop. */
export interface Nav2dSamplingBench {
  /** Median over the repetitions, with the sampler's forward pass (WebAssembly SIMD, float64). */
  readonly wasm: SamplingProfile;
  /** The same with {@linkcode plainLoopMean}. */
  readonly plain: SamplingProfile;
  /** The sampler's forward pass in float32 (`samplingPrecision: "float32"`; other trajectories). */
  readonly float32: SamplingProfile;
  /** plain.seconds / wasm.seconds, and the same for the policy's time alone. */
  readonly speedup: number;
  readonly policySpeedup: number;
  /** wasm.seconds / float32.seconds, and the same for the policy's time alone. */
  readonly float32Speedup: number;
  readonly float32PolicySpeedup: number;
}

/**
 * One phase of the 2D-navigation paper batch (20 tasks × 20 trajectories × 100 steps, 100-100 ReLU
 * policy) sampled in this thread, alternating the sampler's float64 forward pass, the plain loop
 * and the float32 forward pass, `repeats` times each after a warm-up; medians.
 */
export function benchNav2dSampling(repeats: number): Nav2dSamplingBench {
  const spec: PolicySpec = { ...environmentDims("nav2d"), ...PAPER_NAV2D.policy };
  const params = initPolicyParams(spec, 0);
  const tasks: Nav2dTask[] = Array.from(
    { length: 20 },
    (_, task) => nav2d.sampleTask(stream({ seed: 0, purpose: "task", task })),
  );
  const jobs = allJobs(20, 20);
  const policies = {
    wasm: gaussianSampling(spec),
    plain: gaussianSampling(
      spec,
      (s, p) => (obs: Float64Array, rows: number) => plainLoopMean(s, p, obs, rows),
    ),
    float32: gaussianSampling({ ...spec, samplingPrecision: "float32" }),
  };
  const request = (policy: SamplingPolicy, iteration: number): SampleRequest<Nav2dTask> => ({
    family: nav2d,
    policy,
    tasks,
    params: tasks.map(() => params),
    horizon: 100,
    seed: 0,
    purpose: "action",
    iteration,
    phase: 0,
  });
  const runs = {
    wasm: [] as SamplingProfile[],
    plain: [] as SamplingProfile[],
    float32: [] as SamplingProfile[],
  };
  for (let r = 0; r <= repeats; r++) {
    for (const name of ["wasm", "plain", "float32"] as const) {
      const profile = profileSampling(request(policies[name], r), jobs);
      if (r > 0) runs[name].push(profile);
    }
  }
  const med = (runs: SamplingProfile[]): SamplingProfile => {
    const seconds = median(runs.map((p) => p.seconds));
    const policySeconds = median(runs.map((p) => p.policySeconds));
    return { seconds, policySeconds, policyShare: median(runs.map((p) => p.policyShare)) };
  };
  const w = med(runs.wasm), p = med(runs.plain), f = med(runs.float32);
  return {
    wasm: w,
    plain: p,
    float32: f,
    speedup: p.seconds / w.seconds,
    policySpeedup: p.policySeconds / w.policySeconds,
    float32Speedup: w.seconds / f.seconds,
    float32PolicySpeedup: w.policySeconds / f.policySeconds,
  };
}
