/**
 * A fixed set of Deno Workers that each answer one request at a time, with errors that keep their
 * type and a crash that fails every call instead of hanging. The parallel sampler and the parallel
 * learner are both built on it; the worker side of the protocol is {@linkcode serveRequests}.
 *
 * @module
 */
import { DenoWorker } from "../core/deno_worker.ts";
import { InputError } from "../core/errors.ts";
import { chunkBounds } from "../core/chunks.ts";

export { chunkBounds };

/** A worker's reply to the request with id `id`. */
export type WorkerReply<Result> =
  | { readonly id: number; readonly result: Result }
  | { readonly id: number; readonly error: { name: string; message: string } };

/** What a pool's main side posts: a request and the id its reply will carry. */
export interface WorkerMessage<Request> {
  readonly id: number;
  readonly request: Request;
}

/** Workers that run requests, one per worker per call. */
export interface WorkerPool<Request, Result> {
  /** Number of workers. */
  readonly workers: number;
  /**
   * Run `parts[k]` on worker k (at most `workers` parts) and return the results in part order.
   * When several parts fail, the earliest part's error is thrown, as running them in order in one
   * thread would meet it first.
   */
  map(parts: readonly Request[]): Promise<Result[]>;
  /** Stop the workers (idempotent); pending and later calls fail. */
  close(): void;
}

interface Pending<Result> {
  resolve(result: Result): void;
  reject(error: Error): void;
}

/**
 * A pool of `workers` Deno Workers running the module `url`, created on first use and reused.
 * `label` names the pool in errors: a worker that crashes fails every pending and every later call
 * with `<label> worker K crashed: …`. Workers inherit the caller's permissions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workerPool } from "./worker_pool.ts";
 * const pool = workerPool<number, number>(1, new URL("./sampling_worker.ts", import.meta.url), "sampling");
 * assert.equal(pool.workers, 1, "one worker");
 * pool.close();
 * await assert.rejects(pool.map([1]), "closed pools refuse work");
 * ```
 */
export function workerPool<Request, Result>(
  workers: number,
  url: string | URL,
  label: string,
): WorkerPool<Request, Result> {
  checkWorkers(workers);
  let pool: Worker[] | undefined;
  let failure: Error | undefined;
  let closed = false;
  let nextId = 0;
  const pending = new Map<number, Pending<Result>>();

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
      worker.onmessage = (event: MessageEvent<WorkerReply<Result>>) => {
        const reply = event.data;
        const p = pending.get(reply.id);
        if (p === undefined) return;
        pending.delete(reply.id);
        if ("result" in reply) p.resolve(reply.result);
        else p.reject(rebuildError(reply.error));
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        fail(new Error(`${label} worker ${k} crashed: ${event.message}`));
      };
      worker.onmessageerror = () => {
        fail(new Error(`${label} worker ${k} crashed: a message could not be read`));
      };
      return worker;
    });

  const call = (worker: Worker, request: Request) =>
    new Promise<Result>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const message: WorkerMessage<Request> = { id, request };
      worker.postMessage(message);
    });

  return {
    workers,
    async map(parts) {
      if (closed) throw new Error(`the ${label} pool was closed`);
      if (failure !== undefined) throw failure;
      if (parts.length > workers) {
        throw new RangeError(
          `at most ${workers} parts for ${workers} workers, got ${parts.length}`,
        );
      }
      pool ??= start();
      const workersNow = pool;
      const results = await Promise.allSettled(parts.map((part, k) => call(workersNow[k], part)));
      const failed = results.find((r) => r.status === "rejected");
      if (failed !== undefined) throw failed.reason;
      return results.map((r) => (r as PromiseFulfilledResult<Result>).value);
    },
    close() {
      closed = true;
      for (const p of pending.values()) p.reject(new Error(`the ${label} pool was closed`));
      pending.clear();
      terminate();
    },
  };
}

/**
 * The worker side of {@linkcode workerPool}: answer every request with `handle`'s result (the
 * buffers that `transfer` lists are moved, not copied) or with the error's name and message.
 * Call it once at the top level of a worker module.
 */
export function serveRequests<Request, Result>(
  handle: (request: Request) => Result | Promise<Result>,
  transfer: (result: Result) => ArrayBuffer[] = () => [],
): void {
  const scope = globalThis as unknown as {
    onmessage: ((event: MessageEvent<WorkerMessage<Request>>) => void) | null;
    postMessage(message: WorkerReply<Result>, transfer: ArrayBuffer[]): void;
  };
  scope.onmessage = async (event) => {
    const { id, request } = event.data;
    let reply: WorkerReply<Result>;
    let buffers: ArrayBuffer[] = [];
    try {
      const result = await handle(request);
      reply = { id, result };
      buffers = transfer(result);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      reply = { id, error: { name: error.name, message: error.message } };
    }
    scope.postMessage(reply, buffers);
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

/** Throw unless `workers` is a positive integer. */
export function checkWorkers(workers: number): void {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`workers must be a positive integer, got ${workers}`);
  }
}

/**
 * Split `items` into at most `workers` contiguous non-empty chunks, run each through `pool`, and
 * concatenate the per-chunk results in order.
 */
export async function mapChunks<Item, Request, Out>(
  pool: WorkerPool<Request, Out[]>,
  items: readonly Item[],
  request: (chunk: readonly Item[]) => Request,
): Promise<Out[]> {
  const parts = chunkBounds(items.length, pool.workers)
    .filter(([lo, hi]) => hi > lo)
    .map(([lo, hi]) => request(items.slice(lo, hi)));
  return (await pool.map(parts)).flat() as Out[];
}
