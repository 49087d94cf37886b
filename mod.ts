/**
 * SG-MRL: debiased model-agnostic meta-reinforcement learning (Fallah et al., NeurIPS 2021),
 * reproduced and checked.
 *
 * The public API, smallest useful pieces first:
 *
 * - {@linkcode train} / {@linkcode evaluate}: meta-train and meta-test one experiment described by
 *   one typed {@linkcode ExperimentConfig} (validated by {@linkcode validateConfig}).
 * - {@linkcode metaGradient} and {@linkcode innerStep}: the estimators (`sgmrl`, `maml`, `emaml`;
 *   `hessian: "autodiff"` for second order, `"none"` for first order; ζ ≥ 1 inner steps) on
 *   batches from {@linkcode learnerBatch}.
 * - {@linkcode samplePaths}: trajectories of any {@linkcode TaskFamily} (such as
 *   {@linkcode nav2d}, or a MuJoCo locomotion task from {@linkcode loadTaskFamily}) under a
 *   Gaussian MLP policy ({@linkcode initPolicyParams}); {@linkcode createThreads} spreads sampling
 *   ({@linkcode createSampler}) and the learner's per-task gradients ({@linkcode createLearner})
 *   over worker threads with the same bytes for any worker count.
 * - {@linkcode processBatch}: reward-to-go, GAE, the linear baseline and normalisation, each
 *   switchable ({@linkcode rawAdvantageConfig} gives the raw estimator of eq. 5).
 * - {@linkcode stream}: the counter-based random streams every draw comes from.
 * - {@linkcode trainIterations} from a {@linkcode TrainingState} (initial, or restored by
 *   {@linkcode decodeCheckpoint}) continues training with the same bytes; {@linkcode runExperiments}
 *   resumes interrupted runs from their checkpoints, and {@linkcode spotVerify} replays a random
 *   sample of checkpoint intervals.
 * - {@linkcode selectShard} splits a grid into shards for several machines (balanced, stable when
 *   seeds are added); {@linkcode mergeShards} rebuilds and checks the directory they wrote into.
 *
 * @example Meta-train SG-MRL for two iterations on 2D navigation
 * ```ts
 * import { PAPER_NAV2D, train, useBackend, validateConfig } from "./mod.ts";
 * await useBackend("wasm");
 * const config = validateConfig({
 *   ...PAPER_NAV2D, id: "demo", algorithm: "sgmrl", hessian: "autodiff", innerSteps: 1, seed: 0,
 *   iterations: 2, metaBatchSize: 2, trajectoriesPerTask: 2, horizon: 10,
 *   policy: { hidden: [8], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 },
 * });
 * const { metrics, evaluation } = await train(config);
 * if (metrics.length !== 2 || !Number.isFinite(evaluation.postAdaptationReturn)) {
 *   throw new Error("training failed");
 * }
 * ```
 *
 * @module
 */
export { type BackendName, BACKENDS, useBackend } from "./src/backend.ts";
export {
  type BaseConfig,
  type ExperimentConfig,
  ExperimentConfigSchema,
  InputError,
  PAPER_LOCOMOTION,
  PAPER_NAV2D,
  validateConfig,
} from "./src/config.ts";
export { type Episode, scaleAction, type TaskFamily } from "./src/envs/env.ts";
export { nav2d, type Nav2dTask } from "./src/envs/nav2d.ts";
export {
  environmentDims,
  type EnvironmentId,
  ENVIRONMENTS,
  loadTaskFamily,
} from "./src/envs/registry.ts";
export {
  loadLocomotionFamily,
  LOCOMOTION_TASKS,
  type LocomotionId,
  type LocomotionSpec,
  type LocomotionTask,
} from "./src/envs/locomotion.ts";
export {
  type CompiledModel,
  compileModelFile,
  compileModelXml,
  loadMujoco,
  ModelCompileError,
} from "./src/envs/mujoco.ts";
export {
  createSampler,
  localSampler,
  type PortableSampleRequest,
  type Sampler,
  workerSampler,
} from "./src/parallel_sampler.ts";
export {
  createLearner,
  type Learner,
  localLearner,
  workerLearner,
} from "./src/parallel_learner.ts";
export {
  type DifferentiablePolicy,
  gaussianMlp,
  initPolicyParams,
  logProbTensor,
  meanActions,
  paramCount,
  paramShapes,
  type PolicyParams,
  type PolicySpec,
} from "./src/policy.ts";
export { type Purpose, RandomStream, stream, type StreamKey } from "./src/rng.ts";
export {
  allJobs,
  gaussianSampling,
  type Path,
  type SampleJob,
  samplePaths,
  type SampleRequest,
  type SamplingPolicy,
} from "./src/sampler.ts";
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
} from "./src/returns.ts";
export {
  explorationWeights,
  type LearnerBatch,
  learnerBatch,
  type SurrogateConfig,
} from "./src/batch.ts";
export {
  type Algorithm,
  ALGORITHMS,
  combineTaskGradients,
  type EstimatorConfig,
  type HessianMode,
  HESSIANS,
  innerStep,
  leaveOneOutBaselines,
  type MetaGradient,
  metaGradient,
  metaGradientBaselines,
  type TaskBatches,
  type TaskGradient,
  taskGradients,
} from "./src/meta_gradient.ts";
export { adamAscend, adamInit, type AdamState } from "./src/adam.ts";
export {
  createThreads,
  DivergenceError,
  evaluate,
  type Evaluation,
  initialTrainingState,
  type IterationMetrics,
  type IterationOptions,
  type Threads,
  train,
  trainIterations,
  type TrainOptions,
  type TrainResult,
} from "./src/trainer.ts";
export {
  CheckpointError,
  checkpointSchedule,
  decodeCheckpoint,
  encodeCheckpoint,
  type TrainingState,
} from "./src/checkpoint.ts";
export { type SpotReport, spotVerify } from "./src/spot_verify.ts";
export {
  analyseAt,
  ANALYSIS_ESTIMATORS,
  analysisStats,
  type EstimatorStats,
  type PointAnalysis,
} from "./src/analysis.ts";
export { SOFTMAX_ONE_HOT, theoryBounds } from "./src/bounds.ts";
export { analyseBias, parseTheoryInput } from "./src/theory.ts";
export {
  tabularFamily,
  type TabularProblem,
  tabularSampling,
  tabularSoftmax,
} from "./src/tabular.ts";
export { expandProfile, getProfile, type Profile, PROFILES } from "./src/profiles.ts";
export { runExperiments, type RunHooks, type RunOutcome } from "./src/reproduce.ts";
export { parseShard, selectShard, type Shard, shardAssignment } from "./src/shards.ts";
export { type MergeOutcome, mergeShards } from "./src/merge.ts";
export {
  type ExperimentResult,
  readResults,
  summarize,
  summaryFiles,
  type SummaryRow,
  summaryTable,
} from "./src/profile_summary.ts";
export { type VerifyOutcome, verifyProfile } from "./src/verify.ts";
