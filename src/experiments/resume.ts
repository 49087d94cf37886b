/**
 * The run directory of an unfinished experiment, from which an interrupted run resumes.
 *
 * While experiment `<id>` trains, `<out>/.run-<id>/` holds its `config.json`, a `metrics.csv`
 * with the rows so far (and evaluations.csv, validations.csv where the config has them), and its
 * checkpoints (src/training/checkpoint.ts), each replaced atomically and
 * flushed to disk. The metrics are written before the checkpoint they end at, so every complete
 * checkpoint has its rows. A rerun with the same configuration continues from the latest
 * checkpoint that checks (its own digest, the metrics rows' digests, and every scheduled
 * checkpoint before it); a truncated or corrupted one is reported on one line and the previous
 * one is used. When the experiment is finished, its artefact directory is written (atomically,
 * with the scheduled checkpoints) and the run directory removed.
 *
 * Beside them, `elapsed.json` (never hashed, never in an artefact) records the wall-clock seconds of
 * training up to each checkpoint, summed over the processes that produced it, so that a resumed
 * experiment's time in timings.json is that of all its kept work, not of its last process alone.
 *
 * @module
 */
import { writeFileAtomically } from "./artifacts.ts";
import { canonicalJson } from "../core/canonical_json.ts";
import {
  checkpointIteration,
  checkpointName,
  checkpointSchedule,
  encodeCheckpoint,
  type TrainingState,
} from "../training/checkpoint.ts";
import type { ExperimentConfig } from "../training/config.ts";
import {
  checkedCheckpoint,
  evaluationsCsv,
  metricsCsv,
  parseEvaluationsCsv,
  parseMetricsCsv,
  parseValidationsCsv,
  periodicSchedule,
  VALIDATIONS_FILE,
  validationsCsv,
} from "./experiment_files.ts";
import { type Validation, validationRule } from "../training/validation.ts";
import { readRegularFile, UnsafeFileError } from "../core/safe_fs.ts";
import {
  initialTrainingState,
  type IterationMetrics,
  type PeriodicEvaluation,
} from "../training/trainer.ts";

/** Prefix of run directories: `<out>/.run-<id>`. */
export const RUN_PREFIX = ".run-";
const METRICS = "metrics.csv";
const EVALUATIONS = "evaluations.csv";
const CONFIG = "config.json";
const ELAPSED = "elapsed.json";
const encoder = new TextEncoder();

/** The run directory of experiment `id` under `outDir`. */
export function runDirectory(outDir: string, id: string): string {
  return `${outDir}/${RUN_PREFIX}${id}`;
}

/** An open run: where it is, and the state and metrics to continue from. */
export interface Run {
  readonly dir: string;
  readonly state: TrainingState;
  /** Rows 0 … state.completed − 1 (training appends to it). */
  readonly metrics: IterationMetrics[];
  /** The periodic evaluations after at most state.completed iterations (training appends). */
  readonly evaluations: PeriodicEvaluation[];
  /** The published protocol's validations after at most state.completed iterations (likewise). */
  readonly validations: Validation[];
  /**
   * Wall-clock seconds of training up to each checkpoint, by iteration, summed over the processes
   * that produced it (elapsed.json; saving a checkpoint adds its entry).
   */
  readonly elapsed: Map<number, number>;
  /** The seconds recorded for the checkpoint this process resumed from (0 when none). */
  readonly secondsBefore: number;
  /** `performance.now()` when this process opened the run. */
  readonly openedAt: number;
}

/**
 * Wall-clock seconds of training behind a run so far: those recorded for the checkpoint it
 * resumed from plus this process's since it opened the run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runSeconds } from "./resume.ts";
 * const s = runSeconds({ secondsBefore: 3600, openedAt: performance.now() });
 * assert.ok(s >= 3600 && s < 3660, "an hour before, and this process's moment");
 * ```
 */
export function runSeconds(run: Pick<Run, "secondsBefore" | "openedAt">): number {
  return run.secondsBefore + (performance.now() - run.openedAt) / 1000;
}

