/**
 * Running a profile's experiments into hashed artefact directories (resuming interrupted ones),
 * and summarising them as the paper's Tables 1 and 2.
 *
 * @module
 */
import {
  checkExperimentDirectory,
  checkOutputLabel,
  TIMINGS_FILE,
  writeExperiment,
  writeProfileManifest,
} from "./artifacts.ts";
import { checkMemory } from "./budget.ts";
import { checkpointSchedule } from "./checkpoint.ts";
import { experimentFiles, parseEvaluationsCsv, readStoredConfigs } from "./experiment_files.ts";
import { openRun, runDirectory, saveCheckpoint, scheduledCheckpoints } from "./resume.ts";
import { canonicalJson } from "./canonical_json.ts";
import { MAX_INPUT_BYTES, parseJsonQuietly, readRegularFile, UnsafeFileError } from "./safe_fs.ts";
import { type ExperimentConfig, InputError, validateConfig } from "./config.ts";
import { useBackend } from "./backend.ts";
import {
  evaluate,
  type Evaluation,
  type IterationMetrics,
  type PeriodicEvaluation,
  type Threads,
  trainIterations,
} from "./trainer.ts";

/** Progress callbacks of {@linkcode runExperiments}, and its stop request. */
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

/** The outcome of {@linkcode runExperiments}. */
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
}

/**
 * Train every configuration and write its artefact directory under `outDir` (each atomically),
 * then the profile manifest over every experiment directory present. Wall-clock times go to the
 * unhashed timings.json. Experiments run on `threads` (default: the calling thread); the artefacts
 * do not depend on which.
 *
 * Rerunning after an interruption (a kill at any moment, a power loss, or `hooks.shouldStop`)
 * keeps each finished experiment whose directory checks against its manifest and whose
 * config.json is the requested configuration, continues each unfinished one from its last
 * complete checkpoint (src/resume.ts), and removes leftover `.partial-*` entries; the artefacts
 * are the bytes of an uninterrupted run.
 */
export async function runExperiments(
  configs: readonly ExperimentConfig[],
  outDir: string,
  profile: string,
  hooks: RunHooks = {},
  threads: Threads = {},
): Promise<RunOutcome> {
  await checkRunTargets(configs, outDir, profile);
  const seconds: Record<string, number> = {};
  const kept: string[] = [];
  const written: string[] = [];
  let stopped = false;
  await Deno.mkdir(outDir, { recursive: true });
  await removePartials(outDir);
  for (let i = 0; i < configs.length; i++) {
    const config = configs[i];
    if (await isFinished(outDir, config)) {
      // A run directory left by a kill between writing the experiment and removing it.
      await Deno.remove(runDirectory(outDir, config.id), { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
      kept.push(config.id);
      hooks.onKeep?.(config);
      continue;
    }
    // Once stopped, the loop only counts the experiments finished earlier.
    stopped ||= hooks.shouldStop?.() ?? false;
    if (stopped) continue;
    const start = performance.now();
    stopped = !(await runExperiment(config, outDir, hooks, threads, i, configs.length));
    seconds[config.id] = (performance.now() - start) / 1000;
    if (stopped) continue;
    written.push(config.id);
    hooks.onDone?.(config, seconds[config.id]);
  }
  const manifest = await writeProfileManifest(outDir, profile);
  await writeTimings(outDir, seconds);
  return { root: manifest.root, seconds, stopped, kept, written };
}

/** Train (or resume) one experiment and write its directory; false when stopped first. */
async function runExperiment(
  config: ExperimentConfig,
  outDir: string,
  hooks: RunHooks,
  threads: Threads,
  index: number,
  total: number,
): Promise<boolean> {
  await useBackend(config.backend);
  const run = await openRun(outDir, config, (m) => hooks.onWarning?.(m));
  hooks.onStart?.(config, index, total, run.state.completed);
  const schedule = new Set(checkpointSchedule(config.iterations, config.checkpointEvery));
  const stop = () => hooks.shouldStop?.() ?? false;
  await trainIterations(config, run.state, {
    ...threads,
    shouldStop: stop,
    onIteration: async (m, _timing, state, periodic) => {
      run.metrics.push(m);
      if (periodic !== undefined) run.evaluations.push(periodic);
      hooks.onIteration?.(config, m);
      if (schedule.has(state.completed) || stop()) await saveCheckpoint(run, config);
    },
  });
  if (run.state.completed < config.iterations || stop()) return false;
  const evaluation = await evaluate(config, run.state.params, threads);
  const files = experimentFiles(config, {
    params: run.state.params,
    metrics: run.metrics,
    evaluation,
    periodicEvaluations: run.evaluations,
  }, await scheduledCheckpoints(run, config));
  await writeExperiment(outDir, config.id, files, run.state.digest);
  await Deno.remove(run.dir, { recursive: true });
  return true;
}

/** Whether `<outDir>/<id>` is a finished experiment of exactly `config` that checks. */
async function isFinished(outDir: string, config: ExperimentConfig): Promise<boolean> {
  return (await storedConfigText(`${outDir}/${config.id}`)) === canonicalJson(config) &&
    (await checkExperimentDirectory(outDir, config.id)).length === 0;
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
        canonicalJson((config as Record<string, unknown>)[k]) !==
          canonicalJson((other as Record<string, unknown>)[k])
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
        canonicalJson((config as Record<string, unknown>)[k]) !==
          canonicalJson((stored as Record<string, unknown>)[k] ?? null)
      );
      throw new InputError(
        `out: "${dir}" holds ${what} of another configuration (${
          fields.join(", ")
        } differ); remove it or write to another --out`,
      );
    }
  }
}

