/**
 * Trajectory sampling: a fixed number of trajectories per task, for given parameters per task.
 *
 * Every trajectory is a job identified by (task, trajectory). Its action noise comes from the stream
 * {seed, purpose, iteration, task, phase, trajectory} and its reset noise from the matching reset
 * stream, and its policy evaluations depend on its own observations alone, so the bytes of a path
 * do not depend on which jobs are sampled together, in which order, or in how many shards.
 *
 * @module
 */
import type { PhysicsEngine } from "../envs/physics.ts";
import { type Episode, scaleAction, type TaskFamily } from "../envs/env.ts";
import { policyForward, type PolicyParams, type PolicySpec } from "./policy.ts";
import { type Purpose, type RandomStream, stream } from "../core/rng.ts";

/**
 * One sampled trajectory. Arrays are row-major: `length` rows of obsDim / actDim values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Path } from "./sampler.ts";
 * import { discountedReturn } from "./returns.ts";
 * // Two steps of a task with 2-dimensional observations and 1-dimensional actions.
 * const path: Path = {
 *   observations: new Float64Array([0, 0, 0.1, 0]), actions: new Float64Array([1, -1]),
 *   rewards: new Float64Array([-1, -0.5]), length: 2,
 * };
 * assert.equal(discountedReturn(path.rewards, 1), -1.5, "return");
 * ```
 */
export interface Path {
  /** s_0 … s_{L−1}: the observation before each action. */
  readonly observations: Float64Array;
  /** a_0 … a_{L−1}: the policy's raw actions (before scaling to the environment's box). */
  readonly actions: Float64Array;
  /** r_0 … r_{L−1}. */
  readonly rewards: Float64Array;
  /** L: the number of steps (≤ horizon; fewer when the episode ended early). */
  readonly length: number;
}

/**
 * Identifies one trajectory of a sampling request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allJobs, type SampleJob } from "./sampler.ts";
 * // The third trajectory of the second task only: its bytes do not depend on the others.
 * const jobs: SampleJob[] = [{ task: 1, trajectory: 2 }];
 * assert.equal(allJobs(2, 3)[5].trajectory, jobs[0].trajectory, "the same job");
 * ```
 */
export interface SampleJob {
  /** Index into the request's task list. */
  readonly task: number;
  /** Index of the trajectory within its task. */
  readonly trajectory: number;
}

/**
 * How a policy turns observations into actions while sampling.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allJobs, samplePaths, type SamplingPolicy } from "./sampler.ts";
 * import { nav2d } from "../envs/nav2d.ts";
 * // An own sampling policy: always a full step right (raw actions in [−10, 10] are scaled to the
 * // family's box, ±0.1 for 2D navigation).
 * const right: SamplingPolicy = {
 *   actDim: 2,
 *   act: (_params, _obs, rows, _noise, out) => {
 *     for (let k = 0; k < rows; k++) out.set([10, 0], 2 * k);
 *   },
 * };
 * const [path] = samplePaths({
 *   family: nav2d, policy: right, tasks: [{ goal: [0.25, 0] }], params: [[]], horizon: 2, seed: 0,
 *   purpose: "action", iteration: 0, phase: 0,
 * }, allJobs(1, 1));
 * assert.ok(Math.abs(path.rewards[1] + 0.05) <= 1e-12, "0.05 from the goal after 2 steps");
 * ```
 */
export interface SamplingPolicy {
  /** Width of one action row. */
  readonly actDim: number;
  /**
   * Write raw actions for `rows` observations (row-major) into `out` (rows × actDim). Row k
   * draws only from `noise[k]` and depends only on its own observation, so a trajectory's actions
   * do not depend on which trajectories share the call.
   */
  act(
    params: PolicyParams,
    obs: Float64Array,
    rows: number,
    noise: readonly RandomStream[],
    out: Float64Array,
  ): void;
  /**
   * Optionally, `act` for fixed `params`, prepared once: the sampler calls it once per task and
   * uses the result for every step of that task's trajectories. It must act exactly as `act`.
   */
  bind?(params: PolicyParams): BoundAct;
}

