/**
 * Running a profile's experiments into hashed artefact directories (resuming interrupted ones),
 * and summarising them as the paper's Tables 1 and 2.
 *
 * @module
 */
import {
  checkExperimentDirectory,
  checkOutputLabel,
  MANIFEST_FILE,
  type ProfileManifest,
  TIMINGS_FILE,
  writeExperiment,
  writeProfileManifest,
} from "./artifacts.ts";
import { withDirectoryLock, withExperimentLock } from "./directory_lock.ts";
import { checkTaskModulesAllowed, prepareTaskModules } from "../sandbox/task_sandbox.ts";
import { checkMemory } from "../training/budget.ts";
import { checkpointSchedule } from "../training/checkpoint.ts";
import { experimentFiles, SUMMARY_ID } from "./experiment_files.ts";
import { readCurves, summaryFiles } from "./profile_summary.ts";
import {
  openRun,
  runDirectory,
  runSeconds,
  saveCheckpoint,
  scheduledCheckpoints,
} from "./resume.ts";
import { canonicalJson } from "../core/canonical_json.ts";
import {
  MAX_INPUT_BYTES,
  parseJsonQuietly,
  readRegularFile,
  UnsafeFileError,
} from "../core/safe_fs.ts";
import { type ExperimentConfig, InputError, validateConfig } from "../training/config.ts";
import { backendDevice, useBackend } from "../kernels/backend.ts";
import {
  evaluate,
  type IterationMetrics,
  type Threads,
  trainIterations,
} from "../training/trainer.ts";

/**
 * Progress callbacks of {@linkcode runExperiments}, and its stop request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type RunHooks, runExperiments } from "./reproduce.ts";
 * import { expandProfile, PROFILES } from "../training/profiles.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * // SG-MRL and MAML on 2D navigation, one seed each, two iterations of a tiny meta-batch.
 * const configs = expandProfile(PROFILES.compare, { seeds: 1, overrides: { iterations: 2,
 *   checkpointEvery: 1, metaBatchSize: 2, trajectoriesPerTask: 2, horizon: 5,
 *   policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } } });
 * const dir = await Deno.makeTempDir();
 * try {
 *   // Stop after the first iteration, as SIGTERM does; the rerun resumes from the checkpoint.
 *   let iterations = 0;
 *   const hooks: RunHooks = { onIteration: () => void iterations++, shouldStop: () => iterations > 0 };
 *   const stopped = await runExperiments(configs, dir, "compare", hooks);
 *   const resumed: number[] = [];
 *   const done = await runExperiments(configs, dir, "compare", {
 *     onStart: (_config, _index, _total, completed) => void resumed.push(completed),
 *   });
 *   assert.ok(stopped.stopped, "resume");
 *   assert.ok(!done.stopped, "resume");
 *   assert.equal(resumed.join(), "1,0", "resume");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface RunHooks {
  /** Training starts (`completed` = 0) or resumes from a checkpoint after `completed` iterations. */
  onStart?(config: ExperimentConfig, index: number, total: number, completed: number): void;
  /** A finished experiment whose directory checks and whose config matches is kept as it is. */
  onKeep?(config: ExperimentConfig): void;
  onIteration?(config: ExperimentConfig, metrics: IterationMetrics): void;
  onDone?(config: ExperimentConfig, seconds: number): void;
  /** A checkpoint or run directory that cannot be used (one line). */
  onWarning?(message: string): void;
  /**
   * Asked after every iteration: true makes the run checkpoint the state it has reached and
   * return with `stopped` set, starting no further experiment (for SIGINT and SIGTERM).
   */
  shouldStop?(): boolean;
}

/**
 * The outcome of {@linkcode runExperiments}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type RunOutcome, runExperiments } from "./reproduce.ts";
 * import { expandProfile, PROFILES } from "../training/profiles.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * // SG-MRL and MAML on 2D navigation, one seed each, two iterations of a tiny meta-batch.
 * const configs = expandProfile(PROFILES.compare, { seeds: 1, overrides: { iterations: 2,
 *   checkpointEvery: 1, metaBatchSize: 2, trajectoriesPerTask: 2, horizon: 5,
 *   policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } } });
 * const dir = await Deno.makeTempDir();
 * try {
 *   const outcome: RunOutcome = await runExperiments(configs, dir, "compare");
 *   const ids = Object.keys(outcome.experiments).sort().join();
 *   assert.equal(ids, "nav2d-maml-so-z1-s0,nav2d-sgmrl-so-z1-s0,summary", ids);
 *   assert.ok(/^[0-9a-f]{64}$/.test(outcome.root), "the root digest");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface RunOutcome {
  /** The profile manifest's root digest over every experiment directory present. */
  readonly root: string;
  /** Wall-clock seconds of each experiment trained (or resumed) by this call. */
  readonly seconds: Record<string, number>;
  /** True when `shouldStop` ended the run early: rerun it to resume. */
  readonly stopped: boolean;
  /** Ids of finished experiments that were kept. */
  readonly kept: string[];
  /** Ids of the experiments this call finished and wrote. */
  readonly written: string[];
  /** Every experiment in the profile manifest (this call's and others'), with its digest. */
  readonly experiments: Readonly<Record<string, string>>;
}

