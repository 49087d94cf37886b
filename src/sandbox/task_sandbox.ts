/**
 * The task sandbox: task modules (task families of one's own, named in `config.env`) run only
 * here, never in the thread that trains, compares bytes or prints a verdict.
 *
 * Each sandbox is a Deno Worker created with the narrowest permissions that work: read access to
 * the package (`mod.ts`, `src/`, `node_modules/`) and to the module's own pinned files, the CPU
 * count (MuJoCo's compiler asks for it), and nothing else — no write, FFI, subprocess, network or
 * environment access. Its realm is closed off before the module is imported
 * (src/sandbox/task_sandbox_worker.ts). Everything it returns is plain data that this side checks
 * (shapes, lengths, finiteness) before use; a verdict is computed from those bytes alone.
 *
 * A watchdog stops a sandbox that makes no progress (no reply and no heartbeat) for
 * {@linkcode SandboxSettings.stallSeconds}: the call fails with one line naming the module and
 * the experiment. A Worker stuck in a loop cannot be interrupted, so a task that stopped one exits
 * with its error rather than waiting for it.
 *
 * Worker permissions are an unstable Deno API, enabled for every command run in the project by
 * deno.json (`"unstable": ["worker-options"]`); a program run elsewhere needs
 * `--unstable-worker-options`.
 *
 * @module
 */
import { InputError } from "../core/errors.ts";
import { canonicalJson } from "../core/canonical_json.ts";
import type { Purpose } from "../core/rng.ts";
import type { Path, PortableSampleRequest, SampleJob } from "../estimators/sampler.ts";
import { chunkBounds } from "../core/chunks.ts";
import {
  isPinnedTaskModule,
  parseTaskModule,
  pinTaskModule,
  taskModulePath,
} from "../envs/task_module.ts";
import {
  ENVIRONMENTS,
  isEnvironmentId,
  knowsEnvironmentDims,
  rememberTaskModuleDims,
} from "../envs/registry.ts";
import {
  MAX_TASK_DIM,
  type SandboxReply,
  type SandboxRequest,
  show,
  type TaskFamilyMetadata,
} from "./task_family_checks.ts";
import { DenoWorker } from "../core/deno_worker.ts";
import { checkTaskModuleImports, PACKAGE_PATHS, PACKAGE_ROOT } from "./module_graph.ts";

export type { TaskFamilyMetadata };

/**
 * How task modules are run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type SandboxSettings, sandboxSettings } from "./task_sandbox.ts";
 * const now: SandboxSettings = sandboxSettings();
 * assert.equal(now.heapLimitMiB, 2048, "2 GiB of JavaScript heap per sandbox");
 * ```
 */
export interface SandboxSettings {
  /** Seconds without a reply or heartbeat after which a sandbox is stopped. */
  readonly stallSeconds: number;
  /**
   * Which task modules may run: "all", or only those inside the package ("package": its
   * `examples/` and `src/` folders), as the command-line tasks allow without
   * `--allow-task-modules`.
   */
  readonly allow: "all" | "package";
  /**
   * MiB of JavaScript heap a sandbox may use: checked after every call and every 32 environment
   * steps (an allocation past V8's own limit, about 4 GiB, within one call still ends the process).
   */
  readonly heapLimitMiB: number;
}

/** Default seconds without progress before a task module is stopped. */
export const DEFAULT_STALL_SECONDS = 120;

let settings: SandboxSettings = {
  stallSeconds: DEFAULT_STALL_SECONDS,
  allow: "all",
  heapLimitMiB: 2048,
};

/**
 * Set how task modules run in this process (the command-line tasks call it once).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configureTaskSandbox, sandboxSettings } from "./task_sandbox.ts";
 * const before = sandboxSettings();
 * configureTaskSandbox({ stallSeconds: 30 });
 * assert.equal(sandboxSettings().stallSeconds, 30, "set");
 * configureTaskSandbox(before);
 * ```
 */
export function configureTaskSandbox(change: Partial<SandboxSettings>): void {
  settings = { ...settings, ...change };
}

