/**
 * The estimators (`@sgmrl/sgmrl/estimators`): the Gaussian MLP policy, trajectory sampling (the
 * fixed sampler and the published code's budget sampler), returns, baselines and advantages, the
 * learner's batches, the inner step and the meta-gradients of SG-MRL (as defined, and as the
 * published code computes it), MAML and E-MAML (first or
 * second order, ζ ≥ 1 inner steps), and Adam.
 *
 * @example The algorithms and Jacobian modes the meta-gradient accepts
 * ```ts
 * import assert from "node:assert/strict";
 * import { ALGORITHMS, HESSIANS } from "./mod.ts";
 * assert.deepEqual([...ALGORITHMS], ["sgmrl", "maml", "emaml", "sgmrl-published"]);
 * assert.ok(HESSIANS.includes("autodiff") && HESSIANS.includes("none"));
 * ```
 *
 * @module
 */
export {
  type DifferentiablePolicy,
  gaussianMlp,
  initPolicyParams,
  logProbTensor,
  meanActions,
  paramCount,
  paramShapes,
  policyForward,
  type PolicyParams,
  type PolicySpec,
} from "./policy.ts";
export {
  allJobs,
  type BoundAct,
  gaussianSampling,
  type Path,
  type SampleJob,
  samplePaths,
  type SampleRequest,
  type SamplingPolicy,
} from "./sampler.ts";
export {
  type AdvantageConfig,
  discountedReturn,
  fitLinearBaseline,
  gae,
  normalize,
  processBatch,
  type ProcessedBatch,
  rawAdvantageConfig,
  referenceAdvantageConfig,
  rewardToGo,
} from "./returns.ts";
export {
  explorationWeights,
  type LearnerBatch,
  learnerBatch,
  type SurrogateConfig,
} from "./batch.ts";
export {
  type Algorithm,
  ALGORITHMS,
  combineTaskGradients,
  type EstimatorConfig,
  type HessianMode,
  HESSIANS,
  innerStep,
  innerStepAsync,
  leaveOneOutBaselines,
  type MetaGradient,
  metaGradient,
  metaGradientAsync,
  metaGradientBaselines,
  type TaskBatches,
  type TaskGradient,
  taskGradients,
  taskGradientsAsync,
} from "./meta_gradient.ts";
export {
  type BatchedOptions,
  type BatchedPolicy,
  innerStepsBatched,
  logProbBatched,
  metaGradientBatched,
} from "./batched_meta_gradient.ts";
export { adamAscend, adamInit, type AdamState } from "./adam.ts";
export { type BudgetBatch, budgetDecision, sampleWithBudget } from "./budget_sampler.ts";
