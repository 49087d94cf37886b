/**
 * File access at the trust boundary. A results directory, a configuration or a problem file may
 * come from a stranger, so the tasks read them only as regular files of bounded size, never
 * through a symbolic link out of what the task may read, and write only where the real path
 * (symbolic links resolved) is writable for the task.
 *
 * - {@linkcode readRegularFile}: a file inside a results directory. Symbolic links, devices,
 *   pipes and directories are refused, and so is a file larger than the limit.
 * - {@linkcode readInputFile}: a file named on the command line. Its real path must be readable
 *   for the task (so a link out of the project is refused), it must be a regular file, and at most
 *   {@linkcode MAX_INPUT_BYTES} long.
 * - {@linkcode checkWritablePath}: an output directory. Its real path (or its nearest existing
 *   ancestor's) must be writable for the task.
 *
 * @module
 */
import { InputError } from "./errors.ts";

/** Largest configuration or problem file read (1 MiB). */
export const MAX_INPUT_BYTES = 1 << 20;
/** Largest file of a results directory read (64 MiB; a paper-scale checkpoint is 0.25 MB). */
export const MAX_ARTIFACT_BYTES = 64 << 20;

/** A file that is not a regular file, is a symbolic link, or is too large (one line). */
export class UnsafeFileError extends Error {
  override name = "UnsafeFileError";
}

