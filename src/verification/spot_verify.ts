/**
 * Spot verification of a results directory: check every manifest and digest chain, then replay a
 * random sample of checkpoint intervals and final evaluations byte for byte.
 *
 * The summary directory (src/experiments/profile_summary.ts) is regenerated from the experiments and compared
 * byte for byte too (it is cheap).
 *
 * This is the interval replay of Proof-of-Learning (Jia et al., IEEE S&P 2021) with byte
 * equality in place of a distance tolerance. The cheap part proves that the directory is
 * internally consistent: every file matches its manifest, every checkpoint is a link of its
 * experiment's digest chain (its state hashes, with the previous digest, to the metrics row it
 * ends at), the chain ends at the manifest's `finalStateDigest`, and params.bin is the final
 * checkpoint's parameters. The replay proves that the sampled intervals were computed by this
 * code from their starting checkpoint: equal metrics rows mean equal state digests, hence the
 * replay ends in the stored checkpoint's state; its periodic evaluations and published-protocol
 * validations (whose trigger starts from the validations before the interval) must equal the
 * committed rows of the interval too. An interval not drawn is not checked: if c of M
 * intervals are wrong, n draws without replacement find one with probability
 * 1 − C(M − c, n) / C(M, n) (n / M for one wrong interval).
 *
 * @module
 */
import { readExperimentManifest } from "../experiments/artifacts.ts";
import { csvFormat } from "../core/csv.ts";
import { canonicalJson } from "../core/canonical_json.ts";
import {
  checkpointIteration,
  checkpointSchedule,
  type TrainingState,
} from "../training/checkpoint.ts";
import { type ExperimentConfig, InputError } from "../training/config.ts";
import { useBackend } from "../kernels/backend.ts";
import {
  checkedCheckpoint,
  evaluationsCsv,
  METRICS_HEADER,
  metricsRow,
  paramsBin,
  parseEvaluationsCsv,
  parseMetricsCsv,
  parseValidationsCsv,
  periodicSchedule,
  VALIDATIONS_FILE,
  validationsCsv,
} from "../experiments/experiment_files.ts";
import { type Validation, validationRule } from "../training/validation.ts";
import { preflight } from "./preflight.ts";
import { selectExperiments } from "../experiments/select.ts";
import { finalEvaluationCost, intervalCost, type ReplayCost } from "../training/budget.ts";
import { readCurves, SUMMARY_ID, summaryFiles } from "../experiments/profile_summary.ts";
import { readRegularFile } from "../core/safe_fs.ts";
import { drawWithoutReplacement } from "../core/rng.ts";
import { THEORY_PROFILE } from "../theory/theory_artifacts.ts";
import {
  evaluate,
  initialTrainingState,
  type IterationMetrics,
  type PeriodicEvaluation,
  type Threads,
  trainIterations,
} from "../training/trainer.ts";

/** One checkpoint interval: iterations `from` … `to` − 1 of experiment `id`. */
export interface SpotInterval {
  readonly id: string;
  /** Completed iterations at the starting checkpoint (0: the initial state). */
  readonly from: number;
  /** Completed iterations at the ending checkpoint. */
  readonly to: number;
}

/** What a spot check draws. */
export interface SpotPlan {
  readonly seed: number;
  /** The drawn intervals, sorted by experiment and iteration. */
  readonly intervals: SpotInterval[];
  /** How many intervals the directory has. */
  readonly totalIntervals: number;
  /** The experiments whose final evaluation is replayed, sorted. */
  readonly evaluations: string[];
  readonly totalExperiments: number;
  /** Intervals and final evaluations left out of the draw for costing more than `maxCost`. */
  readonly overCost: { readonly intervals: number; readonly evaluations: number };
}

/** Where a spot check failed. */
export interface SpotFailure {
  /** The experiment, or "" for a problem of the profile directory. */
  readonly experiment: string;
  /** The first differing iteration, when an interval replay differs. */
  readonly iteration?: number;
  /** One or more lines saying what differs. */
  readonly detail: string;
}

