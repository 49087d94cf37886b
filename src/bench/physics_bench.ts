/**
 * Sampling throughput on the MuJoCo tasks on either physics engine, measured the way training
 * samples (the paper's policy in the loop, every trajectory through the sampler), beside the native MuJoCo library's own rate on
 * the same model file (`mujoco-testspeed` from Debian's libmujoco-samples), and where single-thread
 * sampling time goes: the engine's steps, the episodes' resets, the policy, and the rest.
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
import { allJobs, gaussianSampling } from "../estimators/sampler.ts";
import { profileSampling } from "./sampling_bench.ts";
import { median } from "../core/stats.ts";

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
 * native library's rate on the same model (paired with each one-worker batch), and where
 * single-thread sampling time goes: the engine's steps, the episodes' resets, the policy (the
 * clock reads around the engine's calls fall in the rest).
 */
export async function benchPhysics(
  id: LocomotionId,
  options: PhysicsBenchOptions,
): Promise<PhysicsBenchResult> {
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
  // The native library's rate, measured before each timed one-worker batch.
  const testspeed: number[] = [], ratios: number[] = [];
  for (const workers of options.workers) {
    const sampler = workerSampler(workers);
    try {
      await sampler.sample(request(0), jobs);
      const rates: number[] = [];
      for (let r = 1; r <= options.repeats; r++) {
        const native = workers === 1 ? await nativeStepsPerSecond(modelFile) : null;
        const start = performance.now();
        await sampler.sample(request(r), jobs);
        rates.push(physicsSteps / ((performance.now() - start) / 1000));
        if (native !== null) {
          testspeed.push(native);
          ratios.push(rates[rates.length - 1] / native);
        }
      }
      scaling[String(workers)] = median(rates);
    } finally {
      sampler.close();
    }
  }
  if (testspeed.length === 0) {
    const native = await nativeStepsPerSecond(modelFile);
    if (native !== null) testspeed.push(native);
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
  const native = testspeed.length === 0 ? null : median(testspeed);
  return {
    physics,
    frameSkip,
    physicsStepsPerSecondPerWorker: perWorker,
    scaling,
    policyShare: median(shares.policy),
    engineShare: median(shares.step),
    resetShare: median(shares.reset),
    nativeStepsPerSecond: native,
    ratioToNative: ratios.length > 0 ? median(ratios) : null,
    engineRatioToNative: native === null ? null : physicsSteps / median(stepSeconds) / native,
  };
}

/** The native command the benchmark compares with. */
export const NATIVE_TESTSPEED = "mujoco-testspeed";

/**
 * Steps per second of the native MuJoCo library on `model`: `mujoco-testspeed MODEL 100000 1 0.01`
 * (100,000 steps, one thread, control noise 0.01). Null when the command is not installed.
 */
export async function nativeStepsPerSecond(model: URL): Promise<number | null> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(NATIVE_TESTSPEED, {
      args: [decodeURIComponent(model.pathname), "100000", "1", "0.01"],
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