/** The settings in force. */
export function sandboxSettings(): SandboxSettings {
  return settings;
}

/**
 * A task module that broke its contract, stalled or misbehaved (an input error: exit 2). The
 * message names the module, and the experiment and iteration when it was running.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TaskModuleError } from "./task_sandbox.ts";
 * const e = new TaskModuleError('task module "m.ts" (experiment x, iteration 0): step 1 returned reward NaN');
 * assert.equal(e.name, "TaskModuleError", "named");
 * ```
 */
export class TaskModuleError extends InputError {
  override name = "TaskModuleError";
}

/**
 * Whether a task module is part of the package (a file under its `examples/` or `src/` folder,
 * its real path checked), so that the command-line tasks run it without `--allow-task-modules`.
 */
export async function isPackageTaskModule(env: string): Promise<boolean> {
  const ref = parseTaskModule(env);
  if (ref === null) return false;
  try {
    const real = await Deno.realPath(taskModulePath(ref.specifier));
    for (const folder of ["examples", "src"]) {
      if (real.startsWith(`${await Deno.realPath(`${PACKAGE_ROOT}/${folder}`)}/`)) return true;
    }
    return false;
  } catch {
    return false;
  }
}

/** Context for error messages: which experiment, and where in it. */
export interface SandboxContext {
  readonly experiment?: string;
  readonly iteration?: number;
}

/** One Worker running one task module. */
class TaskSandbox {
  #worker: Worker | undefined;
  #nextId = 0;
  #pending = new Map<
    number,
    {
      resolve(v: unknown): void;
      reject(e: Error): void;
      timer: ReturnType<typeof setTimeout>;
      context: SandboxContext;
      heartbeats: boolean;
    }
  >();
  #failure: Error | undefined;

  constructor(readonly specifier: string, readAllowed: string[]) {
    // MuJoCo's compiler asks for the CPU count; granted only where the caller has it.
    const cpus = Deno.permissions.querySync({ name: "sys", kind: "cpus" }).state === "granted";
    this.#worker = new DenoWorker(new URL("./task_sandbox_worker.ts", import.meta.url), {
      type: "module",
      name: "task-sandbox",
      deno: {
        permissions: {
          read: readAllowed,
          write: false,
          ffi: false,
          run: false,
          net: false,
          env: false,
          sys: cpus ? ["cpus"] : false,
          import: false,
        },
      },
    } as WorkerOptions);
    this.#worker.onmessage = (event: MessageEvent<SandboxReply>) => this.#receive(event.data);
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#fail(`it raised an uncaught error: ${event.message}`);
    };
    this.#worker.onmessageerror = () => this.#fail("it sent a message that could not be read");
  }

  #where(context: SandboxContext): string {
    const parts = [
      context.experiment === undefined ? undefined : `experiment ${context.experiment}`,
      context.iteration === undefined ? undefined : `iteration ${context.iteration}`,
    ].filter((p) => p !== undefined);
    return `task module "${this.specifier}"${parts.length > 0 ? ` (${parts.join(", ")})` : ""}`;
  }

  #receive(reply: SandboxReply): void {
    if (typeof reply !== "object" || reply === null || typeof reply.id !== "number") return;
    const p = this.#pending.get(reply.id);
    if (p === undefined) return;
    if ("alive" in reply) {
      // Only sampling posts heartbeats (from the checked step, while the module's own timers
      // cannot run); loading and drawing tasks must finish within the timeout, so a module's timer
      // posting heartbeats of its own cannot hold them open.
      if (!p.heartbeats) return;
      clearTimeout(p.timer);
      p.timer = this.#arm(reply.id);
      return;
    }
    clearTimeout(p.timer);
    this.#pending.delete(reply.id);
    if ("error" in reply) {
      p.reject(new TaskModuleError(`${this.#where(p.context)}: ${oneLine(String(reply.error))}`));
    } else p.resolve(reply.result);
  }

  #arm(id: number): ReturnType<typeof setTimeout> {
    return setTimeout(() => {
      const p = this.#pending.get(id);
      const context = p?.context ?? {};
      this.#fail(
        `made no progress for ${settings.stallSeconds} s (no result and no heartbeat); stopped`,
        context,
      );
    }, settings.stallSeconds * 1000);
  }

  #fail(detail: string, context?: SandboxContext): void {
    const first = [...this.#pending.values()][0];
    this.#failure ??= new TaskModuleError(
      `${this.#where(context ?? first?.context ?? {})}: ${oneLine(detail)}`,
    );
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(this.#failure);
    }
    this.#pending.clear();
    this.close();
  }

  call(request: SandboxRequest, context: SandboxContext = {}): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#worker === undefined) return Promise.reject(new Error("the task sandbox was closed"));
    const worker = this.#worker;
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, {
        resolve,
        reject,
        timer: this.#arm(id),
        context,
        heartbeats: request.kind === "sample",
      });
      worker.postMessage({ id, request });
    });
  }

  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error("the task sandbox was closed"));
    }
    this.#pending.clear();
  }
}

