/**
 * The files of one training experiment's artefact directory, and reading them back:
 *
 * ```text
 * config.json                the resolved ExperimentConfig (canonical JSON)
 * metrics.csv                one row per meta-iteration (METRICS_HEADER), ending in state_digest
 * evaluation.json            the meta-test evaluation of the final parameters
 * params.bin                 the final parameters, little-endian float32, PolicyParams order
 * evaluations.csv            with `evaluation.periodic`: one row per periodic evaluation,
 *                            iterations_done, return_step_0 … return_step_ζ
 * validations.csv            with `evaluation.protocol` "published": one row per validation of
 *                            the published trainer (src/training/validation.ts), iterations_done,
 *                            train_return, pooled_return_step_0 … pooled_return_step_ζ
 * checkpoint-KKKKKKK.bin     the training state after K iterations (src/training/checkpoint.ts), for every K
 *                            of the experiment's checkpoint schedule
 * ```
 *
 * @module
 */
import type { ArtifactFiles } from "./artifacts.ts";
import { csvFormat, csvParse } from "../core/csv.ts";
import { canonicalJson } from "../core/canonical_json.ts";
import { checkpointName, decodeCheckpoint, type TrainingState } from "../training/checkpoint.ts";
import { type ExperimentConfig, InputError, validateConfig } from "../training/config.ts";
import {
  MAX_INPUT_BYTES,
  parseJsonQuietly,
  readRegularFile,
  UnsafeFileError,
} from "../core/safe_fs.ts";
import { paramShapes, type PolicyParams } from "../estimators/policy.ts";
import {
  type Evaluation,
  type IterationMetrics,
  type PeriodicEvaluation,
  policySpec,
} from "../training/trainer.ts";
import { type Validation, validationRule } from "../training/validation.ts";

/**
 * The id of a training profile's summary directory (src/experiments/profile_summary.ts), which holds no
 * experiment: no experiment id is ever `summary`.
 */
export const SUMMARY_ID = "summary";

/** Columns of metrics.csv. */
export const METRICS_HEADER: readonly string[] = [
  "iteration",
  "pre_return",
  "post_return",
  "objective",
  "grad_norm",
  "mean_log_std",
  "state_digest",
];

const DIGEST = /^[0-9a-f]{64}$/;

/** One metrics.csv row's fields, in {@linkcode METRICS_HEADER} order. */
export function metricsRow(m: IterationMetrics): (number | string)[] {
  return [
    m.iteration,
    m.preReturn,
    m.postReturn,
    m.objective,
    m.gradNorm,
    m.meanLogStd,
    m.stateDigest,
  ];
}

/**
 * metrics.csv's text for `metrics`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metricsCsv, parseMetricsCsv } from "./experiment_files.ts";
 * const row = { iteration: 0, preReturn: -1.5, postReturn: -1.25, objective: 0.1, gradNorm: 2,
 *   meanLogStd: 0, stateDigest: "ab".repeat(32) };
 * const text = metricsCsv([row]);
 * assert.ok(text.endsWith(`0,-1.5,-1.25,0.1,2,0,${"ab".repeat(32)}\n`), text);
 * assert.equal(parseMetricsCsv(text, "m.csv")[0].postReturn, -1.25, "round trip");
 * ```
 */
export function metricsCsv(metrics: readonly IterationMetrics[]): string {
  return csvFormat([...METRICS_HEADER], metrics.map(metricsRow));
}

/**
 * Parse metrics.csv text as written by {@linkcode metricsCsv}: the exact header, row i holding
 * iteration i, numbers that print back to the same text, 64-hex-digit digests. Throws a
 * `RangeError` whose one-line message names `file` and the first bad line.
 */
export function parseMetricsCsv(text: string, file: string): IterationMetrics[] {
  let table: { header: string[]; rows: string[][] };
  try {
    table = csvParse(text);
  } catch (e) {
    throw new RangeError(`${file}: ${(e as Error).message}`);
  }
  if (table.header.join() !== METRICS_HEADER.join()) {
    throw new RangeError(`${file}: header is not ${METRICS_HEADER.join(",")}`);
  }
  return table.rows.map((fields, i) => {
    const numbers = fields.slice(0, 6).map(Number);
    const printsBack = numbers.every((x, k) => String(x) === fields[k]);
    if (!printsBack || numbers[0] !== i || !DIGEST.test(fields[6])) {
      throw new RangeError(`${file}: line ${i + 2} is not row ${i} of a metrics table`);
    }
    const [iteration, preReturn, postReturn, objective, gradNorm, meanLogStd] = numbers;
    return {
      iteration,
      preReturn,
      postReturn,
      objective,
      gradNorm,
      meanLogStd,
      stateDigest: fields[6],
    };
  });
}

