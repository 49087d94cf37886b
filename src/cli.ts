/**
 * What the command-line tasks share: argument parsing with one-line errors, exit codes, the output
 * directory check and a progress display.
 *
 * @module
 */
import { PHYSICS_ENGINES, type PhysicsEngine } from "./envs/physics.ts";
import { isLocomotionId } from "./envs/locomotion.ts";
import { parseArgs, type ParseArgsConfig } from "node:util";
import process from "node:process";
import cliProgress from "cli-progress";
import { type BackendName, BACKENDS, isBackendName } from "./kernels/backend.ts";
import { DENSE_PRECISIONS, type DensePrecision } from "./kernels/dense_simd.ts";
import { ENVIRONMENTS, isEnvironmentId } from "./envs/registry.ts";
import { parseTaskModule, pinTaskModule } from "./envs/task_module.ts";
import { taskModuleImports } from "./sandbox/module_graph.ts";
import {
  checkTaskModulesAllowed,
  configureTaskSandbox,
  DEFAULT_STALL_SECONDS,
  prepareTaskModules,
} from "./sandbox/task_sandbox.ts";
import { InputError, validateConfig } from "./training/config.ts";
import type { ExperimentConfig } from "./training/config.ts";
import { checkWritablePath, parseJsonQuietly, readInputFile } from "./core/safe_fs.ts";
import type { RunHooks } from "./experiments/reproduce.ts";
import { selectExperiments } from "./experiments/select.ts";
import { expandProfile, getProfile, MAX_SEEDS, type Profile } from "./training/profiles.ts";

/** Exit code for bad input (nothing was written). */
export const EXIT_INPUT = 2;

/**
 * Exit code of a run stopped by SIGINT or SIGTERM after checkpointing (EX_TEMPFAIL): rerunning
 * the same command resumes it. A batch scheduler can requeue on it.
 */
export const EXIT_INTERRUPTED = 75;

/**
 * How long after the first stop signal a second one still counts as the same request: a batch
 * scheduler (Slurm) and `deno task` may deliver one stop to every process of a job, so the same
 * signal can arrive twice within milliseconds.
 */
export const REPEATED_SIGNAL_MS = 1000;

/**
 * A stop request raised by the first SIGINT or SIGTERM: the run finishes its current iteration,
 * checkpoints and exits with {@linkcode EXIT_INTERRUPTED}. A second signal, sent at least
 * {@linkcode REPEATED_SIGNAL_MS} after the first, exits at once (130 for SIGINT, 143 for SIGTERM);
 * the atomic writes leave nothing half-written either way. `dispose()` removes the handlers only
 * when no stop was requested: after one, they stay until the process exits.
 */
