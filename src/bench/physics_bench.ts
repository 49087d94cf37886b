/**
 * Sampling throughput on the MuJoCo tasks on either physics engine, measured the way training
 * samples (the paper's policy in the loop, every trajectory through the sampler), beside the native
 * MuJoCo library's own rate on the same model file (`mujoco-testspeed` from Debian's
 * libmujoco-samples, at its default control noise and at controls as large as the policy's: the
 * engine's cost per step grows with the controls), and where single-thread sampling time goes: the
 * engine's steps, the episodes' resets, the policy, and the rest.
 *
 * @module
 */
import {
  LOCOMOTION_TASKS,
  locomotionFamily,
  type LocomotionId,
  modelUrl,
  sharedModel,
} from "../envs/locomotion.ts";
import {
  type PhysicsEngine,
  type PhysicsModel,
  stateView,
  wrappedPhysics,
} from "../envs/physics.ts";
import { workerSampler } from "../threads/parallel_sampler.ts";
import { initPolicyParams, type PolicySpec } from "../estimators/policy.ts";
import { stream } from "../core/rng.ts";
import { allJobs, gaussianSampling, type Path } from "../estimators/sampler.ts";
import { scaleAction } from "../envs/env.ts";
import { profileSampling } from "./sampling_bench.ts";
import { median } from "../core/stats.ts";
import type { DensePrecision } from "../kernels/dense_simd.ts";

/** The batch one measurement samples. */
export interface PhysicsBenchOptions {
  readonly tasks: number;
  readonly trajectoriesPerTask: number;
  readonly horizon: number;
  /** Hidden layers of the ReLU policy in the loop (the paper's: [100, 100]). */
  readonly hidden: readonly number[];
  /** Worker counts to time (each with `workerSampler(workers)`, so 1 is one worker thread too). */
  readonly workers: readonly number[];
  /** Timed repetitions per worker count (the median is kept), after one warm-up. */
  readonly repeats: number;
  /** The physics engine (default wasm). */
  readonly physics?: PhysicsEngine;
  /** The precision the policy samples in (default float64, as the configuration's). */
  readonly samplingPrecision?: DensePrecision;
}

/** Throughput of one task. */
export interface PhysicsBenchResult {
  /** The physics engine measured. */
  readonly physics: PhysicsEngine;
  readonly frameSkip: number;
  /** Physics steps (environment steps × frame skip) per second with one sampling worker. */
  readonly physicsStepsPerSecondPerWorker: number;
  /** Total physics steps per second, by worker count. */
  readonly scaling: Record<string, number>;
  /** Fraction of single-thread sampling time spent evaluating the policy (median over repeats). */
  readonly policyShare: number;
  /** Fraction of single-thread sampling time inside the engine's physics steps. */
  readonly engineShare: number;
  /** Fraction of single-thread sampling time in the episodes' resets (reset, then forward). */
  readonly resetShare: number;
  /**
   * `mujoco-testspeed MODEL 100000 1 0.01` on the same model (the median of one run before each
   * timed one-worker batch), or null when it is not installed.
   */
  readonly nativeStepsPerSecond: number | null;
  /**
   * The median over the one-worker batches of their rate over the testspeed run just before
   * (paired, so that the machine's drift between runs cancels); null without testspeed or without
   * 1 among the worker counts.
   */
  readonly ratioToNative: number | null;
  /**
   * The engine's own rate inside the sampling loop (physics steps over the seconds inside its
   * step calls) over nativeStepsPerSecond, or null: what the engine costs, without the policy,
   * the resets and the sampler around it.
   */
  readonly engineRatioToNative: number | null;
  /**
   * The same comparisons with testspeed driving the model with controls as large as the policy's
   * ({@linkcode policyControlNoise} of the batch): the engine's cost depends on the controls (more
   * motion, more work per step), and testspeed's default noise of 0.01 barely moves the model.
   * Null without testspeed.
   */
  readonly atPolicyControls: NativeComparison | null;
}

/** The native library's rate at one control noise, and the sampling loop's over it. */
export interface NativeComparison {
  /** testspeed's `ctrlnoise` argument. */
  readonly ctrlnoise: number;
  /** testspeed's steps per second (the median of the runs before the one-worker batches). */
  readonly nativeStepsPerSecond: number;
  /** Median of the paired one-worker ratios, or null without 1 among the worker counts. */
  readonly ratioToNative: number | null;
  /** The engine's rate inside the sampling loop's step calls over nativeStepsPerSecond. */
  readonly engineRatioToNative: number;
}