/** Text of a size for messages: `1.5 MiB`. */
function size(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${bytes} bytes`;
}

function kind(info: Deno.FileInfo): string {
  if (info.isSymlink) return "a symbolic link";
  if (info.isDirectory) return "a directory";
  return "not a regular file (a device, pipe or socket)";
}

/** Read at most `maxBytes` of an open file; throws when there is more. */
async function readBounded(file: Deno.FsFile, path: string, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buffer = new Uint8Array(1 << 16);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    total += n;
    if (total > maxBytes) throw new UnsafeFileError(`${path}: larger than ${size(maxBytes)}`);
    chunks.push(buffer.slice(0, n));
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) (out.set(c, offset), offset += c.length);
  return out;
}

/**
 * The bytes of `path`, which must be a regular file (not a symbolic link, device, pipe or
 * directory) of at most `maxBytes`; null when it does not exist. Throws
 * {@linkcode UnsafeFileError} with one line naming the path otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRegularFile, UnsafeFileError } from "./safe_fs.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(`${dir}/a.txt`, "hello");
 *   await Deno.symlink(`${dir}/a.txt`, `${dir}/link`);
 *   assert.equal((await readRegularFile(`${dir}/a.txt`))?.length, 5, "read");
 *   assert.equal(await readRegularFile(`${dir}/none`), null, "absent is null");
 *   let refused = false;
 *   try { await readRegularFile(`${dir}/link`); } catch (e) { refused = e instanceof UnsafeFileError; }
 *   assert.ok(refused, "a link must be refused");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function readRegularFile(
  path: string,
  maxBytes: number = MAX_ARTIFACT_BYTES,
): Promise<Uint8Array | null> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  if (!info.isFile || info.isSymlink) throw new UnsafeFileError(`${path}: ${kind(info)}`);
  if (info.size > maxBytes) {
    throw new UnsafeFileError(`${path}: ${size(info.size)}, larger than ${size(maxBytes)}`);
  }
  using file = await Deno.open(path, { read: true });
  return await readBounded(file, path, maxBytes);
}

/**
 * The real path of `path` (every symbolic link resolved); for a path that does not exist yet,
 * its nearest existing ancestor's real path joined with the rest.
 */
export async function resolvedPath(path: string): Promise<string> {
  const absolute = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const parts = absolute.split("/").filter((p) => p !== "" && p !== ".");
  const rest: string[] = [];
  while (parts.length > 0) {
    try {
      const real = await Deno.realPath(`/${parts.join("/")}`);
      return [real === "/" ? "" : real, ...rest].join("/") || "/";
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      rest.unshift(parts.pop()!);
    }
  }
  return `/${rest.join("/")}`;
}

async function granted(access: "read" | "write", path: string): Promise<boolean> {
  return (await Deno.permissions.query({ name: access, path })).state === "granted";
}

const WRITE_HINT =
  "the tasks write only under results/; for another directory run tasks/*.ts with deno run --allow-write=DIR";

/**
 * A path the file system cannot resolve (a loop of symbolic links, a name too long, a file where
 * a directory should be): an input error naming the option.
 */
function unresolvable(option: string, path: string, e: unknown): InputError {
  const reason = e instanceof Error
    ? e.message.split("\n")[0].replace(/ \(os error \d+\).*$/, "")
    : String(e);
  const shown = path.length > 120 ? `${path.slice(0, 120)}…` : path;
  return new InputError(`${option}: "${shown}" cannot be resolved (${reason.slice(0, 120)})`);
}

function isDenied(e: unknown): boolean {
  return e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied;
}

/**
 * Check that `path` resolves (symbolic links followed) to a place this task may write; throws
 * {@linkcode InputError} naming `option` otherwise.
 */
export async function checkWritablePath(option: string, path: string): Promise<void> {
  let real: string;
  try {
    real = await resolvedPath(path);
  } catch (e) {
    if (isDenied(e)) throw new InputError(`${option}: "${path}" is not writable (${WRITE_HINT})`);
    throw unresolvable(option, path, e);
  }
  if (!(await granted("write", real))) {
    const via = real === path ? "" : `: it resolves to "${real}"`;
    throw new InputError(`${option}: "${path}" is not writable${via} (${WRITE_HINT})`);
  }
  const profile = await enclosingProfile(real);
  if (profile !== null) {
    throw new InputError(
      `${option}: "${path}" lies inside the results directory "${profile}" (it holds a manifest.json); write next to it, not into it`,
    );
  }
}

/**
 * The nearest directory strictly above `real` (a resolved path), up to the project's `results/`
 * folder, that holds a `manifest.json` — a results directory an output must not be written into —
 * or null.
 */
async function enclosingProfile(real: string): Promise<string | null> {
  let root: string;
  try {
    root = await Deno.realPath("results");
  } catch {
    return null;
  }
  if (!real.startsWith(`${root}/`)) return null;
  for (let dir = real.slice(0, real.lastIndexOf("/")); dir.length >= root.length;) {
    try {
      await Deno.lstat(`${dir}/manifest.json`);
      return `results${dir.slice(root.length)}`;
    } catch {
      // none here
    }
    dir = dir.slice(0, dir.lastIndexOf("/"));
  }
  return null;
}

/**
 * Check that `path` resolves (symbolic links followed) to a place this task may read; throws
 * {@linkcode InputError} naming `option` otherwise.
 */
export async function checkReadablePath(option: string, path: string): Promise<void> {
  let real: string;
  try {
    real = await resolvedPath(path);
  } catch (e) {
    if (isDenied(e)) {
      throw new InputError(`${option}: "${path}" is outside what this task may read`);
    }
    throw unresolvable(option, path, e);
  }
  if (!(await granted("read", real))) {
    const via = real === path ? "" : `: it resolves to "${real}"`;
    throw new InputError(`${option}: "${path}" is outside what this task may read${via}`);
  }
}

/**
 * The text of a file named by command-line option `option`: its real path must be readable for
 * the task, it must be a regular file of at most {@linkcode MAX_INPUT_BYTES}, and valid UTF-8.
 * Throws {@linkcode InputError} with one line naming the option and the file, never quoting it.
 */
export async function readInputFile(option: string, path: string): Promise<string> {
  await checkReadablePath(option, path);
  let bytes: Uint8Array | null;
  try {
    bytes = await readRegularFile(await Deno.realPath(path), MAX_INPUT_BYTES);
  } catch (e) {
    const reason = e instanceof UnsafeFileError
      ? e.message.slice(e.message.lastIndexOf(": ") + 2)
      : (e as Error).message.split("\n")[0];
    throw new InputError(`${option}: cannot read "${path}": ${reason}`);
  }
  if (bytes === null) throw new InputError(`${option}: cannot read "${path}": no such file`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${option}: "${path}" is not UTF-8 text`);
  }
}

/**
 * Parse JSON text without quoting it back: the error names the position only (V8's own message
 * quotes the text, which may be a file the caller should not see).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonQuietly } from "./safe_fs.ts";
 * let message = "";
 * try { parseJsonQuietly("secret text"); } catch (e) { message = (e as Error).message; }
 * assert.ok(!message.includes("secret"), message);
 * ```
 */
export function parseJsonQuietly(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message);
    const where = at === null
      ? text.trim() === "" ? "empty" : "unexpected text or end"
      : `error at character ${at[1]}`;
    throw new SyntaxError(`not valid JSON (${where})`);
  }
}
