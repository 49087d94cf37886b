/**
 * What a sampling thread does with a {@linkcode PortableSampleRequest}: resolve the family (loaded
 * once per thread by the registry) and sample. Shared by the in-process sampler and the worker module.
 *
 * @module
 */
import { loadTaskFamily } from "../envs/registry.ts";
import type { PolicySpec } from "../estimators/policy.ts";
import {
  gaussianSampling,
  type Path,
  type SampleJob,
  samplePaths,
  type SampleRequest,
} from "../estimators/sampler.ts";

/**
 * A sampling request that can cross a thread: a {@linkcode SampleRequest} whose family and policy
 * are named by data. Tasks are plain objects, as the family's `sampleTask` makes them.
 *
 * @example
 * ```ts
 * import type { PortableSampleRequest } from "./sampling_worker_core.ts";
 * import { createSampler } from "./parallel_sampler.ts";
 * import { allJobs } from "../estimators/sampler.ts";
 * import { initPolicyParams } from "../estimators/policy.ts";
 * const policy = { obsDim: 2, actDim: 2, hidden: [8], activation: "tanh", initStd: 1 } as const;
 * // The family is named by its env id and the policy by its spec, so the request can cross threads.
 * const request: PortableSampleRequest = {
 *   env: "nav2d", policy, tasks: [{ goal: [0.3, -0.2] }], params: [initPolicyParams(policy, 0)],
 *   horizon: 5, seed: 0, purpose: "action", iteration: 0, phase: 0,
 * };
 * const sampler = createSampler(2);
 * const paths = await sampler.sample(request, allJobs(1, 4));
 * sampler.close();
 * if (paths.length !== 4) throw new Error("four trajectories");
 * ```
 */
export interface PortableSampleRequest extends Omit<SampleRequest<unknown>, "family" | "policy"> {
  /** The task family, resolved with `loadTaskFamily`. */
  readonly env: string;
  /** The Gaussian MLP that acts (sampled with `gaussianSampling(spec)`). */
  readonly policy: PolicySpec;
}

/**
 * Sample a portable request in this thread.
 *
 * @example
 * ```ts
 * import { samplePortable } from "./sampling_worker_core.ts";
 * import { initPolicyParams } from "../estimators/policy.ts";
 * const spec = { obsDim: 2, actDim: 2, hidden: [], activation: "tanh", initStd: 1 } as const;
 * const [path] = await samplePortable({
 *   env: "nav2d", policy: spec, tasks: [{ goal: [0.2, 0.2] }], params: [initPolicyParams(spec, 0)],
 *   horizon: 3, seed: 0, purpose: "action", iteration: 0, phase: 0,
 * }, [{ task: 0, trajectory: 0 }]);
 * if (path.length > 3) throw new Error("at most the horizon");
 * ```
 */
export async function samplePortable(
  request: PortableSampleRequest,
  jobs: readonly SampleJob[],
): Promise<Path[]> {
  return samplePaths({
    ...request,
    family: await loadTaskFamily(request.env),
    policy: gaussianSampling(request.policy),
  }, jobs);
}
