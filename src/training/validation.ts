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

/** The published trainer's validation constants. */
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
 * import { PUBLISHED_VALIDATION } from "./validation.ts";
 * const { rounds, every, after, margin } = PUBLISHED_VALIDATION;
 * if (rounds !== 80 || every !== 80 || after !== 50 || margin !== 1.05) throw new Error("published");
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
 * import { PUBLISHED_VALIDATION, validationRule } from "./validation.ts";
 * const evaluation = { tasks: 2, trajectoriesPerTask: 2 };
 * if (validationRule({ evaluation }) !== undefined) throw new Error("the package's protocol");
 * const rule = validationRule({ evaluation: { ...evaluation, protocol: "published" } });
 * if (rule !== PUBLISHED_VALIDATION) throw new Error("the published constants");
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
 * import { PUBLISHED_VALIDATION as rule, validationDue } from "./validation.ts";
 * // Iteration 79 always; iteration 50 never on its return (itr > 50 is needed); at 51 anything
 * // beats −∞; then −20.9 is within 5 % of a best of −20 (−20.9 > 1.05 · −20 = −21), −21.5 is not.
 * const due = [[79, -40, -20], [50, 0, -Infinity], [51, -30, -Infinity], [52, -20.9, -20],
 *   [52, -21.5, -20]].map(([i, r, best]) => validationDue(i, r, best, rule));
 * if (due.join() !== "true,false,true,true,false") throw new Error(due.join());
 * // For positive returns the margin asks for 5 % more than the best: 520 < 1.05 · 500 = 525.
 * if (validationDue(100, 520, 500, rule) || !validationDue(100, 530, 500, rule)) throw new Error();
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
 * import { bestTrainReturn } from "./validation.ts";
 * const row = (iteration: number, trainReturn: number) =>
 *   ({ iteration, trainReturn, pooledReturnsByStep: [0, 0] });
 * if (bestTrainReturn([]) !== -Infinity) throw new Error("−∞ at first");
 * if (bestTrainReturn([row(52, -20), row(53, -20.5)]) !== -20) throw new Error("the largest");
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
 * import { validationScore } from "./validation.ts";
 * const v = { iteration: 80, trainReturn: -19, pooledReturnsByStep: [-40, -18.2] };
 * if (validationScore(v) !== -18.2) throw new Error("after ζ steps");
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
 * import { bestValidation } from "./validation.ts";
 * const row = (iteration: number, score: number) =>
 *   ({ iteration, trainReturn: 0, pooledReturnsByStep: [-40, score] });
 * if (bestValidation([row(80, -19), row(120, -17.5), row(160, -18)])?.iteration !== 120) {
 *   throw new Error("the best score");
 * }
 * ```
 */
export function bestValidation(validations: readonly Validation[]): Validation | undefined {
  let best: Validation | undefined;
  for (const v of validations) {
    if (best === undefined || validationScore(v) > validationScore(best)) best = v;
  }
  return best;
}