/**
 * {@linkcode SamplingPolicy.act} with its parameters fixed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BoundAct, gaussianSampling } from "./sampler.ts";
 * import { initPolicyParams } from "./policy.ts";
 * import { stream } from "../core/rng.ts";
 * const spec = { obsDim: 2, actDim: 2, hidden: [8], activation: "relu", initStd: 1 } as const;
 * const params = initPolicyParams(spec, 0);
 * const policy = gaussianSampling(spec);
 * const act: BoundAct = policy.bind!(params);
 * const obs = new Float64Array([0.1, 0.2]), bound = new Float64Array(2), plain = new Float64Array(2);
 * act(obs, 1, [stream({ seed: 1, purpose: "action" })], bound);
 * policy.act(params, obs, 1, [stream({ seed: 1, purpose: "action" })], plain);
 * assert.equal(bound.join(), plain.join(), "bound and unbound act alike");
 * ```
 */
export type BoundAct = (
  obs: Float64Array,
  rows: number,
  noise: readonly RandomStream[],
  out: Float64Array,
) => void;

/**
 * The Gaussian MLP of `spec` while sampling: a = μ_θ(s) + σ ⊙ ε, ε from the row's stream (one
 * normal per action dimension, in order), μ in float64 by `prepare`'s forward pass
 * ({@linkcode policyForward}, or another that gives its bits, for comparison).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianSampling } from "./sampler.ts";
 * import { stream } from "../core/rng.ts";
 * const spec = { obsDim: 1, actDim: 1, hidden: [], activation: "tanh", initStd: 1 } as const;
 * // μ = 2·s, σ = exp(log 0.5): a = 2·3 + 0.5·ε with ε the row's first normal.
 * const params = [new Float32Array([2]), new Float32Array([0]), new Float32Array([Math.log(0.5)])];
 * const out = new Float64Array(1);
 * const noise = () => stream({ seed: 0, purpose: "action", task: 0, trajectory: 0 });
 * gaussianSampling(spec).act(params, new Float64Array([3]), 1, [noise()], out);
 * const expected = 6 + Math.exp(Math.fround(Math.log(0.5))) * noise().normal();
 * assert.ok(Math.abs(out[0] - expected) <= 1e-12, `${out[0]} ≠ ${expected}`);
 * ```
 */
export function gaussianSampling(
  spec: PolicySpec,
  prepare: typeof policyForward = policyForward,
): SamplingPolicy {
  const bind = (params: PolicyParams): BoundAct => {
    const forward = prepare(spec, params);
    const std = Array.from(params[params.length - 1], (l) => Math.exp(l));
    const d = spec.actDim;
    return (obs, rows, noise, out) => {
      const mean = forward(obs, rows);
      for (let k = 0; k < rows; k++) {
        for (let j = 0; j < d; j++) out[k * d + j] = mean[k * d + j] + std[j] * noise[k].normal();
      }
    };
  };
  return {
    actDim: spec.actDim,
    act: (params, obs, rows, noise, out) => bind(params)(obs, rows, noise, out),
    bind,
  };
}

/**
 * What to sample: tasks, the parameters each task acts with, and the keys of the noise streams.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allJobs, gaussianSampling, samplePaths, type SampleRequest } from "./sampler.ts";
 * import { nav2d, type Nav2dTask } from "../envs/nav2d.ts";
 * import { initPolicyParams } from "./policy.ts";
 * const spec = { obsDim: 2, actDim: 2, hidden: [8], activation: "tanh", initStd: 1 } as const;
 * const request: SampleRequest<Nav2dTask> = {
 *   family: nav2d, policy: gaussianSampling(spec), tasks: [{ goal: [0.2, 0.2] }],
 *   params: [initPolicyParams(spec, 0)], horizon: 4, seed: 0, purpose: "action", iteration: 0,
 *   phase: 0,
 * };
 * const all = samplePaths(request, allJobs(1, 3));
 * const [third] = samplePaths(request, [{ task: 0, trajectory: 2 }]);
 * assert.equal(all[2].rewards.join(), third.rewards.join(), "a job alone, the same path");
 * ```
 */
export interface SampleRequest<Task> {
  readonly family: TaskFamily<Task>;
  /** How actions are drawn (see {@linkcode gaussianSampling}). */
  readonly policy: SamplingPolicy;
  readonly tasks: readonly Task[];
  /** Parameters per task (after adaptation each task acts with its own). */
  readonly params: readonly PolicyParams[];
  /** Maximum number of steps per trajectory. */
  readonly horizon: number;
  readonly seed: number;
  /**
   * "action" during training, "eval-action" during meta-test evaluation, "analysis-action" for
   * the estimator analysis's meta-batches, "validation-action" for the published protocol's
   * validations.
   */
  readonly purpose: SamplingPurpose;
  readonly iteration: number;
  /** Adaptation phase: t for the batch D_{t+1} drawn from θ^t; ζ for the outer batch. */
  readonly phase: number;
  /**
   * Added to a task's index in `tasks` to key its streams (default 0), so that a long list of tasks
   * can be sampled in rounds with every task's streams its own.
   */
  readonly taskOffset?: number;
}