/**
 * Train every configuration and write its artefact directory under `outDir` (each atomically),
 * then, under the directory's lock, the summary and the profile manifest over every experiment
 * directory present (other processes may be writing other experiments of the grid into
 * `outDir`: `--shard`). Wall-clock times go to the unhashed timings.json (a resumed experiment's
 * summed over the processes that trained it). Experiments run on `threads` (default: the calling
 * thread); the artefacts do not depend on which.
 *
 * Rerunning after an interruption (a kill at any moment, a power loss, or `hooks.shouldStop`)
 * keeps each finished experiment whose directory checks against its manifest and whose
 * config.json is the requested configuration, continues each unfinished one from its last
 * complete checkpoint (src/experiments/resume.ts), and removes its experiments' leftover `.partial-*` entries; the artefacts
 * are the bytes of an uninterrupted run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runExperiments } from "./reproduce.ts";
 * import { expandProfile, PROFILES } from "../training/profiles.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * // SG-MRL and MAML on 2D navigation, one seed each, two iterations of a tiny meta-batch.
 * const configs = expandProfile(PROFILES.compare, { seeds: 1, overrides: { iterations: 2,
 *   checkpointEvery: 1, metaBatchSize: 2, trajectoriesPerTask: 2, horizon: 5,
 *   policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } } });
 * const dir = await Deno.makeTempDir();
 * try {
 *   const first = await runExperiments(configs, dir, "compare");
 *   // Run again: both experiments are finished and kept, the same root digest.
 *   const again = await runExperiments(configs, dir, "compare");
 *   assert.equal(first.written.length, 2, "kept");
 *   assert.equal(again.kept.length, 2, "kept");
 *   assert.equal(again.root, first.root, "kept");
 *   assert.ok(
 *     (await Deno.readTextFile(`${dir}/summary/table.md`)).includes("| nav2d | sgmrl |"),
 *     "the summary table",
 *   );
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function runExperiments(
  configs: readonly ExperimentConfig[],
  outDir: string,
  profile: string,
  hooks: RunHooks = {},
  threads: Threads = {},
): Promise<RunOutcome> {
  await checkTaskModulesAllowed(configs);
  await prepareTaskModules(configs);
  await checkRunTargets(configs, outDir, profile);
  const seconds: Record<string, number> = {};
  const devices: Record<string, string> = {};
  const kept: string[] = [];
  const written: string[] = [];
  let stopped = false;
  await Deno.mkdir(outDir, { recursive: true });
  for (let i = 0; i < configs.length; i++) {
    const config = configs[i];
    // One process at a time trains an experiment: another run of the same command waits here,
    // then keeps what the first one finished.
    await withExperimentLock(outDir, config.id, async () => {
      await removePartials(outDir, (name) => name === config.id);
      if (await isFinished(outDir, config)) {
        // A run directory left by a kill between writing the experiment and removing it.
        await Deno.remove(runDirectory(outDir, config.id), { recursive: true }).catch((e) => {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        });
        kept.push(config.id);
        hooks.onKeep?.(config);
        return;
      }
      // Once stopped, the loop only counts the experiments finished earlier.
      stopped ||= hooks.shouldStop?.() ?? false;
      if (stopped) return;
      const ran = await runExperiment(config, outDir, hooks, threads, i, configs.length);
      stopped = !ran.finished;
      seconds[config.id] = ran.seconds;
      const device = await backendDevice(config.backend);
      if (device !== undefined) devices[config.id] = device;
      if (stopped) return;
      written.push(config.id);
      hooks.onDone?.(config, seconds[config.id]);
    });
  }
  const manifest = await refreshProfileDirectory(
    outDir,
    profile,
    seconds,
    hooks,
    undefined,
    devices,
  );
  return {
    root: manifest.root,
    experiments: manifest.experiments,
    seconds,
    stopped,
    kept,
    written,
  };
}

/**
 * Rewrite what the experiments of `outDir` share, under its lock (src/experiments/directory_lock.ts), so that
 * processes finishing together never lose each other's experiments: leftovers of interrupted
 * shared writes are removed, then the summary and the profile manifest are regenerated from the
 * experiment directories present and `seconds` (and `devices`: what the native or webgpu backend
 * ran on, by experiment) are added to the unhashed timings.json. Leftovers of experiment writes are
 * removed too where `partials` accepts the id.
 */