export function stopOnSignals(): { requested(): boolean; dispose(): void } {
  let requested = false;
  let first = 0;
  const signals = ["SIGINT", "SIGTERM"] as const;
  const handlers = signals.map((signal) => {
    const handler = () => {
      if (requested && performance.now() - first >= REPEATED_SIGNAL_MS) {
        Deno.exit(signal === "SIGINT" ? 130 : 143);
      }
      if (requested) return;
      requested = true;
      first = performance.now();
      console.error(
        `\n${signal}: finishing the current iteration, then checkpointing (exit ${EXIT_INTERRUPTED}; the same command resumes). Send it again to stop at once.`,
      );
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  return {
    requested: () => requested,
    dispose() {
      // After a stop request the process is about to exit with EXIT_INTERRUPTED: the handlers
      // stay, so a repeat of the same stop arriving now is still absorbed (without them the
      // default action would end the process with 143 after a clean checkpoint).
      if (requested) return;
      for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    },
  };
}

/**
 * One command-line option: its kind, its short form, the name of its value in `--help`, and its
 * help text (one paragraph, wrapped by {@linkcode optionsHelp}; a `\n` starts a new line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { OptionSpec } from "./cli.ts";
 * const out: OptionSpec = { type: "string", value: "DIR", help: "where to write" };
 * assert.equal(out.type, "string", "a string option");
 * ```
 */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** The value's name in `--help` (string options), e.g. `DIR`. */
  readonly value?: string;
  readonly help: string;
}

/**
 * A task's options by name: one table gives the parser ({@linkcode parseOptionTable}), the parsed
 * values' types ({@linkcode ParsedOptions}) and the help text ({@linkcode optionsHelp}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { OptionTable } from "./cli.ts";
 * const table = { help: { type: "boolean", short: "h", help: "show this help" } } as const;
 * const t: OptionTable = table;
 * assert.equal(Object.keys(t).join(), "help", "one option");
 * ```
 */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/**
 * The values {@linkcode parseOptionTable} returns for table `T`: a string or a boolean by the
 * option's type, undefined when absent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ParsedOptions } from "./cli.ts";
 * const table = { dir: { type: "string", help: "a directory" },
 *   json: { type: "boolean", help: "print JSON" } } as const;
 * const parsed: ParsedOptions<typeof table> = { dir: "results", json: true };
 * const dir: string | undefined = parsed.dir;
 * assert.equal(dir, "results", "typed");
 * ```
 */
export type ParsedOptions<T extends OptionTable> = {
  readonly [K in keyof T]?: T[K]["type"] extends "boolean" ? boolean : string;
};

/**
 * Parse `args` strictly by `table` (unknown options and stray positionals are input errors).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOptionTable } from "./cli.ts";
 * const table = { out: { type: "string", value: "DIR", help: "where" },
 *   list: { type: "boolean", help: "only list" } } as const;
 * const o = parseOptionTable(["--out", "results/x", "--list"], table);
 * assert.equal(o.out, "results/x", JSON.stringify(o));
 * assert.equal(o.list, true, JSON.stringify(o));
 * let message = "";
 * try { parseOptionTable(["--nope"], table); } catch (e) { message = (e as Error).message; }
 * assert.ok(message.includes("--nope"), message);
 * ```
 */
export function parseOptionTable<T extends OptionTable>(
  args: string[],
  table: T,
): ParsedOptions<T> {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const [name, spec] of Object.entries(table)) {
    options[name] = spec.short === undefined
      ? { type: spec.type }
      : { type: spec.type, short: spec.short };
  }
  return parseOptions(args, options) as ParsedOptions<T>;
}

/** Width of the option column of {@linkcode optionsHelp}, and of its whole lines. */
const HELP_INDENT = 19, HELP_WIDTH = 100;

/**
 * The "Options:" lines of `--help` for `table`: `--name VALUE` (and `-s, `), its help text beside
 * it, wrapped to 100 columns under itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optionsHelp } from "./cli.ts";
 * const text = optionsHelp({
 *   out: { type: "string", value: "DIR", help: "output directory" },
 *   help: { type: "boolean", short: "h", help: "show this help" },
 * });
 * assert.equal(text, "  --out DIR        output directory\n  -h, --help       show this help");
 * ```
 */
export function optionsHelp(table: OptionTable): string {
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(table)) {
    const flag = `  ${spec.short === undefined ? "" : `-${spec.short}, `}--${name}${
      spec.value === undefined ? "" : ` ${spec.value}`
    }`;
    const text = wrapHelp(spec.help, HELP_WIDTH - HELP_INDENT);
    if (flag.length < HELP_INDENT - 1) {
      lines.push(flag.padEnd(HELP_INDENT) + text[0]);
    } else {
      lines.push(flag, " ".repeat(HELP_INDENT) + text[0]);
    }
    for (const line of text.slice(1)) lines.push(" ".repeat(HELP_INDENT) + line);
  }
  return lines.join("\n");
}

/** `text` wrapped to `width` columns at spaces; a `\n` in it starts a new line. */
function wrapHelp(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ").filter((w) => w !== "")) {
      if (line !== "" && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line === "" ? word : `${line} ${word}`;
    }
    out.push(line);
  }
  return out;
}

/** Parse `args` strictly (unknown options and stray positionals are input errors). */
function parseOptions<T extends ParseArgsConfig["options"]>(
  args: string[],
  options: T,
): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (e) {
    throw new InputError((e as Error).message.split("\n")[0]);
  }
}

/** Parse a positive integer option; throws {@linkcode InputError} naming the option. */
export function positiveInt(name: string, value: string | undefined): number | undefined {
  return boundedInt(name, value, 1, Number.MAX_SAFE_INTEGER);
}

