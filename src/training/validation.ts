/**
 * The published trainer's validation protocol (maml_zoo/meta_trainer.py, `Trainer.train(tester)`,
 * and maml_zoo/meta_tester.py, `Tester.validate`), the evaluation behind the paper's figures:
 *
 * - **when**: after meta-iteration `itr` (0-based, parameters already updated), when
 *   `itr % 80 == 79`, or when `itr > 50` and the training return — the pooled `AverageReturn` of
 *   that iteration's post-update batches — exceeds 1.05 × the best training return so far; the best
 *   (starting at −∞) is raised, inside that branch only, to the training return when higher;
 * - **what**: 80 rounds, each a fresh meta-batch of tasks sampled and adapted as in training, scored
 *   by the round's pooled post-update `AverageReturn`; the validation's score is the mean over rounds;
 * - **reported**: the best score over the run's validations.
 *
 * With `config.evaluation.protocol` "published" training runs these validations beside the
 * package's own evaluations; each is a row of validations.csv (iterations done, training return,
 * the pooled return after 0 … ζ steps), on streams of its own ("validation-task",
 * "validation-action", keyed by the iterations done). As the published tester shares the trainer's
 * sampler, a validation samples with the budget sampler and `trajectoriesPerTask` slots whatever
 * `config.sampler` says, so that a policy trained with the fixed sampler is scored exactly as the
 * published code scores. The final parameters get one more validation (key 0), reported in
 * evaluation.json as `publishedReturnsByStep`.
 *
 * @module
 */
import type { ExperimentConfig } from "./config.ts";

/**
 * The published trainer's validation constants.
 *
 * @example A validation every 10 iterations, none triggered by the training return
 * ```ts
 * import assert from "node:assert/strict";
 * import { validationDue, type ValidationRule } from "./validation.ts";
 * const rule: ValidationRule = { rounds: 4, every: 10, after: Infinity, margin: 1.05 };
 * // Iterations are 0-based: the 10th (index 9) validates; index 10 does not, whatever its return.
 * assert.equal(validationDue(9, -30, -10, rule), true);
 * assert.equal(validationDue(10, -5, -10, rule), false);
 * ```
 */
export interface ValidationRule {
  /** Rounds (fresh meta-batches) per validation: `Tester(n_itr=80)`. */
  readonly rounds: number;
  /** Validate after every `every`-th iteration: `itr % 80 == 79`. */
  readonly every: number;
  /** The return-triggered validations start after iteration `after`: `itr > 50`. */
  readonly after: number;
  /** A return-triggered validation needs training return > `margin` × the best: 1.05. */
  readonly margin: number;
}

/**
 * The constants of the published code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PUBLISHED_VALIDATION } from "./validation.ts";
 * const { rounds, every, after, margin } = PUBLISHED_VALIDATION;
 * assert.equal(rounds, 80, "published");
 * assert.equal(every, 80, "published");
 * assert.equal(after, 50, "published");
 * assert.equal(margin, 1.05, "published");
 * ```
 */
export const PUBLISHED_VALIDATION: ValidationRule = Object.freeze({
  rounds: 80,
  every: 80,
  after: 50,
  margin: 1.05,
});

/**
 * The validation rule of `config`: undefined unless `evaluation.protocol` is "published";
 * `evaluation.validation` where given, else {@linkcode PUBLISHED_VALIDATION}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PUBLISHED_VALIDATION, validationRule } from "./validation.ts";
 * const evaluation = { tasks: 2, trajectoriesPerTask: 2 };
 * assert.equal(validationRule({ evaluation }), undefined, "the package's protocol");
 * const rule = validationRule({ evaluation: { ...evaluation, protocol: "published" } });
 * assert.equal(rule, PUBLISHED_VALIDATION, "the published constants");
 * ```
 */
export function validationRule(
  config: Pick<ExperimentConfig, "evaluation">,
): ValidationRule | undefined {
  if (config.evaluation.protocol !== "published") return undefined;
  return config.evaluation.validation ?? PUBLISHED_VALIDATION;
}

