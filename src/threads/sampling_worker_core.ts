/**
 * What a sampling thread does with a {@linkcode PortableSampleRequest}: resolve the family (loaded
 * once per thread by the registry) and sample. Shared by the in-process sampler and the worker module.
 *
 * @module
 */
import { loadTaskFamily } from "../envs/registry.ts";
import {
  gaussianSampling,
  type Path,
  type PortableSampleRequest,
  type SampleJob,
  samplePaths,
} from "../estimators/sampler.ts";

export type { PortableSampleRequest };

/**
 * Sample a portable request in this thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { samplePortable } from "./sampling_worker_core.ts";
 * import { initPolicyParams } from "../estimators/policy.ts";
 * const spec = { obsDim: 2, actDim: 2, hidden: [], activation: "tanh", initStd: 1 } as const;
 * const [path] = await samplePortable({
 *   env: "nav2d", policy: spec, tasks: [{ goal: [0.2, 0.2] }], params: [initPolicyParams(spec, 0)],
 *   horizon: 3, seed: 0, purpose: "action", iteration: 0, phase: 0,
 * }, [{ task: 0, trajectory: 0 }]);
 * assert.ok(path.length <= 3, "at most the horizon");
 * ```
 */
export async function samplePortable(
  request: PortableSampleRequest,
  jobs: readonly SampleJob[],
): Promise<Path[]> {
  return samplePaths({
    ...request,
    family: await loadTaskFamily(request.env, request.physics),
    policy: gaussianSampling(request.policy),
  }, jobs);
}
