/**
 * The pin of a task module's graph: every local file it loads, transitively, outside the package
 * itself (`mod.ts`, `src/`, `node_modules/`), with its SHA-256. The module's own file is pinned in
 * `config.env` (`path#sha256=…`); the files it imports are recorded in `config.envImports`
 * (path → digest), so a helper module changed after the run is refused with one line naming the
 * file and both digests, instead of mixing two versions of the code.
 *
 * The graph is read from the source: the specifiers of `import … from "…"`, `export … from "…"`,
 * `import "…"`, `import("…")` with a literal, and `new URL("…", import.meta.url)` (a worker or a
 * data file next to the module). A dynamic `import()` whose specifier is computed cannot be pinned
 * and is refused; so are remote specifiers (the sandbox has no network). Bare specifiers (`npm:`,
 * `node:`, the import map's packages) are the package's dependencies, pinned by deno.lock.
 *
 * @module
 */
import { InputError } from "../core/errors.ts";
import { MAX_INPUT_BYTES, readRegularFile, UnsafeFileError } from "../core/safe_fs.ts";
import { sha256Hex } from "../core/sha256.ts";
import { parseTaskModule, taskModulePath } from "../envs/task_module.ts";

/** Most files a task module's graph may hold besides the module itself. */
export const MAX_GRAPH_FILES = 100;

/** The package's root folder (where mod.ts is). */
export const PACKAGE_ROOT: string = decodeURIComponent(new URL("../../", import.meta.url).pathname)
  .replace(
    /\/$/,
    "",
  );

/**
 * The package's own files (not pinned: they are the verifier's code and its locked dependencies),
 * which every task sandbox may read.
 */
export const PACKAGE_PATHS: readonly string[] = ["mod.ts", "src", "node_modules"].map((p) =>
  `${PACKAGE_ROOT}/${p}`
);

