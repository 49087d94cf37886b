/**
 * The exact bias analysis of a tabular meta-RL problem: the problem file's format and validation,
 * the size check, and the comparison of every estimator's exact expectation with ∇V_ζ.
 *
 * @module
 */
import { z } from "zod";
import { formatIssue, InputError } from "../training/config.ts";
import { EXACT_ESTIMATORS, exactEvaluationCount, exactMomentsOfAll } from "./exact.ts";
import { exactMetaGradient, type TabularProblem } from "./tabular.ts";

/**
 * Largest number of estimator evaluations per estimator accepted ({@linkcode evaluationCount}):
 * about 10 minutes for all six estimators on the reference machine (30,250 took 8 minutes).
 */
export const MAX_EVALUATIONS = 1_000_000;

/** Largest inner step size α of a problem file. */
export const MAX_ALPHA = 1e3;
/** Largest |θ| (a softmax logit) of a problem file. */
export const MAX_LOGIT = 1e3;
/** Largest |r| of a problem file. */
export const MAX_REWARD = 1e6;

const TOLERANCE = 1e-9;
const probability: z.ZodNumber = z.number().min(0).max(1);

const theoryInputShape = z.strictObject({
  states: z.number().int().min(1).max(64),
  actions: z.number().int().min(2, "at least 2 actions (one action has no policy to learn)")
    .max(64),
  horizon: z.number().int().min(0).max(64),
  gamma: z.number().min(0).max(1),
  alpha: z.number().min(0).max(MAX_ALPHA),
  innerSteps: z.number().int().min(1).max(8),
  batchIn: z.number().int().min(1).max(64),
  batchOut: z.number().int().min(1).max(64),
  tasks: z.array(z.strictObject({
    weight: z.number().min(0).finite(),
    mu: z.array(probability),
    P: z.array(z.array(z.array(probability))),
    r: z.array(z.array(z.number().min(-MAX_REWARD).max(MAX_REWARD))),
  })).min(1),
  theta: z.array(z.number().min(-MAX_LOGIT).max(MAX_LOGIT)),
});

/** One task of a problem file: its weight, initial distribution, transitions P[s][a][s'], rewards r[s][a]. */
export interface TheoryTask {
  weight: number;
  mu: number[];
  P: number[][][];
  r: number[][];
}

/** A validated problem file. */
export interface TheoryInput {
  states: number;
  actions: number;
  /** H: the last step index (H + 1 steps). */
  horizon: number;
  gamma: number;
  alpha: number;
  innerSteps: number;
  batchIn: number;
  batchOut: number;
  tasks: TheoryTask[];
  /** The softmax policy's logits, states × actions. */
  theta: number[];
}

/** The schema of a problem file; shapes and sums are checked by {@linkcode parseTheoryInput}. */
export const TheoryInputSchema: z.ZodType<TheoryInput> = theoryInputShape;

// The schema's inferred type and the interface are the same type (checked when compiling).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const inputTypesAgree: Same<z.infer<typeof theoryInputShape>, TheoryInput> = true;
void inputTypesAgree;

function checkLength(field: string, array: readonly unknown[], n: number): void {
  if (array.length !== n) {
    throw new InputError(`${field}: expected ${n} entries, got ${array.length}`);
  }
}

function checkSum(field: string, values: readonly number[]): void {
  const s = values.reduce((a, b) => a + b, 0);
  if (Math.abs(s - 1) > TOLERANCE) {
    throw new InputError(`${field}: probabilities must sum to 1 within 1e-9, got ${s}`);
  }
}

/**
 * Validate a parsed problem file: the schema, every array's shape, and every distribution
 * (μ, each P[s][a], the task weights) summing to 1 within 1e-9. Throws {@linkcode InputError}
 * naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTheoryInput } from "./theory.ts";
 * // One state, two actions, one step: action 0 pays 1, action 1 pays 0; α = 0.5, one sample per
 * // batch, the uniform policy θ = (0, 0).
 * const problem = { states: 1, actions: 2, horizon: 0, gamma: 1, alpha: 0.5, innerSteps: 1,
 *   batchIn: 1, batchOut: 1, tasks: [{ weight: 1, mu: [1], P: [[[1], [1]]], r: [[1, 0]] }],
 *   theta: [0, 0] };
 * assert.equal(parseTheoryInput(problem).states, 1, "valid");
 * let message = "";
 * try {
 *   parseTheoryInput({ ...problem, tasks: [{ ...problem.tasks[0], mu: [0.5] }] });
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * assert.ok(message.startsWith("tasks.0.mu: probabilities must sum to 1"), message);
 * ```
 */
export function parseTheoryInput(value: unknown): TheoryInput {
  const parsed = TheoryInputSchema.safeParse(value);
  if (!parsed.success) throw new InputError(formatIssue("", parsed.error));
  const p = parsed.data;
  p.tasks.forEach((t, i) => {
    const f = `tasks.${i}`;
    checkLength(`${f}.mu`, t.mu, p.states);
    checkSum(`${f}.mu`, t.mu);
    checkLength(`${f}.P`, t.P, p.states);
    checkLength(`${f}.r`, t.r, p.states);
    t.P.forEach((row, s) => {
      checkLength(`${f}.P.${s}`, row, p.actions);
      row.forEach((dist, a) => {
        checkLength(`${f}.P.${s}.${a}`, dist, p.states);
        checkSum(`${f}.P.${s}.${a}`, dist);
      });
    });
    t.r.forEach((row, s) => checkLength(`${f}.r.${s}`, row, p.actions));
  });
  checkSum("tasks.*.weight", p.tasks.map((t) => t.weight));
  checkLength("theta", p.theta, p.states * p.actions);
  return p;
}