/** The columns of evaluations.csv for ζ inner steps. */
export function evaluationsHeader(innerSteps: number): string[] {
  return [
    "iterations_done",
    ...Array.from({ length: innerSteps + 1 }, (_, t) => `return_step_${t}`),
  ];
}

/**
 * evaluations.csv's text: one row per periodic evaluation, the mean return after 0 … ζ steps.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluationsCsv, parseEvaluationsCsv } from "./experiment_files.ts";
 * const rows = [{ iteration: 80, evaluation: { tasks: 2, returnsByStep: [-30, -20.5],
 *   preAdaptationReturn: -30, postAdaptationReturn: -20.5 } }];
 * const text = evaluationsCsv(1, rows);
 * assert.equal(text, "iterations_done,return_step_0,return_step_1\n80,-30,-20.5\n", text);
 * assert.equal(
 *   parseEvaluationsCsv(text, 1, 2, "e.csv")[0].evaluation.postAdaptationReturn,
 *   -20.5,
 *   "round trip",
 * );
 * ```
 */
export function evaluationsCsv(innerSteps: number, rows: readonly PeriodicEvaluation[]): string {
  return csvFormat(
    evaluationsHeader(innerSteps),
    rows.map((r) => [r.iteration, ...r.evaluation.returnsByStep]),
  );
}

/**
 * Parse evaluations.csv as written by {@linkcode evaluationsCsv} for ζ = `innerSteps` and `tasks`
 * evaluation tasks; a `RangeError` names `file` and the first bad line.
 */
export function parseEvaluationsCsv(
  text: string,
  innerSteps: number,
  tasks: number,
  file: string,
): PeriodicEvaluation[] {
  return parseNumberTable(text, evaluationsHeader(innerSteps), file).map((numbers) => {
    const returnsByStep = numbers.slice(1);
    return {
      iteration: numbers[0],
      evaluation: {
        tasks,
        returnsByStep,
        preAdaptationReturn: returnsByStep[0],
        postAdaptationReturn: returnsByStep[innerSteps],
      },
    };
  });
}

/** The name of the published protocol's validations file. */
export const VALIDATIONS_FILE = "validations.csv";

function validationsHeader(innerSteps: number): string[] {
  return [
    "iterations_done",
    "train_return",
    ...Array.from({ length: innerSteps + 1 }, (_, t) => `pooled_return_step_${t}`),
  ];
}

/**
 * validations.csv's text: one row per validation of the published protocol.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseValidationsCsv, validationsCsv } from "./experiment_files.ts";
 * const rows = [{ iteration: 52, trainReturn: -21.5, pooledReturnsByStep: [-38, -18.25] }];
 * const text = validationsCsv(1, rows);
 * assert.equal(
 *   text,
 *   "iterations_done,train_return,pooled_return_step_0,pooled_return_step_1\n52,-21.5,-38,-18.25\n",
 * );
 * assert.equal(
 *   parseValidationsCsv(text, 1, "v.csv")[0].pooledReturnsByStep[1],
 *   -18.25,
 *   "round trip",
 * );
 * ```
 */
export function validationsCsv(innerSteps: number, rows: readonly Validation[]): string {
  return csvFormat(
    validationsHeader(innerSteps),
    rows.map((r) => [r.iteration, r.trainReturn, ...r.pooledReturnsByStep]),
  );
}

/**
 * Parse validations.csv as written by {@linkcode validationsCsv} for ζ = `innerSteps`; a
 * `RangeError` names `file` and the first bad line (rows must follow each other in iterations).
 */
export function parseValidationsCsv(text: string, innerSteps: number, file: string): Validation[] {
  const rows = parseNumberTable(text, validationsHeader(innerSteps), file);
  return rows.map((numbers, i) => {
    if (i > 0 && numbers[0] <= rows[i - 1][0]) {
      throw new RangeError(`${file}: line ${i + 2} does not follow line ${i + 1} in iterations`);
    }
    return {
      iteration: numbers[0],
      trainReturn: numbers[1],
      pooledReturnsByStep: numbers.slice(2),
    };
  });
}

/**
 * A CSV table of numbers with the given header whose first column is an integer; a `RangeError`
 * names `file` and the first bad line.
 */
function parseNumberTable(text: string, header: readonly string[], file: string): number[][] {
  let table: { header: string[]; rows: string[][] };
  try {
    table = csvParse(text);
  } catch (e) {
    throw new RangeError(`${file}: ${(e as Error).message}`);
  }
  if (table.header.join() !== header.join()) {
    throw new RangeError(`${file}: header is not ${header.join(",")}`);
  }
  return table.rows.map((fields, i) => {
    const numbers = fields.map(Number);
    if (!numbers.every((x, k) => String(x) === fields[k]) || !Number.isInteger(numbers[0])) {
      throw new RangeError(`${file}: line ${i + 2} is not a row of numbers`);
    }
    return numbers;
  });
}

