/**
 * The estimators measured at the paper's scale (`@sgmrl/sgmrl/analysis`): bias, variance and mean
 * squared error of each meta-gradient estimator at given parameters, against a large-sample
 * reference.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ANALYSIS_ESTIMATORS } from "./mod.ts";
 * assert.ok(ANALYSIS_ESTIMATORS.length > 0);
 * ```
 *
 * @module
 */
export {
  analyseAt,
  ANALYSIS_ESTIMATORS,
  analysisStats,
  type EstimatorStats,
  type PointAnalysis,
} from "./analysis.ts";