/** A file of the run directory, or null when it is absent or not a regular file. */
async function readOptional(path: string): Promise<Uint8Array | null> {
  try {
    return await readRegularFile(path);
  } catch (e) {
    if (e instanceof UnsafeFileError) return null;
    throw e;
  }
}

/**
 * Open (or create) the run directory of `config` under `outDir` and find where to start: the
 * latest checkpoint that checks, or the initial state. A run directory left by another
 * configuration is discarded. Each checkpoint passed over is reported through `warn`.
 */
export async function openRun(
  outDir: string,
  config: ExperimentConfig,
  warn: (message: string) => void = () => {},
): Promise<Run> {
  const dir = runDirectory(outDir, config.id);
  const configText = canonicalJson(config);
  const initial = await initialTrainingState(config);
  const stored = await readOptional(`${dir}/${CONFIG}`);
  const same = stored !== null && new TextDecoder().decode(stored) === configText;
  if (stored !== null && !same) {
    warn(`${dir}: left by a run with another configuration; starting ${config.id} afresh`);
    await Deno.remove(dir, { recursive: true });
  }
  await Deno.mkdir(dir, { recursive: true });
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".")) await Deno.remove(`${dir}/${entry.name}`, { recursive: true });
  }
  if (!same) await writeFileAtomically(dir, CONFIG, encoder.encode(configText));
  const openedAt = performance.now();
  const resumed = await latestCheckpoint(dir, config, initial.digest, warn) ??
    { dir, state: initial, metrics: [], evaluations: [], validations: [] };
  const k = resumed.state.completed;
  const recorded = await readElapsed(`${dir}/${ELAPSED}`, warn);
  // Entries past the checkpoint resumed from belong to work that is being redone.
  const elapsed = new Map([...recorded].filter(([i]) => i <= k));
  return { ...resumed, elapsed, secondsBefore: elapsed.get(k) ?? 0, openedAt };
}

/** elapsed.json of a run directory, iteration to seconds; empty when absent or damaged (said). */
async function readElapsed(
  path: string,
  warn: (message: string) => void,
): Promise<Map<number, number>> {
  const bytes = await readOptional(path);
  const elapsed = new Map<number, number>();
  if (bytes === null) return elapsed;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error();
    for (const [key, seconds] of Object.entries(value)) {
      if (!/^\d{1,9}$/.test(key) || typeof seconds !== "number" || !(seconds >= 0)) {
        throw new Error();
      }
      elapsed.set(Number(key), seconds);
    }
  } catch {
    warn(`${path}: not a map of iterations to seconds; the time before it is not counted`);
    elapsed.clear();
  }
  return elapsed;
}

/** The rows of a run directory's table, or none when it is absent or does not parse (said). */
async function readRows<T>(
  path: string,
  parse: (text: string, file: string) => T[],
  warn: (message: string) => void,
): Promise<T[]> {
  const bytes = await readOptional(path);
  if (bytes === null) return [];
  try {
    return parse(new TextDecoder().decode(bytes), path);
  } catch (e) {
    warn((e as Error).message);
    return [];
  }
}

async function listCheckpoints(dir: string): Promise<number[]> {
  const ks: number[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const k = checkpointIteration(entry.name);
    if (k !== null && entry.isFile) ks.push(k);
  }
  return ks.sort((a, b) => a - b);
}

