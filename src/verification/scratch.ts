/**
 * Verify's regeneration directory: created fresh with a name no one can predict, never reused or
 * "kept", removed when verify ends (also on SIGINT and SIGTERM), and — since a killed verify
 * cannot clean up — stale ones are removed by the next verify.
 *
 * Each scratch directory `<root>/.verify-<random>/` has a sibling lock file
 * `<root>/.verify-<random>.lock`, created (and locked) before the directory and held while the
 * directory is in use; a directory whose lock file is missing or can be locked belongs to no
 * running verify and is removed. (The lock is a sibling because training takes its own lock,
 * `.lock`, inside the directory it writes.)
 *
 * @module
 */

/** The prefix of scratch directories inside the results root. */
export const SCRATCH_PREFIX = ".verify-";

/** A scratch directory in use; `dispose` removes it and releases its lock. */
export interface Scratch extends AsyncDisposable {
  readonly path: string;
  /** Remove the directory and its lock (idempotent). */
  dispose(): Promise<void>;
  /** The same, synchronously (for a signal handler that exits right after). */
  disposeSync(): void;
}

/**
 * Remove stale scratch directories under `root`, then create a fresh one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createScratch } from "./scratch.ts";
 * const root = await Deno.makeTempDir();
 * const scratch = await createScratch(root);
 * const entries = [...Deno.readDirSync(scratch.path)];
 * assert.equal(entries.length, 0, "fresh and empty");
 * await scratch.dispose();
 * assert.equal([...Deno.readDirSync(root)].length, 0, "removed with its lock");
 * await Deno.remove(root);
 * ```
 */
export async function createScratch(root: string): Promise<Scratch> {
  await removeStaleScratch(root);
  const name = `${SCRATCH_PREFIX}${crypto.randomUUID()}`;
  const lockPath = `${root}/${name}.lock`;
  const path = `${root}/${name}`;
  const lock = await Deno.open(lockPath, { write: true, createNew: true });
  await lock.lock(true);
  try {
    await Deno.mkdir(path); // not recursive: fails if anything is there already
  } catch (e) {
    lock.close();
    await Deno.remove(lockPath).catch(() => {});
    throw e;
  }
  let disposed = false;
  const disposeSync = () => {
    if (disposed) return;
    disposed = true;
    try {
      Deno.removeSync(path, { recursive: true });
    } catch { /* already gone */ }
    try {
      Deno.removeSync(lockPath);
    } catch { /* already gone */ }
    lock.close();
  };
  const dispose = () => Promise.resolve(disposeSync());
  return { path, dispose, disposeSync, [Symbol.asyncDispose]: dispose };
}

/**
 * Remove every scratch directory (and lock file) under `root` that no running verify holds; the
 * names removed.
 */
export async function removeStaleScratch(root: string): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(root)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return removed;
    throw e;
  }
  const names = new Set(entries.map((e) => e.name));
  for (const entry of entries) {
    if (!entry.name.startsWith(SCRATCH_PREFIX) || entry.name.endsWith(".lock")) continue;
    if (!entry.isDirectory) continue;
    const lockName = `${entry.name}.lock`;
    if (names.has(lockName) && !await lockIsFree(`${root}/${lockName}`)) continue;
    await Deno.remove(`${root}/${entry.name}`, { recursive: true }).catch(() => {});
    await Deno.remove(`${root}/${lockName}`).catch(() => {});
    removed.push(entry.name);
  }
  for (const entry of entries) {
    if (!entry.name.startsWith(SCRATCH_PREFIX) || !entry.name.endsWith(".lock")) continue;
    const dirName = entry.name.slice(0, -".lock".length);
    if (names.has(dirName) || !entry.isFile) continue;
    if (await lockIsFree(`${root}/${entry.name}`)) {
      await Deno.remove(`${root}/${entry.name}`).catch(() => {});
    }
  }
  return removed;
}

/** Whether no process holds the lock on `path` (taking and releasing it to find out). */
async function lockIsFree(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true });
  } catch {
    return false;
  }
  try {
    return await file.tryLock(true);
  } finally {
    file.close();
  }
}