/** One line, printable, bounded. */
function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim().slice(0, 1000);
}

/**
 * The files a sandbox may read: the package's and the module's own. (Deno does not check read
 * permissions on `import`, so this bounds what the module can read as data.)
 */
function readAllowed(specifier: string): string[] {
  return [...PACKAGE_PATHS, taskModulePath(specifier)];
}

/** Refuse a module the settings do not allow (a backstop: the tasks list and refuse earlier). */
async function checkAllowed(env: string): Promise<void> {
  if (settings.allow === "all" || await isPackageTaskModule(env)) return;
  throw new InputError(
    `task module "${
      parseTaskModule(env)?.specifier ?? env
    }" is not part of the package; pass --allow-task-modules to run it (in the task sandbox)`,
  );
}

/**
 * Check a module against its pin, start a sandbox for it and load it; the sandbox and the family's
 * checked metadata.
 */
async function openSandbox(
  env: string,
): Promise<{ sandbox: TaskSandbox; metadata: TaskFamilyMetadata }> {
  const ref = parseTaskModule(env);
  if (ref === null || ref.digest === null) {
    throw new InputError(`env: "${env}" is not a pinned task module (pin it with pinTaskModule)`);
  }
  await checkAllowed(env);
  await pinTaskModule(env); // the file is still the one pinned (else an InputError naming both)
  // So is every file it imports outside the package (config.envImports).
  const imports = recordedImports.get(env) ?? {};
  await checkTaskModuleImports(env, imports);
  const sandbox = new TaskSandbox(ref.specifier, [
    ...readAllowed(ref.specifier),
    ...Object.keys(imports).map(taskModulePath),
  ]);
  const path = taskModulePath(ref.specifier);
  const url = `file://${encodeURI(path)}`;
  try {
    const metadata = checkMetadata(
      await sandbox.call({ kind: "load", url, heapLimitMiB: settings.heapLimitMiB }),
    );
    return { sandbox, metadata };
  } catch (e) {
    sandbox.close();
    if (e instanceof TaskModuleError) throw new TaskModuleError(`env: ${e.message}`);
    throw e;
  }
}

/** Check the metadata a sandbox sent (plain data from untrusted code). */
function checkMetadata(value: unknown): TaskFamilyMetadata {
  const m = value as Partial<TaskFamilyMetadata> | null;
  const dim = (n: unknown) =>
    Number.isInteger(n) && (n as number) >= 1 && (n as number) <= MAX_TASK_DIM;
  if (
    typeof m !== "object" || m === null || !dim(m.obsDim) || !dim(m.actDim) ||
    typeof m.id !== "string" || typeof m.discreteActions !== "boolean"
  ) {
    throw new TaskModuleError(`the task sandbox sent malformed metadata: ${show(value)}`);
  }
  for (const bound of [m.actionLow, m.actionHigh]) {
    if (!Array.isArray(bound) || bound.length !== m.actDim || !bound.every(Number.isFinite)) {
      throw new TaskModuleError("the task sandbox sent malformed action bounds");
    }
  }
  return {
    id: m.id,
    obsDim: m.obsDim!,
    actDim: m.actDim!,
    discreteActions: m.discreteActions,
    actionLow: [...m.actionLow!],
    actionHigh: [...m.actionHigh!],
  };
}

