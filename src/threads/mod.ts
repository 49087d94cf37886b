/**
 * Threads (`@sgmrl/sgmrl/threads`): trajectory sampling and the learner's per-task gradients
 * spread over worker threads, with the same bytes for any worker count.
 *
 * @example One thread: the sampler runs in the calling thread
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSampler } from "./mod.ts";
 * const sampler = createSampler(1);
 * assert.equal(sampler.workers, 1);
 * sampler.close();
 * ```
 *
 * @module
 */
export {
  createSampler,
  localSampler,
  type PortableSampleRequest,
  type Sampler,
  workerSampler,
} from "./parallel_sampler.ts";
export { createLearner, type Learner, localLearner, workerLearner } from "./parallel_learner.ts";