export function refreshProfileDirectory(
  outDir: string,
  profile: string,
  seconds: Record<string, number> = {},
  hooks: Pick<RunHooks, "onWarning"> = {},
  partials: (name: string) => boolean = () => false,
  devices: Record<string, string> = {},
): Promise<ProfileManifest> {
  const shared = new Set([SUMMARY_ID, MANIFEST_FILE, TIMINGS_FILE]);
  return withDirectoryLock(outDir, async () => {
    await removePartials(outDir, (name) => shared.has(name) || partials(name));
    await writeSummary(outDir, hooks);
    const manifest = await writeProfileManifest(outDir, profile);
    await writeTimings(outDir, seconds, devices);
    return manifest;
  });
}

/**
 * Train (or resume) one experiment and write its directory; `finished` is false when stopped
 * first. `seconds`: the wall-clock time of its training so far, earlier processes' included up to
 * the checkpoint resumed from (src/experiments/resume.ts), and of its evaluation.
 */
async function runExperiment(
  config: ExperimentConfig,
  outDir: string,
  hooks: RunHooks,
  threads: Threads,
  index: number,
  total: number,
): Promise<{ finished: boolean; seconds: number }> {
  await useBackend(config.backend);
  const run = await openRun(outDir, config, (m) => hooks.onWarning?.(m));
  hooks.onStart?.(config, index, total, run.state.completed);
  const schedule = new Set(checkpointSchedule(config.iterations, config.checkpointEvery));
  const stop = () => hooks.shouldStop?.() ?? false;
  await trainIterations(config, run.state, {
    ...threads,
    shouldStop: stop,
    validations: run.validations,
    onIteration: async (m, _timing, state, periodic, validation) => {
      run.metrics.push(m);
      if (periodic !== undefined) run.evaluations.push(periodic);
      if (validation !== undefined) run.validations.push(validation);
      hooks.onIteration?.(config, m);
      if (schedule.has(state.completed) || stop()) await saveCheckpoint(run, config);
    },
  });
  if (run.state.completed < config.iterations || stop()) {
    return { finished: false, seconds: runSeconds(run) };
  }
  const evaluation = await evaluate(config, run.state.params, threads);
  const files = experimentFiles(config, {
    params: run.state.params,
    metrics: run.metrics,
    evaluation,
    periodicEvaluations: run.evaluations,
    validations: run.validations,
  }, await scheduledCheckpoints(run, config));
  await writeExperiment(outDir, config.id, files, run.state.digest);
  const seconds = runSeconds(run);
  await Deno.remove(run.dir, { recursive: true });
  return { finished: true, seconds };
}

/**
 * Regenerate `<outDir>/summary/` from the experiment directories present. When they cannot be
 * summarised (an experiment directory of another run is damaged), the summary is removed and the
 * reason reported through `onWarning`, so the directory never holds a stale one.
 */
async function writeSummary(outDir: string, hooks: RunHooks): Promise<void> {
  let files;
  try {
    files = await summaryFiles(await readCurves(outDir));
  } catch (e) {
    if (!(e instanceof InputError || e instanceof RangeError)) throw e;
    hooks.onWarning?.(`no ${SUMMARY_ID}/ written: ${(e as Error).message.split("\n")[0]}`);
    await Deno.remove(`${outDir}/${SUMMARY_ID}`, { recursive: true }).catch(() => {});
    return;
  }
  await writeExperiment(outDir, SUMMARY_ID, files);
}

/** Whether `<outDir>/<id>` is a finished experiment of exactly `config` that checks. */
export async function isFinished(outDir: string, config: ExperimentConfig): Promise<boolean> {
  return (await storedConfigText(`${outDir}/${config.id}`)) === canonicalJson(config) &&
    (await checkExperimentDirectory(outDir, config.id)).length === 0;
}

/** Ids of the experiments of `configs` that are not finished in `outDir` (in the order given). */
export async function unfinishedExperiments(
  outDir: string,
  configs: readonly ExperimentConfig[],
): Promise<string[]> {
  const missing: string[] = [];
  for (const config of configs) {
    if (!(await isFinished(outDir, config))) missing.push(config.id);
  }
  return missing;
}