/**
 * The `ctrlnoise` argument with which `mujoco-testspeed`'s controls have the root mean square of
 * `paths`' controls: testspeed sets each control to its range's centre plus ctrlnoise × half the
 * range × a uniform (Halton) number in [−1, 1], whose root mean square is ctrlnoise / √3; so this
 * is √3 times the controls' root mean square in units of half their range, about that centre
 * (clamped to testspeed's [0, 1], three significant digits).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policyControlNoise } from "./physics_bench.ts";
 * // Raw actions ±1 on the policy's [−10, 10] box are controls ±0.1 on [−1, 1]: √3 · 0.1.
 * const actions = new Float64Array([1, -1, -1, 1]);
 * const path = { observations: new Float64Array(2), actions, rewards: new Float64Array(2), length: 2 };
 * assert.equal(policyControlNoise([path], [-1, -1], [1, 1]), 0.173);
 * ```
 */
export function policyControlNoise(
  paths: readonly Path[],
  low: readonly number[],
  high: readonly number[],
): number {
  const d = low.length, control = new Float64Array(d);
  let sum = 0, count = 0;
  for (const path of paths) {
    for (let t = 0; t < path.length; t++) {
      scaleAction(path.actions.subarray(t * d, (t + 1) * d), low, high, control);
      for (let j = 0; j < d; j++) {
        const centred = (control[j] - (high[j] + low[j]) / 2) / ((high[j] - low[j]) / 2);
        sum += centred * centred;
        count++;
      }
    }
  }
  if (count === 0) throw new RangeError("policyControlNoise: the paths hold no steps");
  const noise = Math.sqrt(3 * sum / count);
  return Math.min(1, Number(noise.toPrecision(3)));
}

/** Seconds spent inside a {@linkcode timedPhysics} model's states, by operation. */
export interface EngineSeconds {
  /** Inside `step`. */
  step: number;
  /** Inside `reset` and `forward` (an episode's start). */
  reset: number;
}

/**
 * `model` with every borrowed state's operations timed into `seconds` (the states, their arrays
 * and the results are the model's own: the wrapper only reads the clock around each call).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timedPhysics } from "./physics_bench.ts";
 * import { sharedModel } from "../envs/locomotion.ts";
 * const seconds = { step: 0, reset: 0 };
 * const physics = timedPhysics(await sharedModel("swimmer.xml"), seconds);
 * const state = physics.acquire();
 * state.reset();
 * state.forward();
 * state.step(100);
 * physics.release(state);
 * assert.ok(seconds.step > 0 && seconds.reset > 0);
 * ```
 */
export function timedPhysics(model: PhysicsModel, seconds: EngineSeconds): PhysicsModel {
  const timed = (operation: keyof EngineSeconds, f: () => void) => {
    const start = performance.now();
    f();
    seconds[operation] += (performance.now() - start) / 1000;
  };
  return wrappedPhysics(
    {
      engine: model.engine,
      source: model.source,
      nq: model.nq,
      nv: model.nv,
      nu: model.nu,
      timestep: model.timestep,
      allocated: () => model.allocated,
      free: () => model.free(),
    },
    () => model.acquire(),
    (state) => model.release(state),
    (state) =>
      stateView(state, {
        reset: () => timed("reset", () => state.reset()),
        forward: () => timed("reset", () => state.forward()),
        step: (steps) => timed("step", () => state.step(steps)),
      }),
  );
}

/**
 * Physics steps per second that one sampling batch of `id` achieves with each worker count, the
 * native library's rate on the same model (paired with each one-worker batch; at testspeed's
 * default control noise and at controls as large as the batch's, {@linkcode policyControlNoise}),
 * and where
 * single-thread sampling time goes: the engine's steps, the episodes' resets, the policy (the
 * clock reads around the engine's calls fall in the rest).
 */