/**
 * Parse an integer option in [min, max]; throws {@linkcode InputError} naming the option and the
 * range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { boundedInt } from "./cli.ts";
 * assert.equal(boundedInt("seeds", "3", 1, 1000), 3, "parse");
 * let message = "";
 * try { boundedInt("seeds", "1000000000", 1, 1000); } catch (e) { message = (e as Error).message; }
 * assert.equal(message, 'seeds must be an integer in [1, 1000], got "1000000000"', message);
 * ```
 */
export function boundedInt(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER && min === 1
      ? "a positive integer"
      : `an integer in [${min}, ${max}]`;
    throw new InputError(`${name} must be ${range}, got "${value}"`);
  }
  return n;
}

/**
 * Read and parse a JSON file named by option `option`: a regular file whose real path the task
 * may read, at most 1 MiB. Unreadable files and malformed JSON are input errors naming the
 * option and the file (never quoting its text).
 */
export async function readJsonFile(option: string, path: string): Promise<unknown> {
  const text = await readInputFile(option, path);
  try {
    return parseJsonQuietly(text);
  } catch (e) {
    throw new InputError(`${option}: "${path}" is ${(e as Error).message}`);
  }
}

/** The default number of sampling (and of learner) workers: the machine's logical cores. */
export const DEFAULT_WORKERS: number = Math.max(1, navigator.hardwareConcurrency || 1);

/** Most worker threads of each kind that `--workers` accepts. */
export const MAX_WORKERS = 64;

/** Parse a `--workers` value in [1, {@linkcode MAX_WORKERS}] (default {@linkcode DEFAULT_WORKERS}). */
export function workersOption(value: string | undefined): number {
  return boundedInt("workers", value, 1, MAX_WORKERS) ?? Math.min(DEFAULT_WORKERS, MAX_WORKERS);
}

/**
 * Parse a `--physics` value; throws {@linkcode InputError} listing the engines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { physicsOption } from "./cli.ts";
 * assert.equal(physicsOption("native"), "native");
 * assert.throws(() => physicsOption("bullet"), /^InputError: physics must be one of wasm, native/);
 * ```
 */
export function physicsOption(value: string): PhysicsEngine {
  if (!(PHYSICS_ENGINES as readonly string[]).includes(value)) {
    throw new InputError(`physics must be one of ${PHYSICS_ENGINES.join(", ")}, got "${value}"`);
  }
  return value as PhysicsEngine;
}

/** Parse a `--backend` value; throws {@linkcode InputError} listing the allowed backends. */
export function backendOption(value: string): BackendName {
  if (!isBackendName(value)) {
    throw new InputError(`backend must be one of ${BACKENDS.join(", ")}, got "${value}"`);
  }
  return value;
}

/**
 * Parse a `--sampling-precision` value; throws {@linkcode InputError} listing the allowed ones.
 */
export function samplingPrecisionOption(value: string): DensePrecision {
  const allowed: readonly string[] = DENSE_PRECISIONS;
  if (!allowed.includes(value)) {
    throw new InputError(
      `sampling-precision must be one of ${DENSE_PRECISIONS.join(", ")}, got "${value}"`,
    );
  }
  return value as DensePrecision;
}

/**
 * Run a task's main function: input errors print one line and exit 2; other errors print their
 * message and exit 1.
 */
