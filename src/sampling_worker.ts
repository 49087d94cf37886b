/**
 * The Deno Worker behind `workerSampler`: answers `{ id, request, jobs }` with the paths (their
 * buffers transferred) or with the error's name and message.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import type { PortableSampleRequest } from "./parallel_sampler.ts";
import type { SampleJob } from "./sampler.ts";
import { samplePortable, type SampleReply } from "./sampling_worker_core.ts";

self.onmessage = async (
  event: MessageEvent<{ id: number; request: PortableSampleRequest; jobs: SampleJob[] }>,
) => {
  const { id, request, jobs } = event.data;
  let reply: SampleReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const paths = await samplePortable(request, jobs);
    reply = { id, paths };
    transfer = paths.flatMap((p) =>
      [p.observations, p.actions, p.rewards].map((a) => a.buffer as ArrayBuffer)
    );
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    reply = { id, error: { name: error.name, message: error.message } };
  }
  self.postMessage(reply, transfer);
};