/**
 * An upper bound on the number of batch combinations the analysis accounts for: per task,
 * T^(ζ·|D_t| + |D_o|) with T = (S·A)^(H+1) trajectories.
 */
export function combinationCount(p: TheoryInput): number {
  return p.tasks.length * Math.pow(trajectoryBound(p), p.innerSteps * p.batchIn + p.batchOut);
}

/** T = (S·A)^(H+1): the number of trajectories of a policy, at most. */
function trajectoryBound(p: TheoryInput): number {
  return Math.pow(p.states * p.actions, p.horizon + 1);
}

/**
 * An upper bound on the estimator evaluations the analysis runs per estimator: per task,
 * C(T + |D_t| − 1, |D_t|)^ζ inner-batch multisets × T outer trajectories.
 */
export function evaluationCount(p: TheoryInput): number {
  return exactEvaluationCount(p.tasks.length, trajectoryBound(p), p);
}

/** One estimator's exact figures: E[g], ‖E[g] − ∇V‖, tr Cov(g) and E‖g − ∇V‖². */
export interface EstimatorReport {
  readonly mean: number[];
  readonly bias: number;
  /** The trace of the covariance of one estimate (one task, one set of batches). */
  readonly variance: number;
  /** Mean squared error E‖g − ∇V‖² = variance + bias². */
  readonly mse: number;
}

/** The result of {@linkcode analyseBias}. */
export interface BiasReport {
  readonly gradV: number[];
  readonly estimators: Record<string, EstimatorReport>;
}

/**
 * Exact ∇V_ζ and, for each estimator, its exact expectation and bias ‖E − ∇V_ζ‖.
 * Throws {@linkcode InputError} when the problem is too large to enumerate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { analyseBias, parseTheoryInput } from "./theory.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * // One state, two actions, one step: action 0 pays 1, action 1 pays 0; α = 0.5, one sample per
 * // batch, the uniform policy θ = (0, 0).
 * const problem = { states: 1, actions: 2, horizon: 0, gamma: 1, alpha: 0.5, innerSteps: 1,
 *   batchIn: 1, batchOut: 1, tasks: [{ weight: 1, mu: [1], P: [[[1], [1]]], r: [[1, 0]] }],
 *   theta: [0, 0] };
 * const { gradV, estimators } = analyseBias(parseTheoryInput(problem));
 * // Every batch enumerated: SG-MRL's expectation is ∇V_ζ (float32 rounding aside), MAML's is not.
 * assert.ok(estimators.sgmrl.bias < 1e-6, "bias");
 * assert.ok(estimators.maml.bias > 0.04, "bias");
 * assert.ok(Math.abs(gradV[0] + gradV[1]) <= 1e-15, "softmax logits: gradients sum to 0");
 * ```
 */
export function analyseBias(p: TheoryInput): BiasReport {
  const evaluations = evaluationCount(p);
  if (evaluations > MAX_EVALUATIONS) {
    throw new InputError(
      `problem too large to enumerate: up to ${
        evaluations.toExponential(2)
      } estimator evaluations (for ${
        combinationCount(p).toExponential(2)
      } batch combinations), limit ${MAX_EVALUATIONS} (reduce horizon, batchIn, innerSteps, states or actions)`,
    );
  }
  const problem: TabularProblem = p;
  const gradV = Array.from(exactMetaGradient(problem, p.theta, p.alpha, p.innerSteps, p.batchIn));
  const estimators: BiasReport["estimators"] = {};
  const all = exactMomentsOfAll(problem, p.theta, p, Object.keys(EXACT_ESTIMATORS));
  for (const name of Object.keys(EXACT_ESTIMATORS)) {
    const moments = all[name];
    const mean = Array.from(moments.mean);
    const bias = Math.sqrt(mean.reduce((s, m, i) => s + (m - gradV[i]) ** 2, 0));
    const norm2 = mean.reduce((s, m) => s + m * m, 0);
    // Clamped at 0: float rounding can leave a tiny negative trace for a near-deterministic g.
    const variance = Math.max(0, moments.meanSquaredNorm - norm2);
    estimators[name] = { mean, bias, variance, mse: variance + bias * bias };
  }
  const finite = [
    ...gradV,
    ...Object.values(estimators).flatMap((e) => [...e.mean, e.bias, e.variance, e.mse]),
  ].every(Number.isFinite);
  if (!finite) {
    throw new InputError(
      "the analysis overflowed to a non-finite value (an adapted policy's logits grew too large); reduce alpha, theta or r",
    );
  }
  return { gradV, estimators };
}

/** The report as a readable Markdown table. */
export function biasTable(report: BiasReport): string {
  const norm = Math.sqrt(report.gradV.reduce((s, g) => s + g * g, 0));
  const fmt = (v: number[]) => `[${v.map((x) => x.toFixed(5)).join(", ")}]`;
  const lines = [
    `∇V = ${fmt(report.gradV)} (‖∇V‖ = ${norm.toFixed(5)})`,
    "",
    "| estimator | E[estimate] | ‖E − ∇V‖ | relative | tr Cov | MSE |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const [name, e] of Object.entries(report.estimators)) {
    lines.push(
      `| ${name} | ${fmt(e.mean)} | ${e.bias.toExponential(3)} | ${
        norm > 0 ? (e.bias / norm).toExponential(2) : "— (∇V = 0)"
      } | ${e.variance.toExponential(3)} | ${e.mse.toExponential(3)} |`,
    );
  }
  return lines.join("\n");
}
