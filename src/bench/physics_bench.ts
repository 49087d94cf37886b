/**
 * Sampling throughput on the MuJoCo tasks on either physics engine, measured the way training
 * samples (the paper's policy in the loop, every trajectory through the sampler), beside the native MuJoCo library's own rate on
 * the same model file (`mujoco-testspeed` from Debian's libmujoco-samples).
 *
 * @module
 */
import { LOCOMOTION_TASKS, type LocomotionId, modelUrl } from "../envs/locomotion.ts";
import { loadTaskFamily } from "../envs/registry.ts";
import type { PhysicsEngine } from "../envs/physics.ts";
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
  /** Fraction of single-thread sampling time spent evaluating the policy. */
  readonly policyShare: number;
  /** `mujoco-testspeed MODEL 100000 1 0.01` on the same model, or null when it is not installed. */
  readonly nativeStepsPerSecond: number | null;
  /** physicsStepsPerSecondPerWorker / nativeStepsPerSecond, or null. */
  readonly ratioToNative: number | null;
}

/**
 * Physics steps per second that one sampling batch of `id` achieves with each worker count, the
 * policy's share of single-thread time, and the native library's rate on the same model.
 */
export async function benchPhysics(
  id: LocomotionId,
  options: PhysicsBenchOptions,
): Promise<PhysicsBenchResult> {
  const physics = options.physics ?? "wasm";
  const family = await loadTaskFamily(id, physics);
  const frameSkip = LOCOMOTION_TASKS[id].frameSkip;
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
  for (const workers of options.workers) {
    const sampler = workerSampler(workers);
    try {
      await sampler.sample(request(0), jobs);
      const rates: number[] = [];
      for (let r = 1; r <= options.repeats; r++) {
        const start = performance.now();
        await sampler.sample(request(r), jobs);
        rates.push(physicsSteps / ((performance.now() - start) / 1000));
      }
      scaling[String(workers)] = median(rates);
    } finally {
      sampler.close();
    }
  }
  // The policy's share: the same batch in this thread, with the policy's time counted apart.
  const { policyShare } = profileSampling(
    { ...request(0), family, policy: gaussianSampling(spec) },
    jobs,
  );
  const perWorker = scaling["1"] ?? NaN;
  const native = await nativeStepsPerSecond(modelUrl(LOCOMOTION_TASKS[id].model));
  return {
    physics,
    frameSkip,
    physicsStepsPerSecondPerWorker: perWorker,
    scaling,
    policyShare,
    nativeStepsPerSecond: native,
    ratioToNative: native === null ? null : perWorker / native,
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