export async function runMain(main: () => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (e) {
    if (e instanceof InputError) {
      console.error(`error: ${e.message}`);
      Deno.exit(EXIT_INPUT);
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      console.error(`error: ${(e as Error).message.split("\n")[0]}`);
      Deno.exit(EXIT_INPUT);
    }
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}

/**
 * Make sure `dir` is (or can become) a writable directory, before any experiment runs. Throws
 * {@linkcode InputError} naming the option when it is not.
 */
export async function ensureWritableDir(option: string, dir: string): Promise<void> {
  await checkWritablePath(option, dir);
  try {
    const info = await Deno.stat(dir);
    if (!info.isDirectory) {
      throw new InputError(`${option}: "${dir}" exists and is not a directory`);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    if (!(e instanceof Deno.errors.NotFound)) throw permissionError(option, dir, e);
    try {
      await Deno.mkdir(dir, { recursive: true });
    } catch (e2) {
      throw permissionError(option, dir, e2);
    }
  }
  const probe = `${dir}/.write-probe-${Deno.pid}`;
  try {
    await Deno.writeFile(probe, new Uint8Array());
    await Deno.remove(probe);
  } catch (e) {
    throw permissionError(option, dir, e);
  }
}

function permissionError(option: string, dir: string, e: unknown): InputError {
  const denied = e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied;
  return new InputError(
    denied
      ? `${option}: "${dir}" is not writable (the tasks may write only under results/; for another directory run tasks/*.ts with deno run --allow-write=DIR)`
      : `${option}: "${dir}" is not writable: ${(e as Error).message.split("\n")[0]}`,
  );
}

/**
 * Progress hooks: a bar with ETA per experiment on a terminal, one line per finished, kept or
 * resumed experiment otherwise (logs, CI); warnings on one line each.
 */
export function progressHooks(): RunHooks & { stop(): void } {
  const tty = Deno.stderr.isTerminal();
  let bar: cliProgress.SingleBar | null = null;
  const stopBar = () => {
    bar?.stop();
    bar = null;
  };
  return {
    onStart(config: ExperimentConfig, index: number, total: number, completed: number) {
      if (!tty) {
        if (completed > 0) console.error(`resume ${config.id} from iteration ${completed}`);
        return;
      }
      bar = new cliProgress.SingleBar({
        format: `[${
          index + 1
        }/${total}] ${config.id} {bar} {value}/{total} it | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 20,
      }, cliProgress.Presets.shades_classic);
      bar.start(config.iterations, completed);
    },
    onIteration(_config, metrics) {
      bar?.update(metrics.iteration + 1);
    },
    onDone(config, seconds) {
      stopBar();
      if (!tty) console.error(`done ${config.id} (${seconds.toFixed(1)} s)`);
    },
    onKeep(config) {
      if (!tty) console.error(`kept ${config.id} (finished; its files check)`);
    },
    onWarning(message) {
      stopBar();
      console.error(`warning: ${message}`);
    },
    stop: stopBar,
  };
}

/**
 * The options that select a grid of experiments, shared by `reproduce` and `merge` (a sharded
 * run's merge takes the arguments its shards ran with); each task adds its own `--profile`.
 */
export const GRID_OPTIONS = {
  only: {
    type: "string",
    value: "PATTERN",
    help:
      "run only experiments whose id matches (substring, or * wildcards), e.g. --only 'sgmrl-so-*'",
  },
  seeds: {
    type: "string",
    value: "N",
    help: `number of seeds 0..N-1, at most ${MAX_SEEDS} (default: the profile's)`,
  },
  backend: {
    type: "string",
    value: "B",
    help: `${
      BACKENDS.join(" | ")
    } (default: wasm); native: matrix products on the system's OpenBLAS (Debian: libopenblas0-pthread), bytes repeatable on one machine; webgpu: the learner on a GPU through WebGPU (a software adapter only with SGMRL_ALLOW_SOFTWARE_GPU=1)`,
  },
  physics: {
    type: "string",
    value: "E",
    help: `${
      PHYSICS_ENGINES.join(" | ")
    } (default: wasm): the physics engine of the grid's MuJoCo experiments, recorded in their config.json; native: Debian's MuJoCo 2.2.2 through FFI (libmujoco2.2.2; run with deno task reproduce:native)`,
  },
  "sampling-precision": {
    type: "string",
    value: "P",
    help: `${
      DENSE_PRECISIONS.join(" | ")
    } (default: float64): the policy's arithmetic while sampling; float64 gives the same trajectories on every backend, float32 samples as PyTorch does (faster, other trajectories, the same bytes on every machine and for any --workers)`,
  },
  config: {
    type: "string",
    value: "FILE",
    help:
      'JSON object of configuration fields that override the profile\'s shared ones, e.g. {"iterations": 50, "metaBatchSize": 10}; unknown keys are errors',
  },
} as const satisfies OptionTable;

/**
 * The profile and the validated, selected configurations that parsed {@linkcode GRID_OPTIONS}
 * name (`profile` falls back to `defaultProfile`).
 */
export async function selectGrid(
  o: ParsedOptions<typeof GRID_OPTIONS> & { readonly profile?: string },
  defaultProfile: string,
): Promise<{ profile: Profile; configs: ExperimentConfig[] }> {
  const profile = getProfile(o.profile ?? defaultProfile);
  const overrides: Record<string, unknown> = o.config === undefined
    ? {}
    : await readOverrides(o.config);
  if (o.backend !== undefined) overrides.backend = backendOption(o.backend);
  const precision = o["sampling-precision"];
  if (precision !== undefined) overrides.samplingPrecision = samplingPrecisionOption(precision);
  // An own task family: pinned to its file's digest, and loaded (its dimensions are needed).
  if (typeof overrides.env === "string" && !isEnvironmentId(overrides.env)) {
    if (parseTaskModule(overrides.env) === null) {
      throw new InputError(
        `config.env: expected one of ${
          ENVIRONMENTS.map((e) => `"${e}"`).join(", ")
        }, or a task module (a .ts, .js or .mjs file inside the project without "..", or a file: URL), got "${overrides.env}"`,
      );
    }
    overrides.env = await pinTaskModule(overrides.env);
    const env = overrides.env as string;
    await checkTaskModulesAllowed([{ id: "every experiment of the grid", env }]);
    const imports = await taskModuleImports(env);
    if (Object.keys(imports).length > 0) overrides.envImports = imports;
    else delete overrides.envImports;
    await prepareTaskModules([{ env, envImports: imports }]);
  }
  const physics = o.physics === undefined ? undefined : physicsOption(o.physics);
  const configs = selectExperiments(
    expandProfile(profile, {
      seeds: boundedInt("seeds", o.seeds, 1, MAX_SEEDS),
      overrides,
    }),
    o.only,
  ).map((c) =>
    // The engine of the MuJoCo experiments; wasm, the default, is left unrecorded (the bytes of a
    // run without --physics).
    physics === undefined || !isLocomotionId(c.env)
      ? c
      : validateConfig(physics === "wasm" ? withoutPhysics(c) : { ...c, physics })
  );
  return { profile, configs };
}

function withoutPhysics(config: ExperimentConfig): Omit<ExperimentConfig, "physics"> {
  const { physics: _, ...rest } = config;
  return rest;
}

async function readOverrides(path: string): Promise<Record<string, unknown>> {
  const value = await readJsonFile("config", path);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(`config: "${path}" must hold a JSON object of configuration fields`);
  }
  return value as Record<string, unknown>;
}

/** `--workers N`, shared by the tasks that train or replay. */
export const WORKERS_OPTION = {
  workers: {
    type: "string",
    value: "N",
    help:
      `sampling threads and learner threads, N of each, taking turns (default: the number of cores, here ${DEFAULT_WORKERS}); the artefacts are the same bytes for any N`,
  },
} as const satisfies OptionTable;

/** `-h, --help`, every task's last option. */
export const HELP_OPTION = {
  help: { type: "boolean", short: "h", help: "show this help" },
} as const satisfies OptionTable;

/** The options that say how task modules run, shared by `reproduce` and `verify`. */
export const SANDBOX_OPTIONS = {
  "allow-task-modules": {
    type: "boolean",
    help:
      "run task modules that are not part of the package (outside examples/ and src/), such as a results directory's own; without it they are listed and refused (exit 2). They run only in the task sandbox: a Worker that may read the package and the module's own pinned files, and nothing else (no write, FFI, subprocess, network or environment access)",
  },
  "task-timeout": {
    type: "string",
    value: "S",
    help:
      `a task module that makes no progress for S seconds is stopped, naming the module and experiment (exit 2; default ${DEFAULT_STALL_SECONDS})`,
  },
} as const satisfies OptionTable;

/** Apply parsed {@linkcode SANDBOX_OPTIONS} to this process's task sandbox. */
export function applySandboxOptions(o: ParsedOptions<typeof SANDBOX_OPTIONS>): void {
  configureTaskSandbox({
    allow: o["allow-task-modules"] === true ? "all" : "package",
    stallSeconds: boundedInt("task-timeout", o["task-timeout"], 1, 86_400) ??
      DEFAULT_STALL_SECONDS,
  });
}
