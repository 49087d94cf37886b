/**
 * Task families of one's own: a module whose default export is a {@linkcode TaskFamily}, named in
 * `config.env` by its path inside the project (`examples/point_mass.ts`) or by a `file:` URL that
 * the task's permissions allow. The configuration records it pinned by the SHA-256 of the file
 * (`examples/point_mass.ts#sha256=…`), so a changed task file is refused, by `reproduce` on an
 * existing directory and by `verify`, instead of silently giving other numbers. The files it
 * imports are pinned too (`config.envImports`, src/sandbox/module_graph.ts).
 *
 * The module's code runs only in the task sandbox (src/sandbox/task_sandbox.ts), one per sampling
 * thread, so workers, shards and determinism work as for the built-in families.
 *
 * @module
 */
import { InputError } from "../core/errors.ts";
import {
  checkReadablePath,
  MAX_INPUT_BYTES,
  readRegularFile,
  UnsafeFileError,
} from "../core/safe_fs.ts";
import { sha256Hex } from "../core/sha256.ts";

/** A task module named in `config.env`: its specifier and, once pinned, its file's SHA-256. */
export interface TaskModuleRef {
  /** A path relative to the project root (no `..`), or a `file:` URL. */
  readonly specifier: string;
  /** Lowercase hex SHA-256 of the module's file, or null when not pinned yet. */
  readonly digest: string | null;
}

/**
 * Parse `env` as a task module reference, or null when it does not look like one (a path or
 * `file:` URL ending in .ts, .js or .mjs, with an optional `#sha256=` pin). A leading `./` is
 * dropped, so one file has one name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTaskModule } from "./task_module.ts";
 * const ref = parseTaskModule("./examples/point_mass.ts");
 * assert.equal(ref?.specifier, "examples/point_mass.ts", "parse");
 * assert.equal(ref.digest, null, "parse");
 * assert.equal(parseTaskModule("nav2d"), null, "a built-in id is not a module");
 * assert.equal(parseTaskModule("../outside.ts"), null, "no way out of the project");
 * ```
 */
export function parseTaskModule(env: string): TaskModuleRef | null {
  const match = /^([^#\s]+\.(?:ts|js|mjs))(?:#sha256=([0-9a-f]{64}))?$/.exec(env);
  if (match === null) return null;
  let specifier = match[1];
  if (!specifier.startsWith("file:///")) {
    specifier = specifier.replace(/^(\.\/)+/, "");
    const parts = specifier.split("/");
    if (specifier.startsWith("/") || specifier.includes(":") || parts.includes("..")) return null;
  }
  return { specifier, digest: match[2] ?? null };
}

/** Whether `env` is a pinned task module reference (what a validated configuration holds). */
export function isPinnedTaskModule(env: string): boolean {
  return parseTaskModule(env)?.digest != null;
}

/**
 * The file system path of a task module specifier (a path relative to the working directory, or a
 * `file:` URL).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskModulePath } from "./task_module.ts";
 * assert.equal(taskModulePath("file:///tmp/a%20b.ts"), "/tmp/a b.ts", "decoded");
 * ```
 */
export function taskModulePath(specifier: string): string {
  return specifier.startsWith("file:///")
    ? decodeURIComponent(new URL(specifier).pathname)
    : `${Deno.cwd()}/${specifier}`;
}

/**
 * The short name of an environment for experiment ids, tables and figure names: a built-in id as
 * it is, a task module's file name without its extension (`examples/point_mass.ts#…` →
 * `point-mass`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { environmentName } from "./task_module.ts";
 * assert.equal(environmentName("nav2d"), "nav2d", "built-in");
 * assert.equal(environmentName("examples/point_mass.ts"), "point-mass", "module");
 * ```
 */
export function environmentName(env: string): string {
  const ref = parseTaskModule(env);
  if (ref === null) return env;
  const file = ref.specifier.split("/").pop()!.replace(/\.(?:ts|js|mjs)$/, "");
  return file.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "task";
}

/**
 * Pin a task module: read its file (a regular file of at most 1 MiB that the task may read) and
 * return `specifier#sha256=<digest>`. An already pinned reference must match the file: a changed
 * file is an {@linkcode InputError} naming both digests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pinTaskModule } from "./task_module.ts";
 * const pinned = await pinTaskModule("./examples/point_mass.ts");
 * assert.ok(/^examples\/point_mass\.ts#sha256=[0-9a-f]{64}$/.test(pinned), pinned);
 * assert.equal(await pinTaskModule(pinned), pinned, "a pin checks and keeps");
 * ```
 */
export async function pinTaskModule(env: string): Promise<string> {
  const ref = parseTaskModule(env);
  if (ref === null) {
    throw new InputError(
      `env: "${env}" is neither a built-in environment nor a task module (a .ts, .js or .mjs file inside the project, as a relative path without "..", or a file: URL)`,
    );
  }
  const path = taskModulePath(ref.specifier);
  await checkReadablePath("env", path);
  let bytes: Uint8Array | null;
  try {
    bytes = await readRegularFile(path, MAX_INPUT_BYTES);
  } catch (e) {
    if (e instanceof UnsafeFileError) throw new InputError(`env: ${e.message}`);
    throw e;
  }
  if (bytes === null) throw new InputError(`env: task module "${ref.specifier}" not found`);
  const digest = await sha256Hex(bytes);
  if (ref.digest !== null && ref.digest !== digest) {
    throw new InputError(
      `env: task module "${ref.specifier}" has changed since this configuration was written (sha256 ${ref.digest} recorded, ${digest} now); restore it, or run the changed family into another --out`,
    );
  }
  return `${ref.specifier}#sha256=${digest}`;
}
