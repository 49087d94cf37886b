/**
 * Mutual exclusion between processes that write into one results directory (shards of a grid on
 * several machines or threads): an exclusive `flock` on `<dir>/.lock`, held while a process
 * rewrites what the directory's experiments share (the summary, the profile manifest, the
 * timings). Experiment directories themselves need no lock: each belongs to one shard and is
 * moved into place by one atomic rename.
 *
 * The lock file is empty and never removed (removing it would let two processes lock two different
 * files). On a cluster, the directory must be on a file system whose `flock` is coherent between
 * nodes: NFS v4, Lustre mounted with `-o flock`, GPFS, BeeGFS and CephFS are.
 *
 * @module
 */

/** The lock file's name inside a results directory (ignored by verify and by git). */
export const LOCK_FILE = ".lock";

/** Whether `name` is one of a results directory's lock files (`.lock`, `.lock-<id>`). */
export function isLockFileName(name: string): boolean {
  return name === LOCK_FILE || /^\.lock-[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name);
}

/**
 * Run `body` while holding the lock of experiment `id` in `dir` (`<dir>/.lock-<id>`): two runs of
 * one command never train the same experiment at once; the later one waits, then finds it
 * finished. Like `.lock`, the file is empty and never removed.
 */
export async function withExperimentLock<T>(
  dir: string,
  id: string,
  body: () => Promise<T>,
): Promise<T> {
  using file = await Deno.open(`${dir}/.lock-${id}`, { read: true, write: true, create: true });
  await file.lock(true);
  try {
    return await body();
  } finally {
    await file.unlock();
  }
}

/**
 * Run `body` while holding the exclusive lock of `dir` (waiting for other holders, in this or any
 * other process, to release it); the lock is released when `body` settles or throws.
 *
 * @param dir An existing directory.
 * @param body The critical section.
 * @returns What `body` returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withDirectoryLock } from "./directory_lock.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const order: string[] = [];
 *   const slow = withDirectoryLock(dir, async () => {
 *     order.push("a:in");
 *     await new Promise((r) => setTimeout(r, 50));
 *     order.push("a:out");
 *   });
 *   await new Promise((r) => setTimeout(r, 10));
 *   await withDirectoryLock(dir, () => { order.push("b"); return Promise.resolve(); });
 *   await slow;
 *   assert.equal(order.join(), "a:in,a:out,b", order.join());
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function withDirectoryLock<T>(dir: string, body: () => Promise<T>): Promise<T> {
  using file = await Deno.open(`${dir}/${LOCK_FILE}`, { read: true, write: true, create: true });
  await file.lock(true);
  try {
    return await body();
  } finally {
    await file.unlock();
  }
}