/** Whether a resolved path is one of {@linkcode PACKAGE_PATHS} or lies below one. */
function isPackageFile(path: string): boolean {
  return PACKAGE_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

const SPECIFIERS = [
  /\bfrom\s*["']([^"'\n]+)["']/g,
  /\bimport\s*["']([^"'\n]+)["']/g,
  /\bimport\s*\(\s*["']([^"'\n]+)["']\s*[,)]/g,
  /\bnew\s+URL\s*\(\s*["']([^"'\n]+)["']\s*,\s*import\.meta\.url\s*\)/g,
];
const COMPUTED_IMPORT = /\bimport\s*\((?!\s*["'][^"'\n]*["']\s*[,)])/;

/**
 * The literal specifiers in a module's source text; throws when it has a dynamic `import()` whose
 * specifier is computed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { importSpecifiers } from "./module_graph.ts";
 * const text = 'import type { A } from "../mod.ts";\nimport helper from "./helper.ts";';
 * assert.equal(importSpecifiers(text).join(), "../mod.ts,./helper.ts", "two");
 * let refused = false;
 * try { importSpecifiers("const m = await import(name);"); } catch { refused = true; }
 * assert.ok(refused, "a computed import cannot be pinned");
 * ```
 */
export function importSpecifiers(text: string): string[] {
  if (COMPUTED_IMPORT.test(text)) {
    throw new Error("it has a dynamic import() with a computed specifier, which cannot be pinned");
  }
  const found = new Set<string>();
  for (const pattern of SPECIFIERS) {
    for (const match of text.matchAll(pattern)) found.add(match[1]);
  }
  return [...found];
}

/** A file path relative to the working directory when inside it (how config.json names it). */
function displayPath(path: string): string {
  const cwd = Deno.cwd();
  return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : `file://${encodeURI(path)}`;
}

/** Where a local specifier of `from` (a file path) points, or null when it is not a local file. */
function resolveLocal(specifier: string, from: string, module: string): string | null {
  if (/^(?:https?|jsr|data|blob):/.test(specifier)) {
    throw new InputError(
      `env: task module "${module}" imports "${specifier}": remote imports are not allowed (the task sandbox has no network)`,
    );
  }
  if (
    !specifier.startsWith("./") && !specifier.startsWith("../") && !specifier.startsWith("file:") &&
    !specifier.startsWith("/")
  ) {
    return null; // a bare specifier: npm:, node:, or the import map's packages
  }
  const url = new URL(specifier, `file://${encodeURI(from)}`);
  return decodeURIComponent(url.pathname);
}

/**
 * The files a task module loads besides its own, outside the package, each with its SHA-256, by
 * path (relative to the working directory), sorted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskModuleImports } from "./module_graph.ts";
 * // The package's example imports only mod.ts (the package itself): nothing to pin.
 * const imports = await taskModuleImports("examples/point_mass.ts");
 * assert.equal(Object.keys(imports).length, 0, "nothing outside the package");
 * ```
 */
export async function taskModuleImports(env: string): Promise<Record<string, string>> {
  const ref = parseTaskModule(env);
  if (ref === null) throw new InputError(`env: "${env}" is not a task module`);
  const entry = taskModulePath(ref.specifier);
  const files = new Map<string, string>();
  const queue = [entry];
  const seen = new Set([entry]);
  while (queue.length > 0) {
    const path = queue.shift()!;
    const bytes = await readGraphFile(path, ref.specifier);
    if (path !== entry) files.set(displayPath(path), await sha256Hex(bytes));
    if (!/\.(?:[mc]?[jt]sx?)$/.test(path)) continue; // a data file: no imports of its own
    let specifiers: string[];
    try {
      specifiers = importSpecifiers(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new InputError(
        `env: task module "${ref.specifier}": ${displayPath(path)}: ${(e as Error).message}`,
      );
    }
    for (const specifier of specifiers) {
      const target = resolveLocal(specifier, path, ref.specifier);
      if (target === null || isPackageFile(target) || seen.has(target)) continue;
      seen.add(target);
      if (seen.size > MAX_GRAPH_FILES + 1) {
        throw new InputError(
          `env: task module "${ref.specifier}" loads more than ${MAX_GRAPH_FILES} files of its own`,
        );
      }
      queue.push(target);
    }
  }
  return Object.fromEntries([...files].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
}

async function readGraphFile(path: string, module: string): Promise<Uint8Array> {
  let bytes: Uint8Array | null;
  try {
    bytes = await readRegularFile(path, MAX_INPUT_BYTES);
  } catch (e) {
    if (e instanceof UnsafeFileError) {
      throw new InputError(`env: task module "${module}": ${e.message}`);
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new InputError(
        `env: task module "${module}" loads "${
          displayPath(path)
        }", outside what this task may read`,
      );
    }
    throw e;
  }
  if (bytes === null) {
    throw new InputError(
      `env: task module "${module}" loads "${displayPath(path)}", which does not exist`,
    );
  }
  return bytes;
}

/**
 * Check a task module's graph against the imports recorded with it: one line naming the first file
 * that changed (with both digests), appeared or disappeared.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTaskModuleImports } from "./module_graph.ts";
 * // Nothing recorded, and the module imports nothing outside the package.
 * await assert.doesNotReject(checkTaskModuleImports("examples/point_mass.ts", {}));
 * ```
 */
export async function checkTaskModuleImports(
  env: string,
  recorded: Readonly<Record<string, string>>,
): Promise<void> {
  const specifier = parseTaskModule(env)?.specifier ?? env;
  const now = await taskModuleImports(env);
  for (const [file, digest] of Object.entries(now)) {
    const pinned = recorded[file];
    if (pinned === undefined) {
      throw new InputError(
        `env: task module "${specifier}" loads "${file}" (sha256 ${digest}), which its pin does not cover (config.envImports); rerun it into another --out`,
      );
    }
    if (pinned !== digest) {
      throw new InputError(
        `env: task module "${specifier}" loads "${file}", which has changed since this configuration was written (sha256 ${pinned} recorded, ${digest} now); restore it, or run the changed family into another --out`,
      );
    }
  }
  for (const file of Object.keys(recorded)) {
    if (!Object.hasOwn(now, file)) {
      throw new InputError(
        `env: task module "${specifier}" no longer loads "${file}", which its pin records (config.envImports)`,
      );
    }
  }
}
