/**
 * The Deno Worker behind `workerLearner`: runs each {@linkcode LearnerWork} it is sent on the
 * backend the request names and answers with the results, their buffers transferred.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import { useBackend } from "../kernels/backend.ts";
import type { TaskGradient } from "../estimators/meta_gradient.ts";
import { type LearnerResult, type LearnerWork, runLearnerWork } from "./parallel_learner.ts";
import type { PolicyParams } from "../estimators/policy.ts";
import { serveRequests } from "./worker_pool.ts";

serveRequests<LearnerWork, LearnerResult>(
  async (work) => {
    await useBackend(work.backend);
    return await runLearnerWork(work);
  },
  (results) =>
    results.flatMap((r) =>
      (Array.isArray(r) ? r as PolicyParams : (r as TaskGradient).grads).map((a) =>
        a.buffer as ArrayBuffer
      )
    ),
);