/**
 * Load a task module in a sandbox of its own and return its checked metadata (dimensions, bounds),
 * closing the sandbox: what the trusted side needs to know of a family without running it.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { pinTaskModule } from "../envs/task_module.ts";
 * import { taskModuleMetadata } from "./task_sandbox.ts";
 * const meta = await taskModuleMetadata(await pinTaskModule("examples/point_mass.ts"));
 * assert.equal(meta.obsDim, 2, "position and velocity");
 * ```
 */
export async function taskModuleMetadata(env: string): Promise<TaskFamilyMetadata> {
  const { sandbox, metadata } = await openSandbox(env);
  sandbox.close();
  return metadata;
}

/** What a pool of sandboxes for one module does. */
export interface TaskModuleRunner {
  readonly metadata: TaskFamilyMetadata;
  /** Draw tasks `indices` from their streams (seed, purpose, iteration, index). */
  sampleTasks(
    draw: { seed: number; purpose: Purpose; iteration: number; indices: readonly number[] },
    context?: SandboxContext,
  ): Promise<unknown[]>;
  /** Sample the trajectories `jobs` of `request`, split over the pool's sandboxes. */
  sample(request: PortableSampleRequest, jobs: readonly SampleJob[]): Promise<Path[]>;
  close(): void;
}

/**
 * Start `workers` sandboxes for one task module (each loads it once and is reused). Their paths
 * are those of the in-thread sampler: each trajectory's streams are its own, whichever sandbox
 * samples it.
 */
export async function openTaskModuleRunner(
  env: string,
  workers: number,
): Promise<TaskModuleRunner> {
  const opened: TaskSandbox[] = [];
  let metadata: TaskFamilyMetadata | undefined;
  try {
    for (let k = 0; k < workers; k++) {
      const o = await openSandbox(env);
      opened.push(o.sandbox);
      metadata ??= o.metadata;
    }
  } catch (e) {
    for (const s of opened) s.close();
    throw e;
  }
  const meta = metadata!;
  const sandboxes = opened;
  return {
    metadata: meta,
    async sampleTasks(draw, context = {}) {
      const tasks = await sandboxes[0].call({ kind: "tasks", ...draw }, context);
      if (!Array.isArray(tasks) || tasks.length !== draw.indices.length) {
        throw new TaskModuleError(
          `task module "${sandboxes[0].specifier}": sampleTask gave ${
            show(tasks)
          } for ${draw.indices.length} task(s)`,
        );
      }
      return tasks;
    },
    async sample(request, jobs) {
      const context = { experiment: request.experiment, iteration: request.iteration };
      const parts = chunkBounds(jobs.length, sandboxes.length).filter(([lo, hi]) => hi > lo);
      const { experiment: _, ...portable } = request;
      const results = await Promise.all(
        parts.map(([lo, hi], k) =>
          sandboxes[k].call(
            { kind: "sample", request: portable, jobs: jobs.slice(lo, hi) },
            context,
          )
            .then((paths) =>
              checkPaths(paths, hi - lo, request.horizon, meta, sandboxes[k].specifier)
            )
        ),
      );
      return results.flat();
    },
    close() {
      for (const s of sandboxes) s.close();
    },
  };
}