/**
 * The outcome of {@linkcode spotVerify}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type SpotReport, spotVerify } from "./spot_verify.ts";
 * import { runExperiments } from "../experiments/reproduce.ts";
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
 *   await runExperiments(configs, dir, "compare");
 *   const report: SpotReport = await spotVerify(dir, { spots: 4, seed: 0 });
 *   // Two experiments of two checkpoint intervals each: four intervals, all drawn.
 *   assert.equal(report.plan.totalIntervals, 4, "every interval");
 *   assert.equal(report.plan.intervals.length, 4, "every interval");
 *   assert.equal(report.failure, null);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface SpotReport {
  readonly plan: SpotPlan;
  /** Number of checkpoints whose chain links were checked. */
  readonly checkpoints: number;
  /** The profile named by the directory's manifest. */
  readonly profile: string;
  /** The root digest of the profile manifest. */
  readonly root: string;
  /** How the configurations differ from the named profile's (see `Preflight`). */
  readonly profileDifferences: string[] | null;
  /** The first failure, or null when everything checks and replays byte for byte. */
  readonly failure: SpotFailure | null;
}

/** Every checkpoint interval of `configs`, sorted by experiment id and iteration. */
export function checkpointIntervals(configs: readonly ExperimentConfig[]): SpotInterval[] {
  return [...configs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).flatMap((c) => {
    const ends = checkpointSchedule(c.iterations, c.checkpointEvery);
    return ends.map((to, i) => ({ id: c.id, from: i === 0 ? 0 : ends[i - 1], to }));
  });
}

/** Whether `cost` is within `cap` in environment steps and in learner work. */
function withinCost(cost: ReplayCost, cap: ReplayCost | undefined): boolean {
  return cap === undefined ||
    (cost.environmentSteps <= cap.environmentSteps && cost.learnerWork <= cap.learnerWork);
}

/**
 * Draw `spots` intervals (from every experiment's intervals together) and `spots` final
 * evaluations, without replacement, from the spot stream of `seed`; with `maxCost`, only among
 * the intervals and evaluations whose estimated cost ({@linkcode intervalCost},
 * {@linkcode finalEvaluationCost}) is within it. Without `maxCost`, or when everything is within
 * it, the draw of a seed is the same.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spotPlan } from "./spot_verify.ts";
 * import { expandProfile, PROFILES } from "../training/profiles.ts";
 * const configs = expandProfile(PROFILES.quick);
 * const plan = spotPlan(configs, 2, 7);
 * assert.equal(plan.intervals.length, 2);
 * assert.deepEqual(plan.overCost, { intervals: 0, evaluations: 0 });
 * // A cap below every interval's and evaluation's cost leaves nothing to draw.
 * const none = spotPlan(configs, 2, 7, { environmentSteps: 0, learnerWork: 0 });
 * assert.equal(none.intervals.length + none.evaluations.length, 0);
 * assert.equal(none.overCost.intervals, plan.totalIntervals);
 * ```
 */
export function spotPlan(
  configs: readonly ExperimentConfig[],
  spots: number,
  seed: number,
  maxCost?: ReplayCost,
): SpotPlan {
  const all = checkpointIntervals(configs);
  const byId = new Map(configs.map((c) => [c.id, c]));
  const eligible = all.filter((i) =>
    withinCost(intervalCost(byId.get(i.id)!, i.to - i.from), maxCost)
  );
  const ids = configs.map((c) => c.id).sort().filter((id) =>
    withinCost(finalEvaluationCost(byId.get(id)!), maxCost)
  );
  const intervals = drawWithoutReplacement(eligible.length, spots, seed, 0).sort((a, b) => a - b)
    .map((i) => eligible[i]);
  const evaluations = drawWithoutReplacement(ids.length, spots, seed, 1).sort((a, b) => a - b)
    .map((i) => ids[i]);
  return {
    seed,
    intervals,
    totalIntervals: all.length,
    evaluations,
    totalExperiments: configs.length,
    overCost: { intervals: all.length - eligible.length, evaluations: configs.length - ids.length },
  };
}