/** Remove leftovers of interrupted writes: `.partial-*` entries at the top of `outDir`. */
async function removePartials(outDir: string): Promise<void> {
  for await (const entry of Deno.readDir(outDir)) {
    if (entry.name.startsWith(".partial-") || entry.name === `.${TIMINGS_FILE}.tmp`) {
      await Deno.remove(`${outDir}/${entry.name}`, { recursive: true });
    }
  }
}

async function writeTimings(outDir: string, seconds: Record<string, number>): Promise<void> {
  let previous: Record<string, number> = {};
  try {
    const bytes = await readRegularFile(`${outDir}/${TIMINGS_FILE}`, MAX_INPUT_BYTES);
    if (bytes !== null) previous = JSON.parse(new TextDecoder().decode(bytes)).seconds ?? {};
  } catch {
    // No usable earlier timings: they are only wall-clock figures.
  }
  const tmp = `${outDir}/.${TIMINGS_FILE}.tmp`;
  await Deno.writeTextFile(tmp, canonicalJson({ seconds: { ...previous, ...seconds } }));
  await Deno.rename(tmp, `${outDir}/${TIMINGS_FILE}`);
}

/**
 * Filter configurations by `--only`: a pattern with `*` wildcards matched against the whole id,
 * or, without `*`, a substring of the id. No match is an input error.
 */
export function selectExperiments(
  configs: readonly ExperimentConfig[],
  only: string | undefined,
): ExperimentConfig[] {
  if (only === undefined) return [...configs];
  const matcher = only.includes("*")
    ? new RegExp(`^${only.split("*").map(escapeRegExp).join(".*")}$`)
    : null;
  const selected = configs.filter((c) => matcher ? matcher.test(c.id) : c.id.includes(only));
  if (selected.length === 0) {
    throw new InputError(
      `only: "${only}" matches no experiment id (ids look like ${configs[0]?.id ?? "?"})`,
    );
  }
  return selected;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

/** One row of the summary table. */
export interface SummaryRow {
  readonly env: string;
  readonly algorithm: string;
  readonly hessian: string;
  readonly innerSteps: number;
  readonly seeds: number;
  readonly mean: number;
  /** Sample standard deviation over seeds (n − 1; 0 for one seed). */
  readonly std: number;
  /**
   * The reference's protocol, when every seed has periodic evaluations: the best of each seed's
   * post-adaptation returns over its evaluations during training, mean and std over seeds.
   */
  readonly best?: { readonly mean: number; readonly std: number };
}

/** One experiment's results as the summary reads them. */
export interface ExperimentResult {
  readonly config: ExperimentConfig;
  readonly evaluation: Evaluation;
  /** The periodic evaluations (empty without `evaluation.periodic`). */
  readonly periodic: readonly PeriodicEvaluation[];
}

function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const ss = values.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: values.length > 1 ? Math.sqrt(ss / (values.length - 1)) : 0 };
}

/**
 * The paper's figures (mean meta-test reward ± over seeds), keyed `env|algorithm|ζ`: Table 1
 * (2D navigation, one adaptation step) and Table 2 (locomotion, 1–3 steps; the swimmer row is the
 * published reward, `swimmer-vel`).
 */
export const PAPER_FIGURES: Readonly<Record<string, string>> = {
  "nav2d|sgmrl|1": "−16.901 ± 0.699",
  // The paper's SG-MRL figure came from its published code.
  "nav2d|sgmrl-published|1": "−16.901 ± 0.699",
  "nav2d|maml|1": "−17.767 ± 0.106",
  "nav2d|emaml|1": "−17.803 ± 0.115",
  ...table2("half-cheetah-dir", [
    ["580.143 ± 38.22", "465.624 ± 54.07"],
    ["580.203 ± 33.63", "441.247 ± 58.34"],
    ["504.747 ± 45.07", "477.086 ± 64.71"],
  ]),
  ...table2("half-cheetah-vel", [
    ["−91.73 ± 0.34", "−92.92 ± 0.70"],
    ["−52.64 ± 6.86", "−56.71 ± 6.73"],
    ["−33.39 ± 0.67", "−32.48 ± 0.50"],
  ]),
  ...table2("swimmer-vel", [
    ["118.77 ± 9.99", "104.53 ± 24.18"],
    ["134.57 ± 1.67", "108.47 ± 23.36"],
    ["110.91 ± 12.56", "90.60 ± 14.99"],
  ]),
};

