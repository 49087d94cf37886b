/**
 * Sampling on several threads with the same bytes as sampling on one.
 *
 * A {@linkcode Sampler} takes a {@linkcode PortableSampleRequest}, which names its task family and
 * policy by data (an environment id and a {@linkcode PolicySpec}) so that it can cross a thread.
 * {@linkcode workerSampler} cuts the job list into contiguous runs, one per Deno Worker, and
 * gathers the paths back in job order. Every trajectory draws from its own counter-based streams
 * and its policy rows depend on its own observations alone (see sampler.ts), so the paths are
 * byte-identical to sampling in the calling thread, for any number of workers.
 *
 * @module
 */
import { DenoWorker } from "./deno_worker.ts";
import { InputError } from "./errors.ts";
import type { EnvironmentId } from "./envs/registry.ts";
import type { PolicySpec } from "./policy.ts";
import type { Path, SampleJob, SampleRequest } from "./sampler.ts";
import { samplePortable, type SampleReply } from "./sampling_worker_core.ts";

/**
 * A sampling request that can cross a thread: a {@linkcode SampleRequest} whose family and policy
 * are named by data. Tasks are plain objects, as the family's `sampleTask` makes them.
 */
export interface PortableSampleRequest extends Omit<SampleRequest<unknown>, "family" | "policy"> {
  /** The task family, resolved with `loadTaskFamily`. */
  readonly env: EnvironmentId;
  /** The Gaussian MLP that acts (sampled with `gaussianSampling(spec)`). */
  readonly policy: PolicySpec;
}

/** Something that samples paths; results are always in the order of `jobs`. */
export interface Sampler {
  /** Number of sampling threads (1 for the in-process sampler). */
  readonly workers: number;
  /** Sample the paths of `jobs`, in the order of `jobs`. */
  sample(request: PortableSampleRequest, jobs: readonly SampleJob[]): Promise<Path[]>;
  /** Stop the workers (idempotent). */
  close(): void;
}

/**
 * Sampling in the calling thread.
 *
 * @example
 * ```ts
 * import { localSampler } from "./parallel_sampler.ts";
 * import { allJobs } from "./sampler.ts";
 * import { initPolicyParams } from "./policy.ts";
 * const spec = { obsDim: 2, actDim: 2, hidden: [8], activation: "tanh", initStd: 1 } as const;
 * const sampler = localSampler();
 * const paths = await sampler.sample({
 *   env: "nav2d", policy: spec, tasks: [{ goal: [0.3, -0.2] }], params: [initPolicyParams(spec, 0)],
 *   horizon: 5, seed: 0, purpose: "action", iteration: 0, phase: 0,
 * }, allJobs(1, 2));
 * sampler.close();
 * if (paths.length !== 2) throw new Error("two paths");
 * ```
 */
export function localSampler(): Sampler {
  return {
    workers: 1,
    sample: (request, jobs) => samplePortable(request, jobs),
    close() {},
  };
}

/** Options of {@linkcode workerSampler}. */
export interface WorkerSamplerOptions {
  /** The worker module (a testing hook; default: sampling_worker.ts). */
  readonly workerUrl?: string | URL;
}

/**
 * The contiguous chunks of `n` jobs for `parts` workers, as [start, end) index pairs; their sizes
 * differ by at most one, earlier chunks taking the remainder.
 *
 * @example
 * ```ts
 * import { chunkBounds } from "./parallel_sampler.ts";
 * const bounds = chunkBounds(7, 3);
 * if (JSON.stringify(bounds) !== "[[0,3],[3,5],[5,7]]") throw new Error("3 + 2 + 2 jobs");
 * ```
 */
export function chunkBounds(n: number, parts: number): [number, number][] {
  const bounds: [number, number][] = [];
  const base = Math.floor(n / parts), extra = n % parts;
  let lo = 0;
  for (let k = 0; k < parts; k++) {
    const hi = lo + base + (k < extra ? 1 : 0);
    bounds.push([lo, hi]);
    lo = hi;
  }
  return bounds;
}

interface Pending {
  resolve(paths: Path[]): void;
  reject(error: Error): void;
}