/** The iterations after which `config` evaluates periodically (none without `periodic`). */
export function periodicSchedule(config: ExperimentConfig): number[] {
  const every = config.evaluation.periodic?.every;
  if (every === undefined) return [];
  return Array.from({ length: Math.floor(config.iterations / every) }, (_, k) => (k + 1) * every);
}

/** params.bin's bytes: every parameter as little-endian float32, in PolicyParams order. */
export function paramsBin(params: PolicyParams): Uint8Array {
  const total = params.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const p of params) {
    for (const v of p) (view.setFloat32(offset, v, true), offset += 4);
  }
  return bytes;
}

/** What {@linkcode experimentFiles} writes: a finished experiment's results. */
export interface FinishedExperiment {
  readonly params: PolicyParams;
  readonly metrics: readonly IterationMetrics[];
  readonly evaluation: Evaluation;
  readonly periodicEvaluations: readonly PeriodicEvaluation[];
  /** The published protocol's validations (written with `evaluation.protocol` "published"). */
  readonly validations: readonly Validation[];
}

/**
 * The artefact files of one finished experiment: config.json, metrics.csv, evaluation.json,
 * params.bin, evaluations.csv (with `evaluation.periodic`), validations.csv (with the published
 * protocol), and the checkpoint files given (name to bytes).
 */
export function experimentFiles(
  config: ExperimentConfig,
  result: FinishedExperiment,
  checkpoints: Readonly<Record<string, Uint8Array>>,
): ArtifactFiles {
  const periodic: ArtifactFiles = config.evaluation.periodic === undefined
    ? {}
    : { "evaluations.csv": evaluationsCsv(config.innerSteps, result.periodicEvaluations) };
  const validations: ArtifactFiles = validationRule(config) === undefined
    ? {}
    : { [VALIDATIONS_FILE]: validationsCsv(config.innerSteps, result.validations) };
  return {
    "config.json": canonicalJson(config),
    "metrics.csv": metricsCsv(result.metrics),
    "evaluation.json": canonicalJson(result.evaluation),
    "params.bin": paramsBin(result.params),
    ...periodic,
    ...validations,
    ...checkpoints,
  };
}

/** The lengths of an experiment's parameter arrays, in PolicyParams order. */
export function tensorLengths(config: ExperimentConfig): number[] {
  return paramShapes(policySpec(config)).map((s) => s.reduce((a, b) => a * b, 1));
}

/**
 * Read checkpoint k of directory `dir` (an artefact or run directory), check it (its own digest,
 * its tensor lengths) and link it to the digest chain of `rows`: its digest is row k − 1's, its
 * previous digest row k − 2's (`genesis`, d₋₁, for k = 1). Throws one line naming the file.
 */
export async function checkedCheckpoint(
  dir: string,
  k: number,
  config: ExperimentConfig,
  rows: readonly IterationMetrics[],
  genesis: string,
): Promise<{ state: TrainingState; bytes: Uint8Array }> {
  const file = `${dir}/${checkpointName(k)}`;
  const bytes = await readRegularFile(file);
  if (bytes === null) throw new RangeError(`checkpoint ${file}: missing`);
  const state = await decodeCheckpoint(bytes, file, tensorLengths(config));
  if (state.completed !== k) {
    throw new RangeError(`checkpoint ${file}: holds iteration ${state.completed}, not ${k}`);
  }
  if (rows.length < k || rows[k - 1].stateDigest !== state.digest) {
    throw new RangeError(`checkpoint ${file}: its digest is not row ${k - 1}'s of metrics.csv`);
  }
  if ((k >= 2 ? rows[k - 2].stateDigest : genesis) !== state.previousDigest) {
    throw new RangeError(`checkpoint ${file}: its previous digest is not the chain's`);
  }
  return { state, bytes };
}

/**
 * Read and validate the configurations stored in a profile directory's experiments (regular
 * files only; the summary directory is not an experiment); each must carry its directory's name
 * as its id.
 */
export async function readStoredConfigs(dir: string): Promise<ExperimentConfig[]> {
  const configs: ExperimentConfig[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isDirectory || entry.name.startsWith(".") || entry.name === SUMMARY_ID) continue;
    const path = `${dir}/${entry.name}/config.json`;
    let value: unknown;
    try {
      const bytes = await readRegularFile(path, MAX_INPUT_BYTES);
      if (bytes === null) throw new Error("missing");
      value = parseJsonQuietly(new TextDecoder().decode(bytes));
    } catch (e) {
      const message = (e as Error).message.split("\n")[0];
      throw new InputError(e instanceof UnsafeFileError ? message : `${path}: ${message}`);
    }
    const config = validateConfig(value, path);
    if (config.id !== entry.name) {
      throw new InputError(`${path}: id "${config.id}" is not its directory's name`);
    }
    configs.push(config);
  }
  return configs.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