/**
 * Whether the published trainer validates after iteration `iteration` (0-based), given that
 * iteration's training return and the best training return so far (−∞ before any).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PUBLISHED_VALIDATION as rule, validationDue } from "./validation.ts";
 * // Iteration 79 always; iteration 50 never on its return (itr > 50 is needed); at 51 anything
 * // beats −∞; then −20.9 is within 5 % of a best of −20 (−20.9 > 1.05 · −20 = −21), −21.5 is not.
 * const due = [[79, -40, -20], [50, 0, -Infinity], [51, -30, -Infinity], [52, -20.9, -20],
 *   [52, -21.5, -20]].map(([i, r, best]) => validationDue(i, r, best, rule));
 * assert.equal(due.join(), "true,false,true,true,false", due.join());
 * // For positive returns the margin asks for 5 % more than the best: 520 < 1.05 · 500 = 525.
 * assert.ok(!validationDue(100, 520, 500, rule));
 * assert.ok(validationDue(100, 530, 500, rule));
 * ```
 */
export function validationDue(
  iteration: number,
  trainReturn: number,
  bestTrainReturn: number,
  rule: ValidationRule,
): boolean {
  return iteration % rule.every === rule.every - 1 ||
    (trainReturn > bestTrainReturn * rule.margin && iteration > rule.after);
}

/**
 * One validation: after `iteration` completed iterations, the training return that was compared,
 * and the pooled `AverageReturn` after 0 … ζ adaptation steps (mean over rounds).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bestValidation, type Validation } from "./validation.ts";
 * const rows: Validation[] = [
 *   { iteration: 80, trainReturn: -20, pooledReturnsByStep: [-30, -19] },
 *   { iteration: 160, trainReturn: -18, pooledReturnsByStep: [-28, -18.5] },
 * ];
 * assert.equal(bestValidation(rows)?.iteration, 160);
 * ```
 */
export interface Validation {
  /** Iterations completed (the published `itr` + 1). */
  readonly iteration: number;
  /** The pooled return of that iteration's post-update training batches. */
  readonly trainReturn: number;
  /** The pooled return after t = 0 … ζ steps, averaged over the rounds. */
  readonly pooledReturnsByStep: readonly number[];
}

/**
 * The best training return after `validations` (−∞ before any): the published trainer raises it
 * only when it validates, so it is the largest training return among the validations.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bestTrainReturn } from "./validation.ts";
 * const row = (iteration: number, trainReturn: number) =>
 *   ({ iteration, trainReturn, pooledReturnsByStep: [0, 0] });
 * assert.equal(bestTrainReturn([]), -Infinity, "−∞ at first");
 * assert.equal(bestTrainReturn([row(52, -20), row(53, -20.5)]), -20, "the largest");
 * ```
 */
export function bestTrainReturn(validations: readonly Validation[]): number {
  return validations.reduce((best, v) => Math.max(best, v.trainReturn), -Infinity);
}

/**
 * A validation's score: its pooled return after the last adaptation step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validationScore } from "./validation.ts";
 * const v = { iteration: 80, trainReturn: -19, pooledReturnsByStep: [-40, -18.2] };
 * assert.equal(validationScore(v), -18.2, "after ζ steps");
 * ```
 */
export function validationScore(v: Validation): number {
  return v.pooledReturnsByStep[v.pooledReturnsByStep.length - 1];
}

/**
 * The published figure of a run: its best validation score (undefined without validations).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bestValidation } from "./validation.ts";
 * const row = (iteration: number, score: number) =>
 *   ({ iteration, trainReturn: 0, pooledReturnsByStep: [-40, score] });
 * assert.equal(
 *   bestValidation([row(80, -19), row(120, -17.5), row(160, -18)])?.iteration,
 *   120,
 *   "the best score",
 * );
 * ```
 */
export function bestValidation(validations: readonly Validation[]): Validation | undefined {
  let best: Validation | undefined;
  for (const v of validations) {
    if (best === undefined || validationScore(v) > validationScore(best)) best = v;
  }
  return best;
}