/**
 * Sampling on `workers` Deno Workers, created on first use and reused. Worker k samples the k-th
 * contiguous run of jobs. An error inside sampling arrives with its name and message (when several
 * runs fail, the earliest run's error, as sampling in one thread would report); a worker
 * that crashes fails every pending and every later call with `sampling worker K crashed: …`.
 * Workers inherit the caller's permissions.
 *
 * @example
 * ```ts
 * import { localSampler, workerSampler } from "./parallel_sampler.ts";
 * import { allJobs } from "./sampler.ts";
 * import { initPolicyParams } from "./policy.ts";
 * const spec = { obsDim: 2, actDim: 2, hidden: [8], activation: "tanh", initStd: 1 } as const;
 * const request = {
 *   env: "nav2d", policy: spec, tasks: [{ goal: [0.3, -0.2] }], params: [initPolicyParams(spec, 0)],
 *   horizon: 5, seed: 0, purpose: "action", iteration: 0, phase: 0,
 * } as const;
 * const pool = workerSampler(2);
 * try {
 *   const [a, b] = [await pool.sample(request, allJobs(1, 3)), await localSampler().sample(request, allJobs(1, 3))];
 *   if (a.some((p, i) => p.rewards.some((r, t) => r !== b[i].rewards[t]))) throw new Error("same bytes");
 * } finally {
 *   pool.close();
 * }
 * ```
 */
export function workerSampler(workers: number, options: WorkerSamplerOptions = {}): Sampler {
  checkWorkers(workers);
  const url = options.workerUrl ?? new URL("./sampling_worker.ts", import.meta.url);
  let pool: Worker[] | undefined;
  let failure: Error | undefined;
  let closed = false;
  let nextId = 0;
  const pending = new Map<number, Pending>();

  const fail = (error: Error) => {
    failure ??= error;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
    terminate();
  };
  const terminate = () => {
    for (const w of pool ?? []) w.terminate();
    pool = [];
  };
  const start = (): Worker[] =>
    Array.from({ length: workers }, (_, k) => {
      const worker = new DenoWorker(url, { type: "module" });
      worker.onmessage = (event: MessageEvent<SampleReply>) => {
        const reply = event.data;
        const p = pending.get(reply.id);
        if (p === undefined) return;
        pending.delete(reply.id);
        if ("paths" in reply) p.resolve(reply.paths);
        else p.reject(rebuildError(reply.error));
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        fail(new Error(`sampling worker ${k} crashed: ${event.message}`));
      };
      worker.onmessageerror = () => {
        fail(new Error(`sampling worker ${k} crashed: a message could not be read`));
      };
      return worker;
    });

  const call = (worker: Worker, request: PortableSampleRequest, jobs: readonly SampleJob[]) =>
    new Promise<Path[]>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, request, jobs });
    });

  return {
    workers,
    async sample(request, jobs) {
      if (closed) throw new Error("the sampler was closed");
      if (failure !== undefined) throw failure;
      pool ??= start();
      const workersNow = pool;
      const parts = chunkBounds(jobs.length, workers)
        .map(([lo, hi], k) => ({ k, lo, hi }))
        .filter(({ lo, hi }) => hi > lo);
      const results = await Promise.allSettled(
        parts.map(({ k, lo, hi }) => call(workersNow[k], request, jobs.slice(lo, hi))),
      );
      // The first failing chunk in job order: the error sampling in one thread would meet first.
      const failed = results.find((r) => r.status === "rejected");
      if (failed !== undefined) throw failed.reason;
      return results.flatMap((r) => r.status === "fulfilled" ? r.value : []);
    },
    close() {
      closed = true;
      for (const p of pending.values()) p.reject(new Error("the sampler was closed"));
      pending.clear();
      terminate();
    },
  };
}

function rebuildError(error: { name: string; message: string }): Error {
  const e = error.name === "InputError"
    ? new InputError(error.message)
    : error.name === "RangeError"
    ? new RangeError(error.message)
    : new Error(error.message);
  if (e.name !== error.name) e.name = error.name;
  return e;
}

function checkWorkers(workers: number): void {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`workers must be a positive integer, got ${workers}`);
  }
}

/**
 * The sampler for `workers` threads: 1 samples in the calling thread, more on Deno Workers.
 *
 * @example
 * ```ts
 * import { createSampler } from "./parallel_sampler.ts";
 * const sampler = createSampler(1);
 * if (sampler.workers !== 1) throw new Error("one thread");
 * sampler.close();
 * ```
 */
export function createSampler(workers: number): Sampler {
  checkWorkers(workers);
  return workers === 1 ? localSampler() : workerSampler(workers);
}