/** The config.json text of an experiment or run directory, or null when there is none to read. */
async function storedConfigText(dir: string): Promise<string | null> {
  try {
    const bytes = await readRegularFile(`${dir}/config.json`, MAX_INPUT_BYTES);
    return bytes === null ? null : new TextDecoder().decode(bytes);
  } catch (e) {
    if (e instanceof UnsafeFileError || e instanceof Deno.errors.NotADirectory) return null;
    throw e;
  }
}

/**
 * Refuse, before anything is written, a run that would overwrite or mix up results: two
 * configurations with one id; a directory labelled with another profile, or holding profile
 * directories; a finished experiment or an unfinished run of another configuration under a
 * requested id; a configuration whose memory estimate is over the limits.
 */
export async function checkRunTargets(
  configs: readonly ExperimentConfig[],
  outDir: string,
  profile: string,
): Promise<void> {
  const seen = new Map<string, ExperimentConfig>();
  for (const config of configs) {
    const other = seen.get(config.id);
    if (other !== undefined) {
      const fields = Object.keys(config).filter((k) =>
        canonicalJson(Reflect.get(config, k)) !==
          canonicalJson(Reflect.get(other, k))
      );
      throw new InputError(
        `config: two experiments would share the id "${config.id}" (they differ in ${
          fields.join(", ")
        }, which the id does not name); remove that override`,
      );
    }
    seen.set(config.id, config);
    checkMemory(config);
  }
  await checkOutputLabel("out", outDir, profile);
  for (const config of configs) {
    for (
      const [dir, what] of [
        [`${outDir}/${config.id}`, "a finished experiment"],
        [runDirectory(outDir, config.id), "an unfinished run"],
      ] as const
    ) {
      const text = await storedConfigText(dir);
      if (text === null || text === canonicalJson(config)) continue;
      let stored: ExperimentConfig;
      try {
        stored = validateConfig(parseJsonQuietly(text));
      } catch {
        continue; // Not a configuration: damaged, so it is replaced.
      }
      const fields = Object.keys(config).filter((k) =>
        canonicalJson(Reflect.get(config, k)) !==
          canonicalJson(Reflect.get(stored, k) ?? null)
      );
      throw new InputError(
        `out: "${dir}" holds ${what} of another configuration (${
          fields.join(", ")
        } differ); remove it or write to another --out`,
      );
    }
  }
}

/**
 * The name an interrupted write of `<outDir>/<name>` leaves behind (`.partial-NAME-R` or
 * `.partial-old-NAME-R`, R 16 hex digits; src/experiments/artifacts.ts), or null for any other entry.
 */
export function partialOf(entry: string): string | null {
  const match = /^\.partial-(.+)-[0-9a-f]{16}$/.exec(entry);
  return match === null ? null : match[1];
}

/**
 * Remove the leftovers of interrupted writes at the top of `outDir` whose target `owns` accepts
 * (an experiment id, `summary`, `manifest.json` or `timings.json`): other processes may be
 * writing the others (`--shard`). Returns the names removed.
 */
export async function removePartials(
  outDir: string,
  owns: (name: string) => boolean,
): Promise<string[]> {
  const removed: string[] = [];
  for await (const entry of Deno.readDir(outDir)) {
    const of = entry.name === `.${TIMINGS_FILE}.tmp` ? TIMINGS_FILE : partialOf(entry.name);
    if (of === null) continue;
    if (owns(of) || (of.startsWith("old-") && owns(of.slice(4)))) {
      await Deno.remove(`${outDir}/${entry.name}`, { recursive: true });
      removed.push(entry.name);
    }
  }
  return removed;
}

async function writeTimings(
  outDir: string,
  seconds: Record<string, number>,
  devices: Record<string, string>,
): Promise<void> {
  let previous: { seconds?: Record<string, number>; devices?: Record<string, string> } = {};
  try {
    const bytes = await readRegularFile(`${outDir}/${TIMINGS_FILE}`, MAX_INPUT_BYTES);
    if (bytes !== null) previous = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    // No usable earlier timings: they are only wall-clock figures.
  }
  const merged = {
    seconds: { ...previous.seconds, ...seconds },
    devices: { ...previous.devices, ...devices },
  };
  const tmp = `${outDir}/.${TIMINGS_FILE}.tmp`;
  await Deno.writeTextFile(
    tmp,
    canonicalJson(Object.keys(merged.devices).length > 0 ? merged : { seconds: merged.seconds }),
  );
  await Deno.rename(tmp, `${outDir}/${TIMINGS_FILE}`);
}