async function latestCheckpoint(
  dir: string,
  config: ExperimentConfig,
  genesis: string,
  warn: (message: string) => void,
): Promise<Omit<Run, "elapsed" | "secondsBefore" | "openedAt"> | null> {
  const read = <T>(name: string, parse: (text: string, file: string) => T[]) =>
    readRows(`${dir}/${name}`, parse, warn);
  const rows = await read(METRICS, parseMetricsCsv);
  const evaluations = await read(
    EVALUATIONS,
    (text, file) =>
      parseEvaluationsCsv(text, config.innerSteps, config.evaluation.periodic?.tasks ?? 0, file),
  );
  // The validations' schedule depends on the training returns, so it cannot be checked here: the
  // rows are written before each checkpoint, like the metrics, and a replay checks them.
  const validations = await read(
    VALIDATIONS_FILE,
    (text, file) => parseValidationsCsv(text, config.innerSteps, file),
  );
  // A checkpoint is usable only with every periodic evaluation due by then recorded.
  const due = periodicSchedule(config);
  const evaluated = (k: number) =>
    due.filter((d) => d <= k).join() ===
      evaluations.map((e) => e.iteration).filter((i) => i <= k).join();
  const schedule = new Set(checkpointSchedule(config.iterations, config.checkpointEvery));
  const valid = new Map<number, TrainingState>();
  for (const k of await listCheckpoints(dir)) {
    if (k > config.iterations) continue;
    try {
      const { state } = await checkedCheckpoint(dir, k, config, rows, genesis);
      if (!evaluated(k)) {
        throw new RangeError(
          `checkpoint ${dir}/${checkpointName(k)}: ${EVALUATIONS} lacks its rows`,
        );
      }
      valid.set(k, state);
    } catch (e) {
      warn(`${(e as Error).message}; not resuming from it`);
    }
  }
  // The latest valid checkpoint with every scheduled checkpoint before it valid too.
  let best: TrainingState | null = null;
  for (const k of [...valid.keys()].sort((a, b) => a - b)) {
    const missing = [...schedule].some((s) => s < k && !valid.has(s));
    if (!missing) best = valid.get(k)!;
  }
  for (const k of await listCheckpoints(dir)) {
    if (best === null || k > best.completed) await Deno.remove(`${dir}/${checkpointName(k)}`);
  }
  if (best === null) return null;
  const k = best.completed;
  return {
    dir,
    state: best,
    metrics: rows.slice(0, k),
    evaluations: evaluations.filter((e) => e.iteration <= k),
    validations: validations.filter((v) => v.iteration <= k),
  };
}

/**
 * Save a checkpoint of `state` in the run directory: first the metrics rows (and periodic
 * evaluations and validations) up to it and the seconds of training behind it (elapsed.json),
 * then the checkpoint file, each atomically and flushed. Checkpoints outside the schedule that
 * precede it (written on an interruption) are removed.
 */
export async function saveCheckpoint(
  run: Run,
  config: ExperimentConfig,
): Promise<void> {
  const { dir, state, metrics, evaluations, validations, elapsed } = run;
  await writeFileAtomically(dir, METRICS, encoder.encode(metricsCsv(metrics)));
  if (config.evaluation.periodic !== undefined) {
    const text = evaluationsCsv(config.innerSteps, evaluations);
    await writeFileAtomically(dir, EVALUATIONS, encoder.encode(text));
  }
  if (validationRule(config) !== undefined) {
    const text = validationsCsv(config.innerSteps, validations);
    await writeFileAtomically(dir, VALIDATIONS_FILE, encoder.encode(text));
  }
  elapsed.set(state.completed, runSeconds(run));
  const times = Object.fromEntries([...elapsed].map(([k, seconds]) => [String(k), seconds]));
  await writeFileAtomically(dir, ELAPSED, encoder.encode(canonicalJson(times)));
  await writeFileAtomically(dir, checkpointName(state.completed), encodeCheckpoint(state));
  const schedule = new Set(checkpointSchedule(config.iterations, config.checkpointEvery));
  for (const k of await listCheckpoints(dir)) {
    if (k < state.completed && !schedule.has(k)) await Deno.remove(`${dir}/${checkpointName(k)}`);
  }
}

/**
 * The scheduled checkpoints of a finished run, name to bytes, each checked against the metrics
 * rows. Throws naming the first one missing or not checking.
 */
export async function scheduledCheckpoints(
  run: Run,
  config: ExperimentConfig,
): Promise<Record<string, Uint8Array>> {
  const genesis = (await initialTrainingState(config)).digest;
  const files: Record<string, Uint8Array> = {};
  for (const k of checkpointSchedule(config.iterations, config.checkpointEvery)) {
    const { bytes } = await checkedCheckpoint(run.dir, k, config, run.metrics, genesis);
    files[checkpointName(k)] = bytes;
  }
  return files;
}