/** Check the paths a sandbox sent: count, array types, lengths and finite rewards. */
function checkPaths(
  value: unknown,
  count: number,
  horizon: number,
  meta: TaskFamilyMetadata,
  specifier: string,
): Path[] {
  const bad = (what: string) =>
    new TaskModuleError(`task module "${specifier}": the sandbox sent ${what}`);
  if (!Array.isArray(value) || value.length !== count) {
    throw bad(`${show(value)} for ${count} paths`);
  }
  return value.map((p: Partial<Path> | null) => {
    if (
      typeof p !== "object" || p === null || !Number.isInteger(p.length) || p.length! < 1 ||
      p.length! > horizon || !(p.observations instanceof Float64Array) ||
      !(p.actions instanceof Float64Array) || !(p.rewards instanceof Float64Array) ||
      p.observations.length !== p.length! * meta.obsDim ||
      p.actions.length !== p.length! * meta.actDim || p.rewards.length !== p.length
    ) throw bad("a malformed path");
    if (!p.rewards.every(Number.isFinite)) throw bad("a path with a non-finite reward");
    return p as Path;
  });
}

/**
 * Refuse to run task modules that are not part of the package unless the settings allow them
 * (`--allow-task-modules`): one line listing every such module with its digest and the
 * experiments that name it, before anything is run or written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTaskModulesAllowed } from "./task_sandbox.ts";
 * // Built-in environments and the package's examples need no permission.
 * await assert.doesNotReject(checkTaskModulesAllowed([{ id: "a", env: "nav2d" }]));
 * ```
 */
export async function checkTaskModulesAllowed(
  configs: readonly { readonly id: string; readonly env: string }[],
): Promise<void> {
  if (settings.allow === "all") return;
  const outside = new Map<string, string[]>();
  for (const { id, env } of configs) {
    if (parseTaskModule(env) === null || await isPackageTaskModule(env)) continue;
    outside.set(env, [...outside.get(env) ?? [], id]);
  }
  if (outside.size === 0) return;
  const listed = [...outside].map(([env, ids]) => {
    const ref = parseTaskModule(env)!;
    const more = ids.length > 1 ? ` and ${ids.length - 1} more` : "";
    return `"${oneLine(ref.specifier)}" sha256 ${ref.digest ?? "(not pinned)"} (named by ${
      ids[0]
    }${more})`;
  });
  throw new InputError(
    `${outside.size} task module(s) that are not part of the package would run: ${
      listed.join("; ")
    }; pass --allow-task-modules to run them in the task sandbox (no write, FFI, subprocess, network or environment access)`,
  );
}

/** The imports recorded with each task module in this process (config.envImports), by env. */
const recordedImports = new Map<string, Readonly<Record<string, string>>>();

/**
 * Record the imports pinned with task module `env` (its configurations' `envImports`), which every
 * sandbox started for it checks the module's graph against. Two configurations that pin one module's
 * imports differently are an input error.
 */
export function recordTaskModuleImports(
  env: string,
  imports: Readonly<Record<string, string>>,
): void {
  const before = recordedImports.get(env);
  if (before !== undefined && canonicalJson(before) !== canonicalJson(imports)) {
    throw new InputError(
      `envImports: two configurations pin the imports of task module "${
        parseTaskModule(env)?.specifier ?? env
      }" differently`,
    );
  }
  recordedImports.set(env, imports);
}

/**
 * Read, from a sandbox of its own, the dimensions of every task module that `configs` name (each
 * file, and each file it imports, checked against its pin first: `env` and `envImports`), so that
 * `environmentDims` (src/envs/registry.ts) knows them in this thread; built-in ids are left alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prepareTaskModules } from "./task_sandbox.ts";
 * // A built-in environment: nothing to do.
 * await assert.doesNotReject(prepareTaskModules([{ env: "nav2d" }]));
 * ```
 */
export async function prepareTaskModules(
  configs: Iterable<
    { readonly env: string; readonly envImports?: Readonly<Record<string, string>> }
  >,
): Promise<void> {
  for (const { env, envImports } of configs) {
    if (isEnvironmentId(env)) continue;
    if (!isPinnedTaskModule(env)) {
      throw new InputError(
        `env must be one of ${ENVIRONMENTS.join(", ")} or a pinned task module, got "${env}"`,
      );
    }
    recordTaskModuleImports(env, envImports ?? {});
    if (knowsEnvironmentDims(env)) continue;
    rememberTaskModuleDims(env, await taskModuleMetadata(env));
  }
}