/** An experiment's stored record, checked for integrity. */
interface CheckedExperiment {
  readonly config: ExperimentConfig;
  /** metrics.csv's lines after the header: line i is iteration i's row. */
  readonly metricsLines: string[];
  /** evaluation.json's text. */
  readonly evaluation: string;
  /** evaluations.csv's rows by the iterations done before each (none without periodic ones). */
  readonly periodicLines: Map<number, string>;
  /** validations.csv's rows, parsed and as text (none without the published protocol). */
  readonly validations: readonly Validation[];
  readonly validationLines: readonly string[];
  /** Scheduled checkpoints by completed iterations. */
  readonly checkpoints: Map<number, TrainingState>;
}

class Failed extends Error {
  constructor(readonly failure: SpotFailure) {
    super(failure.detail);
  }
}

/** A file of a results directory as text ("" when absent; its manifest check reports that). */
async function readText(path: string): Promise<string> {
  return new TextDecoder().decode((await readRegularFile(path)) ?? new Uint8Array());
}

/** Check one experiment's digest chain against its checkpoints, manifest and params.bin. */
async function checkChain(dir: string, config: ExperimentConfig): Promise<CheckedExperiment> {
  const id = config.id;
  const fail = (detail: string): never => {
    throw new Failed({ experiment: id, detail });
  };
  const text = await readText(`${dir}/${id}/metrics.csv`);
  let rows: IterationMetrics[] = [];
  try {
    rows = parseMetricsCsv(text, `${id}/metrics.csv`);
  } catch (e) {
    fail((e as Error).message);
  }
  if (rows.length !== config.iterations) {
    fail(
      `${id}/metrics.csv: ${rows.length} rows, config.json says ${config.iterations} iterations`,
    );
  }
  const manifest = await readExperimentManifest(dir, id);
  if (manifest.finalStateDigest !== rows[rows.length - 1].stateDigest) {
    fail(`${id}/manifest.json: finalStateDigest is not the last row's state_digest`);
  }
  const schedule = checkpointSchedule(config.iterations, config.checkpointEvery);
  const stored = Object.keys(manifest.files).map(checkpointIteration).filter((k) => k !== null);
  if (stored.join() !== schedule.join()) {
    fail(`${id}: checkpoints after [${stored}] iterations; its schedule is [${schedule}]`);
  }
  const genesis = (await initialTrainingState(config)).digest;
  const checkpoints = new Map<number, TrainingState>();
  for (const k of schedule) {
    try {
      checkpoints.set(k, (await checkedCheckpoint(`${dir}/${id}`, k, config, rows, genesis)).state);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  const final = checkpoints.get(config.iterations)!;
  const params = (await readRegularFile(`${dir}/${id}/params.bin`)) ?? new Uint8Array();
  const expected = paramsBin(final.params);
  if (params.length !== expected.length || params.some((b, i) => b !== expected[i])) {
    fail(`${id}/params.bin: not the final checkpoint's parameters`);
  }
  const evaluation = await readText(`${dir}/${id}/evaluation.json`);
  const periodicLines = new Map<number, string>();
  const due = periodicSchedule(config);
  const hasFile = Object.hasOwn(manifest.files, "evaluations.csv");
  if (hasFile !== (config.evaluation.periodic !== undefined)) {
    fail(
      `${id}: evaluations.csv ${hasFile ? "present without" : "missing with"} periodic evaluation`,
    );
  }
  if (hasFile) {
    const csv = await readText(`${dir}/${id}/evaluations.csv`);
    let iterations: number[] = [];
    try {
      iterations = parseEvaluationsCsv(csv, config.innerSteps, 0, `${id}/evaluations.csv`)
        .map((e) => e.iteration);
    } catch (e) {
      fail((e as Error).message);
    }
    if (iterations.join() !== due.join()) {
      fail(`${id}/evaluations.csv: rows after [${iterations}] iterations, due after [${due}]`);
    }
    csv.split("\n").slice(1, 1 + due.length).forEach((line, k) => periodicLines.set(due[k], line));
  }
  let validations: Validation[] = [];
  let validationLines: string[] = [];
  const hasValidations = Object.hasOwn(manifest.files, VALIDATIONS_FILE);
  if (hasValidations !== (validationRule(config) !== undefined)) {
    fail(
      `${id}: ${VALIDATIONS_FILE} ${
        hasValidations ? "present without" : "missing with"
      } the published protocol`,
    );
  }
  if (hasValidations) {
    const csv = await readText(`${dir}/${id}/${VALIDATIONS_FILE}`);
    try {
      validations = parseValidationsCsv(csv, config.innerSteps, `${id}/${VALIDATIONS_FILE}`);
    } catch (e) {
      fail((e as Error).message);
    }
    const last = validations[validations.length - 1]?.iteration ?? 0;
    if (validations.length > 0 && (validations[0].iteration < 1 || last > config.iterations)) {
      fail(`${id}/${VALIDATIONS_FILE}: rows outside iterations 1 … ${config.iterations}`);
    }
    validationLines = csv.split("\n").slice(1, 1 + validations.length);
  }
  return {
    config,
    metricsLines: text.split("\n").slice(1),
    evaluation,
    periodicLines,
    validations,
    validationLines,
    checkpoints,
  };
}

/** Options of {@linkcode spotVerify}. */
export interface SpotOptions {
  /** How many intervals and how many final evaluations to replay. */
  readonly spots: number;
  /** The seed of the draw (print it, so that a failure can be replayed). */
  readonly seed: number;
  /** Where the replays sample and learn (default: the calling thread). */
  readonly threads?: Threads;
  /** Told the plan and each replay as it passes, one line each. */
  readonly log?: (line: string) => void;
  /** Replay experiments over the cost budget too (src/training/budget.ts). */
  readonly allowExpensive?: boolean;
  /**
   * Draw only intervals and final evaluations whose estimated cost is within this (the others are
   * checked for integrity only); default: no limit.
   */
  readonly maxCost?: ReplayCost;
  /**
   * Draw only from the experiments whose id matches this pattern (`*` wildcards, or a substring,
   * as `reproduce --only`); every experiment is still checked for integrity. No match is an
   * {@linkcode InputError}.
   */
  readonly only?: string;
}

/**
 * Spot-verify the results directory `dir`: check every manifest and digest chain, then replay the
 * drawn intervals from their starting checkpoints and the drawn final evaluations from the final
 * parameters, comparing metrics rows and evaluation.json byte for byte. Returns the first failure
 * (or null). A theory-profile directory is refused with an {@linkcode InputError}: it has no
 * training to sample, and its full verification takes seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spotVerify } from "./spot_verify.ts";
 * import { runExperiments } from "../experiments/reproduce.ts";
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
 *   await runExperiments(configs, dir, "compare");
 *   const passed = await spotVerify(dir, { spots: 1, seed: 7 });
 *   assert.equal(passed.failure, null);
 *   // A metrics row changed by hand: its experiment's digests no longer match.
 *   const metrics = `${dir}/${configs[0].id}/metrics.csv`;
 *   await Deno.writeTextFile(metrics, (await Deno.readTextFile(metrics)).replace(/\d(?=\n)/, "9"));
 *   const tampered = await spotVerify(dir, { spots: 1, seed: 7 });
 *   assert.notEqual(tampered.failure, null, "a changed artefact passed");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function spotVerify(dir: string, options: SpotOptions): Promise<SpotReport> {
  const log = options.log ?? (() => {});
  const checkedDir = await preflight(dir, { allowExpensive: options.allowExpensive });
  const { profile, root, problems, configs, profileDifferences } = checkedDir;
  if (profile === THEORY_PROFILE) {
    throw new InputError(
      `spot: the ${THEORY_PROFILE} profile has no training to replay; verify it in full (seconds)`,
    );
  }
  const pool = problems.length > 0 ? [] : selectExperiments(configs, options.only);
  const empty: SpotPlan = {
    seed: options.seed,
    intervals: [],
    totalIntervals: 0,
    evaluations: [],
    totalExperiments: 0,
    overCost: { intervals: 0, evaluations: 0 },
  };
  const report = (plan: SpotPlan, checkpoints: number, failure: SpotFailure | null) => ({
    plan,
    checkpoints,
    profile,
    root,
    profileDifferences,
    failure,
  });
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : "";
    return report(empty, 0, { experiment: "", detail: `${problems[0]}${more}` });
  }
  const checked = new Map<string, CheckedExperiment>();
  try {
    for (const config of configs) checked.set(config.id, await checkChain(dir, config));
  } catch (e) {
    if (e instanceof Failed) return report(empty, 0, e.failure);
    throw e;
  }
  const summaryFailure = await checkSummary(dir);
  if (summaryFailure !== null) return report(empty, 0, summaryFailure);
  const checkpoints = [...checked.values()].reduce((n, c) => n + c.checkpoints.size, 0);
  const plan = spotPlan(pool, options.spots, options.seed, options.maxCost);
  log(
    `integrity: ${configs.length} experiment(s), their manifests, digest chains and ${checkpoints} checkpoint(s) check`,
  );
  const among = options.only === undefined
    ? ""
    : ` of the ${pool.length} experiment(s) matching "${options.only}"`;
  log(
    `replaying ${plan.intervals.length} of ${plan.totalIntervals} checkpoint interval(s) and ${plan.evaluations.length} of ${plan.totalExperiments} final evaluation(s)${among}, spot seed ${plan.seed}${
      overCostNote(plan)
    }:`,
  );
  for (const i of plan.intervals) log(`  ${describeInterval(i)}`);
  for (const id of plan.evaluations) log(`  ${id} final evaluation`);
  return report(plan, checkpoints, await replay(plan, checked, options.threads ?? {}, log));
}

/** What the cost cap left out of the draw, for the plan's log line ("" when nothing). */
function overCostNote({ overCost }: SpotPlan): string {
  if (overCost.intervals + overCost.evaluations === 0) return "";
  return ` (over the cost cap, not drawn: ${overCost.intervals} interval(s), ${overCost.evaluations} evaluation(s))`;
}

/** Regenerate the summary directory from the experiments and compare it byte for byte. */
async function checkSummary(dir: string): Promise<SpotFailure | null> {
  const expected = await summaryFiles(await readCurves(dir));
  const names = Object.keys(expected).sort();
  let stored: string[];
  try {
    stored = Object.keys((await readExperimentManifest(dir, SUMMARY_ID)).files).sort();
  } catch {
    return { experiment: SUMMARY_ID, detail: `${SUMMARY_ID}/: missing` };
  }
  if (stored.join() !== names.join()) {
    return {
      experiment: SUMMARY_ID,
      detail: `${SUMMARY_ID}/ holds [${stored}], the experiments make [${names}]`,
    };
  }
  for (const name of names) {
    const bytes = await readRegularFile(`${dir}/${SUMMARY_ID}/${name}`);
    const want = expected[name];
    const same = typeof want === "string"
      ? bytes !== null && new TextDecoder().decode(bytes) === want
      : bytes !== null && bytes.length === want.length && bytes.every((b, i) => b === want[i]);
    if (!same) {
      return {
        experiment: SUMMARY_ID,
        detail: `${SUMMARY_ID}/${name} does not regenerate from the experiments`,
      };
    }
  }
  return null;
}

/** `nav2d-sgmrl-so-z1-s0 iterations 5-9 (checkpoint 5 → 10)`. */
export function describeInterval(i: SpotInterval): string {
  const start = i.from === 0 ? "initial state" : `checkpoint ${i.from}`;
  return `${i.id} iterations ${i.from}-${i.to - 1} (${start} → checkpoint ${i.to})`;
}

async function replay(
  plan: SpotPlan,
  checked: Map<string, CheckedExperiment>,
  threads: Threads,
  log: (line: string) => void,
): Promise<SpotFailure | null> {
  for (const interval of plan.intervals) {
    const record = checked.get(interval.id)!;
    const { config } = record;
    await useBackend(config.backend);
    const start = performance.now();
    const state = interval.from === 0
      ? await initialTrainingState(config)
      : cloneState(record.checkpoints.get(interval.from)!);
    const periodic: PeriodicEvaluation[] = [];
    const validations: Validation[] = [];
    const rows = await trainIterations(config, state, {
      ...threads,
      until: interval.to,
      validations: record.validations.filter((v) => v.iteration <= interval.from),
      onIteration: (_m, _t, _s, p, v) => {
        if (p !== undefined) periodic.push(p);
        if (v !== undefined) validations.push(v);
      },
    });
    for (const m of rows) {
      const regenerated = csvFormat([...METRICS_HEADER], [metricsRow(m)]).split("\n")[1];
      const committed = record.metricsLines[m.iteration];
      if (regenerated !== committed) {
        return {
          experiment: config.id,
          iteration: m.iteration,
          detail: `metrics.csv, first differing row: iteration ${m.iteration} (line ${
            m.iteration + 2
          })\ncommitted:   ${committed}\nregenerated: ${regenerated}`,
        };
      }
    }
    for (const p of periodic) {
      const regenerated = evaluationsCsv(config.innerSteps, [p]).split("\n")[1];
      const committed = record.periodicLines.get(p.iteration);
      if (regenerated !== committed) {
        return {
          experiment: config.id,
          detail: `evaluations.csv, the evaluation after ${p.iteration} iterations differs` +
            `\ncommitted:   ${committed}\nregenerated: ${regenerated}`,
        };
      }
    }
    const validationFailure = compareValidations(record, interval, validations);
    if (validationFailure !== null) return validationFailure;
    log(`ok ${describeInterval(interval)} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
  }
  for (const id of plan.evaluations) {
    const { config, checkpoints, evaluation: committed } = checked.get(id)!;
    await useBackend(config.backend);
    const start = performance.now();
    const final = checkpoints.get(config.iterations)!;
    const regenerated = canonicalJson(await evaluate(config, final.params, threads));
    if (regenerated !== committed) {
      const a = committed.split("\n"), b = regenerated.split("\n");
      let line = 0;
      while (a[line] === b[line]) line++;
      return {
        experiment: id,
        detail: `evaluation.json, first differing line: ${line + 1}\ncommitted:   ${
          a[line]
        }\nregenerated: ${b[line]}`,
      };
    }
    log(`ok ${id} final evaluation (${((performance.now() - start) / 1000).toFixed(1)} s)`);
  }
  return null;
}

/** The validations of an interval, regenerated, against the committed rows of that interval. */
function compareValidations(
  record: CheckedExperiment,
  interval: SpotInterval,
  regenerated: readonly Validation[],
): SpotFailure | null {
  const { config } = record;
  const within = (v: Validation) => v.iteration > interval.from && v.iteration <= interval.to;
  const committed = record.validationLines.filter((_, k) => within(record.validations[k]));
  const lines = regenerated.map((v) => validationsCsv(config.innerSteps, [v]).split("\n")[1]);
  for (let k = 0; k < Math.max(committed.length, lines.length); k++) {
    if (committed[k] !== lines[k]) {
      return {
        experiment: config.id,
        detail: `${VALIDATIONS_FILE}, validation ${k + 1} of iterations ${interval.from}-${
          interval.to - 1
        } differs\ncommitted:   ${committed[k] ?? "(none)"}\nregenerated: ${lines[k] ?? "(none)"}`,
      };
    }
  }
  return null;
}

function cloneState(s: TrainingState): TrainingState {
  return {
    ...s,
    params: s.params.map((p) => p.slice()),
    adam: {
      step: s.adam.step,
      m: s.adam.m.map((m) => m.slice()),
      v: s.adam.v.map((v) => v.slice()),
    },
  };
}
