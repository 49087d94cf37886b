/**
 * Exact analysis and the paper's bounds (`@sgmrl/sgmrl/theory`): tabular problems small enough to
 * enumerate every trajectory, the estimators' exact mean and variance on them, and Theorem 1's
 * constants.
 *
 * @example The estimators that exact enumeration covers
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXACT_ESTIMATORS } from "./mod.ts";
 * assert.ok("sgmrl" in EXACT_ESTIMATORS && "maml" in EXACT_ESTIMATORS);
 * ```
 *
 * @module
 */
export { SOFTMAX_ONE_HOT, theoryBounds } from "./bounds.ts";
export { analyseBias, parseTheoryInput } from "./theory.ts";
export { tabularFamily, type TabularProblem, tabularSampling, tabularSoftmax } from "./tabular.ts";
export { type EstimatorMoments, EXACT_ESTIMATORS, exactMoments } from "./exact.ts";
