/**
 * The Deno Worker behind `workerSampler`: samples each {@linkcode SampleWork} it is sent and
 * answers with the paths, their buffers transferred.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import type { SampleWork } from "./parallel_sampler.ts";
import type { Path } from "../estimators/sampler.ts";
import { samplePortable } from "./sampling_worker_core.ts";
import { serveRequests } from "./worker_pool.ts";

serveRequests<SampleWork, Path[]>(
  ({ request, jobs }) => samplePortable(request, jobs),
  (paths) =>
    paths.flatMap((p) =>
      [p.observations, p.actions, p.rewards].map((a) => a.buffer as ArrayBuffer)
    ),
);
