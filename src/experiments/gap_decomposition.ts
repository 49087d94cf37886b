/**
 * The gap between the package's Table 1 figure and the paper's, decomposed into measured steps,
 * from one directory of runs under the published code's protocol (`evaluation.protocol:
 * "published"`) that holds both training setups:
 *
 * 1. the package's protocol and setup (ReLU, the fixed sampler): the final parameters' per-task
 *    mean return after ζ steps;
 * 2. \+ the published metric: the same final parameters pooled over budget batches, 80 rounds;
 * 3. \+ the published training setup (tanh, the budget sampler): its runs' final parameters, same
 *    metric;
 * 4. \+ the best of the validations during training (the published figure);
 *
 * then the paper's figure. Each step is a mean ± sample std over the seeds that have it, and its
 * effect the mean ± std of the seed-paired differences from the step before.
 *
 * @module
 */
import type { ExperimentConfig } from "../training/config.ts";
import type { Evaluation } from "../training/trainer.ts";
import { bestValidation, type Validation, validationScore } from "../training/validation.ts";
import { formatMeanStd, formatSigned, meanStd } from "../core/stats.ts";

/**
 * The steps of the decomposition, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GAP_STEPS } from "./gap_decomposition.ts";
 * assert.equal(GAP_STEPS.length, 4);
 * assert.match(GAP_STEPS[3], /best of the validations/);
 * ```
 */
export const GAP_STEPS = [
  "package protocol and setup (ReLU, fixed sampler): final parameters, per-task mean",
  "+ the published metric (pooled over budget batches, 80 rounds × 20 tasks)",
  "+ the published training setup (tanh, budget sampler)",
  "+ the best of the validations during training",
] as const;

/** What the decomposition reads of a run (an `ExperimentResult` of profile_summary.ts is one). */
export interface GapRun {
  readonly config: ExperimentConfig;
  readonly evaluation: Evaluation;
  readonly validations: readonly Validation[];
}

/** One estimator's column of the decomposition: each step's value by seed. */
export interface GapColumn {
  /** `env|algorithm|ζ`, the key of the paper's figures. */
  readonly key: string;
  /** The column's title: algorithm, order and ζ. */
  readonly title: string;
  /** For each of {@linkcode GAP_STEPS}, the value of each seed that has it. */
  readonly steps: readonly ReadonlyMap<number, number>[];
}

const last = (values: readonly number[] | undefined) => values?.[values.length - 1];

/**
 * The columns of the decomposition: one per estimator (environment, algorithm, order, ζ) with
 * runs under the published protocol in the package's setup (ReLU, fixed sampler) or the published
 * one (tanh, budget sampler); runs in other setups are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gapColumns } from "./gap_decomposition.ts";
 * import { readResults } from "./profile_summary.ts";
 * // The quick profile has no run under the published protocol: no column.
 * assert.deepEqual(gapColumns(await readResults("results/quick")), []);
 * ```
 */
export function gapColumns(results: readonly GapRun[]): GapColumn[] {
  const columns = new Map<string, { key: string; title: string; steps: Map<number, number>[] }>();
  for (const { config, evaluation, validations } of results) {
    if (config.evaluation.protocol !== "published") continue;
    const sampler = config.sampler ?? "fixed";
    const packageSetup = config.policy.activation === "relu" && sampler === "fixed";
    const publishedSetup = config.policy.activation === "tanh" && sampler === "budget";
    if (!packageSetup && !publishedSetup) continue;
    const order = config.hessian === "autodiff" ? "second order" : "first order";
    const id = `${config.env}|${config.algorithm}|${config.hessian}|${config.innerSteps}`;
    const column = columns.get(id) ?? {
      key: `${config.env}|${config.algorithm}|${config.innerSteps}`,
      title: `${config.algorithm}, ${order}, ζ = ${config.innerSteps}`,
      steps: GAP_STEPS.map(() => new Map<number, number>()),
    };
    const set = (step: number, value: number | undefined) => {
      if (value !== undefined) column.steps[step].set(config.seed, value);
    };
    if (packageSetup) {
      set(0, last(evaluation.returnsByStep));
      set(1, last(evaluation.publishedReturnsByStep));
    } else {
      set(2, last(evaluation.publishedReturnsByStep));
      const best = bestValidation(validations);
      set(3, best === undefined ? undefined : validationScore(best));
    }
    columns.set(id, column);
  }
  return [...columns.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map((
    [, c],
  ) => c);
}

/** {@linkcode meanStd} of `values`, or undefined for none. */
const summary = (values: readonly number[]) => values.length === 0 ? undefined : meanStd(values);

/**
 * The decomposition as a Markdown table: a row per step and one for the paper's figure (from
 * `figures`, keyed `env|algorithm|ζ`, "−16.901 ± 0.699"); for each column the step's mean ± std
 * (seeds), and its effect: the mean ± std of the seed-paired differences from the step before
 * (seeds in both), or for the paper's row the paper's mean less the last step's. Cells without
 * data are "–". Undefined without columns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gapTable } from "./gap_decomposition.ts";
 * const steps = [
 *   new Map([[0, -21], [1, -23]]), new Map([[0, -20], [1, -21]]),
 *   new Map([[0, -18]]), new Map(),
 * ];
 * const md = gapTable([{ key: "nav2d|maml|1", title: "maml", steps }], { "nav2d|maml|1": "−17.767 ± 0.106" })!;
 * // Step 2 is +1 on seed 0 and +2 on seed 1: +1.500 ± 0.707 over 2 paired seeds.
 * assert.match(md, /\| −20\.500 ± 0\.707 \(2\) \| \+1\.500 ± 0\.707 \(2\) \|/);
 * // The paper's row: its figure, and −17.767 − (−18) left after the last step with data.
 * assert.match(md, /\| the paper \| −17\.767 ± 0\.106 \| \+0\.233 \|/);
 * ```
 */
export function gapTable(
  columns: readonly GapColumn[],
  figures: Readonly<Record<string, string>>,
): string | undefined {
  if (columns.length === 0) return undefined;
  const lines = [
    `| step |${columns.map((c) => ` ${c.title} | effect |`).join("")}`,
    `| --- |${columns.map(() => " --- | --- |").join("")}`,
  ];
  GAP_STEPS.forEach((step, i) => {
    const cells = columns.map((c) => {
      const values = c.steps[i];
      const value = summary([...values.values()]);
      const shown = value === undefined ? "–" : `${formatMeanStd(value)} (${values.size})`;
      if (i === 0) return ` ${shown} | |`;
      const before = c.steps[i - 1];
      const paired = [...values].filter(([seed]) => before.has(seed)).map(([seed, v]) =>
        v - before.get(seed)!
      );
      const effect = summary(paired);
      return ` ${shown} | ${
        effect === undefined ? "–" : `${formatMeanStd(effect, { signed: true })} (${paired.length})`
      } |`;
    });
    lines.push(`| ${i + 1}. ${step} |${cells.join("")}`);
  });
  const paperCells = columns.map((c) => {
    const figure = figures[c.key];
    if (figure === undefined) return " – | – |";
    const paper = Number(figure.split(" ± ")[0].replace("−", "-"));
    const reached = [...c.steps].reverse().map((s) => summary([...s.values()])).find((v) =>
      v !== undefined
    );
    return ` ${figure} | ${reached === undefined ? "–" : formatSigned(paper - reached.mean)} |`;
  });
  lines.push(`| the paper |${paperCells.join("")}`);
  return lines.join("\n");
}