function table2(env: string, rows: [string, string][]): Record<string, string> {
  return Object.fromEntries(rows.flatMap(([sgmrl, maml], k) => [
    [`${env}|sgmrl|${k + 1}`, sgmrl],
    [`${env}|maml|${k + 1}`, maml],
  ]));
}

/** Group final evaluations by estimator and ζ: mean ± std over seeds. */
export function summarize(results: readonly ExperimentResult[]): SummaryRow[] {
  const groups = new Map<string, { config: ExperimentConfig; values: number[]; best: number[] }>();
  for (const { config, evaluation, periodic } of results) {
    const key = `${config.env}|${config.algorithm}|${config.hessian}|${config.innerSteps}`;
    const g = groups.get(key) ?? { config, values: [], best: [] };
    g.values.push(evaluation.postAdaptationReturn);
    if (periodic.length > 0) {
      g.best.push(Math.max(...periodic.map((p) => p.evaluation.postAdaptationReturn)));
    }
    groups.set(key, g);
  }
  return [...groups.values()].map(({ config, values, best }) => ({
    env: config.env,
    algorithm: config.algorithm,
    hessian: config.hessian,
    innerSteps: config.innerSteps,
    seeds: values.length,
    ...meanStd(values),
    ...(best.length === values.length ? { best: meanStd(best) } : {}),
  })).sort((a, b) =>
    a.env.localeCompare(b.env) || a.innerSteps - b.innerSteps ||
    a.hessian.localeCompare(b.hessian) ||
    a.algorithm.localeCompare(b.algorithm)
  );
}

/**
 * The summary as a Markdown table in the form of the paper's Tables 1 and 2, with the paper's
 * figure beside each row the paper reports.
 *
 * @example
 * ```ts
 * import { summaryTable } from "./reproduce.ts";
 * const md = summaryTable([{ env: "nav2d", algorithm: "sgmrl", hessian: "none", innerSteps: 1,
 *   seeds: 2, mean: -17, std: 0.5 }]);
 * if (!md.includes("| nav2d | sgmrl | first order | 1 | −17.000 ± 0.500 | 2 | −16.901 ± 0.699 |")) {
 *   throw new Error(md);
 * }
 * ```
 */
export function summaryTable(rows: readonly SummaryRow[]): string {
  const fmt = (x: number) => x.toFixed(3).replace("-", "−");
  const withBest = rows.some((r) => r.best !== undefined);
  const bestHeader = withBest ? " best during training (reference protocol) |" : "";
  const lines = [
    `| env | algorithm | meta-gradient | ζ | meta-test return after ζ steps (mean ± std) |${bestHeader} seeds | paper |`,
    `| --- | --- | --- | --- | --- |${withBest ? " --- |" : ""} --- | --- |`,
  ];
  for (const r of rows) {
    const order = r.hessian === "autodiff" ? "second order" : "first order";
    const paper = PAPER_FIGURES[`${r.env}|${r.algorithm}|${r.innerSteps}`] ?? "";
    const best = !withBest
      ? ""
      : r.best === undefined
      ? " |"
      : ` ${fmt(r.best.mean)} ± ${r.best.std.toFixed(3)} |`;
    lines.push(
      `| ${r.env} | ${r.algorithm} | ${order} | ${r.innerSteps} | ${fmt(r.mean)} ± ${
        r.std.toFixed(3)
      } |${best} ${r.seeds} | ${paper} |`,
    );
  }
  return lines.join("\n");
}

/** Read the final (and periodic) evaluations of every experiment in a profile directory. */
export async function readResults(dir: string): Promise<ExperimentResult[]> {
  const configs = await readStoredConfigs(dir);
  const read = async (path: string) => {
    const bytes = await readRegularFile(path, MAX_INPUT_BYTES);
    if (bytes === null) throw new InputError(`${path}: missing`);
    return new TextDecoder().decode(bytes);
  };
  return await Promise.all(configs.map(async (config) => {
    const at = `${dir}/${config.id}`;
    const periodic = config.evaluation.periodic === undefined ? [] : parseEvaluationsCsv(
      await read(`${at}/evaluations.csv`),
      config.innerSteps,
      config.evaluation.periodic.tasks,
      `${at}/evaluations.csv`,
    );
    const evaluation = JSON.parse(await read(`${at}/evaluation.json`)) as Evaluation;
    return { config, evaluation, periodic };
  }));
}