export async function benchPhysics(
  id: LocomotionId,
  options: PhysicsBenchOptions,
): Promise<PhysicsBenchResult> {
  if (options.workers.length === 0) {
    throw new RangeError("benchPhysics: workers must name at least one worker count");
  }
  const physics = options.physics ?? "wasm";
  const locomotion = LOCOMOTION_TASKS[id];
  const model = await sharedModel(locomotion.model, physics);
  const family = locomotionFamily(locomotion, model);
  const frameSkip = locomotion.frameSkip;
  const modelFile = modelUrl(locomotion.model);
  const spec: PolicySpec = {
    obsDim: family.obsDim,
    actDim: family.actDim,
    hidden: [...options.hidden],
    activation: "relu",
    initStd: 1,
    ...(options.samplingPrecision === undefined
      ? {}
      : { samplingPrecision: options.samplingPrecision }),
  };
  const params = initPolicyParams(spec, 0);
  const tasks = Array.from(
    { length: options.tasks },
    (_, task) => family.sampleTask(stream({ seed: 0, purpose: "task", task })),
  );
  const jobs = allJobs(options.tasks, options.trajectoriesPerTask);
  const physicsSteps = jobs.length * options.horizon * frameSkip;
  const request = (iteration: number) => ({
    env: id,
    physics,
    policy: spec,
    tasks,
    params: tasks.map(() => params),
    horizon: options.horizon,
    seed: 0,
    purpose: "action" as const,
    iteration,
    phase: 0,
  });
  const scaling: Record<string, number> = {};
  // The controls' size, from the warm-up batch (every worker count samples the same batch).
  let ctrlnoise: number | null = null;
  // The native library's rate at testspeed's default noise and at the policy's, measured before
  // each timed one-worker batch.
  const testspeed = { default: [] as number[], policy: [] as number[] };
  const ratios = { default: [] as number[], policy: [] as number[] };
  const native = async () => {
    const atDefault = await nativeStepsPerSecond(modelFile);
    return atDefault === null
      ? null
      : { default: atDefault, policy: (await nativeStepsPerSecond(modelFile, ctrlnoise!))! };
  };
  for (const workers of options.workers) {
    const sampler = workerSampler(workers);
    try {
      const warmUp = await sampler.sample(request(0), jobs);
      ctrlnoise ??= policyControlNoise(warmUp, family.actionLow, family.actionHigh);
      const rates: number[] = [];
      for (let r = 1; r <= options.repeats; r++) {
        const nativeRates = workers === 1 ? await native() : null;
        const start = performance.now();
        await sampler.sample(request(r), jobs);
        const rate = physicsSteps / ((performance.now() - start) / 1000);
        rates.push(rate);
        if (nativeRates !== null) {
          for (const at of ["default", "policy"] as const) {
            testspeed[at].push(nativeRates[at]);
            ratios[at].push(rate / nativeRates[at]);
          }
        }
      }
      scaling[String(workers)] = median(rates);
    } finally {
      sampler.close();
    }
  }
  if (testspeed.default.length === 0) {
    const nativeRates = await native();
    if (nativeRates !== null) {
      testspeed.default.push(nativeRates.default);
      testspeed.policy.push(nativeRates.policy);
    }
  }
  // Where single-thread time goes: the same batch in this thread, the policy's time and the
  // engine's (steps; resets) counted apart; one warm-up, then the median of the repeats.
  const engine: EngineSeconds = { step: 0, reset: 0 };
  const timedFamily = locomotionFamily(locomotion, timedPhysics(model, engine));
  const shares = { policy: [] as number[], step: [] as number[], reset: [] as number[] };
  const stepSeconds: number[] = [];
  for (let r = 0; r <= options.repeats; r++) {
    engine.step = 0;
    engine.reset = 0;
    const p = profileSampling(
      { ...request(r), family: timedFamily, policy: gaussianSampling(spec) },
      jobs,
    );
    if (r === 0) continue;
    shares.policy.push(p.policyShare);
    shares.step.push(engine.step / p.seconds);
    shares.reset.push(engine.reset / p.seconds);
    stepSeconds.push(engine.step);
  }
  const perWorker = scaling["1"] ?? NaN;
  const engineRate = physicsSteps / median(stepSeconds);
  const compared = (at: "default" | "policy"): NativeComparison | null => {
    if (testspeed[at].length === 0) return null;
    const nativeRate = median(testspeed[at]);
    return {
      ctrlnoise: at === "default" ? TESTSPEED_CTRLNOISE : ctrlnoise!,
      nativeStepsPerSecond: nativeRate,
      ratioToNative: ratios[at].length > 0 ? median(ratios[at]) : null,
      engineRatioToNative: engineRate / nativeRate,
    };
  };
  const atDefault = compared("default");
  return {
    physics,
    frameSkip,
    physicsStepsPerSecondPerWorker: perWorker,
    scaling,
    policyShare: median(shares.policy),
    engineShare: median(shares.step),
    resetShare: median(shares.reset),
    nativeStepsPerSecond: atDefault?.nativeStepsPerSecond ?? null,
    ratioToNative: atDefault?.ratioToNative ?? null,
    engineRatioToNative: atDefault?.engineRatioToNative ?? null,
    atPolicyControls: compared("policy"),
  };
}

/** The native command the benchmark compares with. */
export const NATIVE_TESTSPEED = "mujoco-testspeed";

/** testspeed's own default control noise. */
export const TESTSPEED_CTRLNOISE = 0.01;

/**
 * Steps per second of the native MuJoCo library on `model`: `mujoco-testspeed MODEL 100000 1
 * CTRLNOISE` (100,000 steps, one thread, control noise `ctrlnoise`, by default testspeed's 0.01).
 * Null when the command is not installed.
 */
export async function nativeStepsPerSecond(
  model: URL,
  ctrlnoise: number = TESTSPEED_CTRLNOISE,
): Promise<number | null> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(NATIVE_TESTSPEED, {
      args: [decodeURIComponent(model.pathname), "100000", "1", String(ctrlnoise)],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const text = new TextDecoder().decode(output.stdout);
  const match = /Steps per second\s*:\s*([0-9.]+)/.exec(text);
  if (!output.success || match === null) {
    throw new Error(
      `${NATIVE_TESTSPEED} failed on ${model.pathname}: ${
        new TextDecoder().decode(output.stderr).trim() || text.trim()
      }`,
    );
  }
  return Number(match[1]);
}