/**
 * A sampling request that can cross a thread: a {@linkcode SampleRequest} whose family and policy
 * are named by data. Tasks are plain objects, as the family's `sampleTask` makes them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PortableSampleRequest } from "./sampler.ts";
 * import { createSampler } from "../threads/parallel_sampler.ts";
 * import { allJobs } from "./sampler.ts";
 * import { initPolicyParams } from "./policy.ts";
 * const policy = { obsDim: 2, actDim: 2, hidden: [8], activation: "tanh", initStd: 1 } as const;
 * // The family is named by its env id and the policy by its spec, so the request can cross threads.
 * const request: PortableSampleRequest = {
 *   env: "nav2d", policy, tasks: [{ goal: [0.3, -0.2] }], params: [initPolicyParams(policy, 0)],
 *   horizon: 5, seed: 0, purpose: "action", iteration: 0, phase: 0,
 * };
 * const sampler = createSampler(2);
 * const paths = await sampler.sample(request, allJobs(1, 4));
 * sampler.close();
 * assert.equal(paths.length, 4, "four trajectories");
 * ```
 */
export interface PortableSampleRequest extends Omit<SampleRequest<unknown>, "family" | "policy"> {
  /** The task family, resolved with `loadTaskFamily`. */
  readonly env: string;
  /** The physics engine of a MuJoCo family (default `wasm`; see src/envs/physics.ts). */
  readonly physics?: PhysicsEngine;
  /** The Gaussian MLP that acts (sampled with `gaussianSampling(spec)`). */
  readonly policy: PolicySpec;
  /** The experiment's id, for error messages only (a task module's errors name it). */
  readonly experiment?: string;
}

/** What trajectories are sampled for; each has action and reset streams of its own. */
export type SamplingPurpose = "action" | "eval-action" | "analysis-action" | "validation-action";

const RESET_PURPOSE: Record<SamplingPurpose, Purpose> = {
  "action": "reset",
  "eval-action": "eval-reset",
  "analysis-action": "analysis-reset",
  "validation-action": "validation-reset",
};

/**
 * The jobs `trajectories` trajectories for each of `tasks` tasks, task-major.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allJobs } from "./sampler.ts";
 * const jobs = allJobs(2, 2);
 * assert.equal(
 *   jobs.map((j) => `${j.task}.${j.trajectory}`).join(),
 *   "0.0,0.1,1.0,1.1",
 *   "task-major",
 * );
 * ```
 */
export function allJobs(tasks: number, trajectories: number): SampleJob[] {
  const jobs: SampleJob[] = [];
  for (let task = 0; task < tasks; task++) {
    for (let trajectory = 0; trajectory < trajectories; trajectory++) {
      jobs.push({ task, trajectory });
    }
  }
  return jobs;
}

interface Running {
  readonly task: number;
  readonly episode: Episode;
  readonly noise: RandomStream;
  readonly obs: number[];
  readonly act: number[];
  readonly rew: number[];
  done: boolean;
}

/**
 * Sample the paths of `jobs`, returned in the order of `jobs`.
 *
 * Trajectories of the same task are stepped in lockstep so that the policy is evaluated on many
 * rows at once; the result is the same as sampling each job alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allJobs, gaussianSampling, samplePaths } from "./sampler.ts";
 * import { nav2d } from "../envs/nav2d.ts";
 * import { initPolicyParams } from "./policy.ts";
 * const spec = { obsDim: 2, actDim: 2, hidden: [8], activation: "tanh", initStd: 1 } as const;
 * const params = initPolicyParams(spec, 0);
 * const paths = samplePaths({
 *   family: nav2d, policy: gaussianSampling(spec), tasks: [{ goal: [0.3, -0.2] }], params: [params], horizon: 5,
 *   seed: 0, purpose: "action", iteration: 0, phase: 0,
 * }, allJobs(1, 3));
 * assert.equal(paths.length, 3, "unexpected paths");
 * assert.equal(paths[0].length, 5, "unexpected paths");
 * ```
 */
export function samplePaths<Task>(
  request: SampleRequest<Task>,
  jobs: readonly SampleJob[],
): Path[] {
  const { family, horizon } = request;
  if (!Number.isInteger(horizon) || horizon <= 0) {
    throw new RangeError(`horizon must be a positive integer, got ${horizon}`);
  }
  if (request.params.length !== request.tasks.length) {
    throw new RangeError(
      `params must hold one parameter set per task (${request.tasks.length}), got ${request.params.length}`,
    );
  }
  const result: Path[] = new Array(jobs.length);
  const byTask = new Map<number, number[]>();
  jobs.forEach((job, j) => {
    if (!(job.task >= 0 && job.task < request.tasks.length)) {
      throw new RangeError(`job task index ${job.task} is out of range`);
    }
    const list = byTask.get(job.task) ?? [];
    list.push(j);
    byTask.set(job.task, list);
  });
  for (const [task, indices] of byTask) {
    const runs = indices.map((j) => startRun(request, task, jobs[j].trajectory));
    try {
      stepInLockstep(request, request.params[task], runs);
    } finally {
      for (const run of runs) run.episode.close?.();
    }
    indices.forEach((j, k) => result[j] = toPath(runs[k], family.obsDim, family.actDim));
  }
  return result;
}

function startRun<Task>(request: SampleRequest<Task>, task: number, trajectory: number): Running {
  const key = {
    seed: request.seed,
    iteration: request.iteration,
    task: (request.taskOffset ?? 0) + task,
    phase: request.phase,
    trajectory,
  };
  const episode = request.family.reset(
    request.tasks[task],
    stream({ ...key, purpose: RESET_PURPOSE[request.purpose] }),
  );
  return {
    task,
    episode,
    noise: stream({ ...key, purpose: request.purpose }),
    obs: [],
    act: [],
    rew: [],
    done: false,
  };
}

function stepInLockstep<Task>(
  request: SampleRequest<Task>,
  params: PolicyParams,
  runs: Running[],
): void {
  const { family, policy } = request;
  const { obsDim, actDim } = family;
  if (policy.actDim !== actDim) {
    throw new RangeError(`policy acts in ${policy.actDim} dimensions, ${family.id} in ${actDim}`);
  }
  const envAction = new Float64Array(actDim), rowAction = new Float64Array(actDim);
  const act: BoundAct = policy.bind?.(params) ??
    ((obs, rows, noise, out) => policy.act(params, obs, rows, noise, out));
  // The runs still going, their noise streams, and buffers for their rows (made again only when
  // a run ends).
  let active = runs;
  let noise = active.map((r) => r.noise);
  let obs = new Float64Array(active.length * obsDim);
  let actions = new Float64Array(active.length * actDim);
  for (let h = 0; h < request.horizon && active.length > 0; h++) {
    for (let k = 0; k < active.length; k++) obs.set(active[k].episode.observation, k * obsDim);
    act(obs, active.length, noise, actions);
    let ended = false;
    for (let k = 0; k < active.length; k++) {
      const run = active[k], at = k * actDim;
      for (let j = 0; j < actDim; j++) {
        if (!Number.isFinite(actions[at + j])) {
          throw new RangeError(`${family.id}: non-finite action at task ${run.task}, step ${h}`);
        }
      }
      for (let i = 0; i < obsDim; i++) run.obs.push(obs[k * obsDim + i]);
      for (let j = 0; j < actDim; j++) {
        run.act.push(actions[at + j]);
        rowAction[j] = actions[at + j]; // a copy, not a view: no allocation per step
      }
      const { reward, done } = run.episode.step(
        family.discreteActions
          ? rowAction
          : scaleAction(rowAction, family.actionLow, family.actionHigh, envAction),
      );
      run.rew.push(reward);
      run.done = done;
      ended ||= done;
    }
    if (ended) {
      active = active.filter((r) => !r.done);
      noise = active.map((r) => r.noise);
      obs = new Float64Array(active.length * obsDim);
      actions = new Float64Array(active.length * actDim);
    }
  }
}

function toPath(run: Running, obsDim: number, actDim: number): Path {
  const length = run.rew.length;
  if (run.obs.length !== length * obsDim || run.act.length !== length * actDim) {
    throw new Error("internal error: inconsistent path buffers");
  }
  return {
    observations: Float64Array.from(run.obs),
    actions: Float64Array.from(run.act),
    rewards: Float64Array.from(run.rew),
    length,
  };
}
