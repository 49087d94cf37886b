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
 *   batches from {@linkcode learnerBatch} ({@linkcode metaGradientAsync} and
 *   {@linkcode innerStepAsync} read back asynchronously, as the `webgpu` backend requires).
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
 * - Your own task family: a module whose default export is a {@linkcode TaskFamily}, named in
 *   `config.env` by its path, pinned to its file by {@linkcode pinTaskModule} (examples/); its code
 *   runs only in the task sandbox, a Worker with no write, FFI, subprocess, network or environment
 *   access ({@linkcode configureTaskSandbox} sets its timeout and heap limit);
 *   {@linkcode checkTaskFamily} tries one first and lists every problem it has.
 * - {@linkcode selectShard} splits a grid into shards for several machines (balanced, stable when
 *   seeds are added); {@linkcode mergeShards} rebuilds and checks the directory they wrote into.
 *
 * @example Meta-train SG-MRL for two iterations on a task family of your own
 * ```ts
 * import { PAPER_NAV2D, pinTaskModule, train, useBackend, validateConfig } from "./mod.ts";
 * await useBackend("wasm");
 * const config = validateConfig({
 *   ...PAPER_NAV2D, env: await pinTaskModule("examples/point_mass.ts"), id: "demo",
 *   algorithm: "sgmrl", hessian: "autodiff", innerSteps: 1, seed: 0, iterations: 2,
 *   metaBatchSize: 2, trajectoriesPerTask: 2, horizon: 10,
 *   policy: { hidden: [8], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 },
 * });
 * const { metrics, evaluation } = await train(config);
 * if (metrics.length !== 2 || !Number.isFinite(evaluation.postAdaptationReturn)) {
 *   throw new Error("training failed");
 * }
 * ```
 *
 * examples/train_own_task.ts is the same as a program; the README's API section lists every
 * export by the folder that defines it.
 *
 * @module
 */
export { type BackendName, BACKENDS, useBackend } from "./src/kernels/backend.ts";
export {
  type BaseConfig,
  type ExperimentConfig,
  ExperimentConfigSchema,
  InputError,
  PAPER_LOCOMOTION,
  PAPER_NAV2D,
  validateConfig,
} from "./src/training/config.ts";
export { type Episode, scaleAction, type TaskFamily } from "./src/envs/env.ts";
export { environmentName, pinTaskModule } from "./src/envs/task_module.ts";
export {
  configureTaskSandbox,
  type SandboxSettings,
  TaskModuleError,
} from "./src/sandbox/task_sandbox.ts";
export { checkTaskFamily, type CheckTaskFamilyOptions } from "./src/sandbox/check_task_family.ts";
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
  locomotionFamily,
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
} from "./src/threads/parallel_sampler.ts";
export {
  createLearner,
  type Learner,
  localLearner,
  workerLearner,
} from "./src/threads/parallel_learner.ts";
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
} from "./src/estimators/policy.ts";
export { type Purpose, RandomStream, stream, type StreamKey } from "./src/core/rng.ts";
export {
  allJobs,
  type BoundAct,
  gaussianSampling,
  type Path,
  type SampleJob,
  samplePaths,
  type SampleRequest,
  type SamplingPolicy,
} from "./src/estimators/sampler.ts";
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
} from "./src/estimators/returns.ts";
export {
  explorationWeights,
  type LearnerBatch,
  learnerBatch,
  type SurrogateConfig,
} from "./src/estimators/batch.ts";
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
} from "./src/estimators/meta_gradient.ts";
export {
  type BatchedOptions,
  type BatchedPolicy,
  innerStepsBatched,
  logProbBatched,
  metaGradientBatched,
} from "./src/estimators/batched_meta_gradient.ts";
export { adamAscend, adamInit, type AdamState } from "./src/estimators/adam.ts";
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
} from "./src/training/trainer.ts";
export {
  CheckpointError,
  checkpointSchedule,
  decodeCheckpoint,
  encodeCheckpoint,
  type TrainingState,
} from "./src/training/checkpoint.ts";
export { type SpotReport, spotVerify } from "./src/verification/spot_verify.ts";
export {
  analyseAt,
  ANALYSIS_ESTIMATORS,
  analysisStats,
  type EstimatorStats,
  type PointAnalysis,
} from "./src/analysis/analysis.ts";
export { SOFTMAX_ONE_HOT, theoryBounds } from "./src/theory/bounds.ts";
export { analyseBias, parseTheoryInput } from "./src/theory/theory.ts";
export {
  tabularFamily,
  type TabularProblem,
  tabularSampling,
  tabularSoftmax,
} from "./src/theory/tabular.ts";
export { expandProfile, getProfile, type Profile, PROFILES } from "./src/training/profiles.ts";
export { runExperiments, type RunHooks, type RunOutcome } from "./src/experiments/reproduce.ts";
export { parseShard, selectShard, type Shard, shardAssignment } from "./src/experiments/shards.ts";
export { type MergeOutcome, mergeShards } from "./src/experiments/merge.ts";
export {
  type ExperimentResult,
  readResults,
  summarize,
  summaryFiles,
  type SummaryRow,
  summaryTable,
} from "./src/experiments/profile_summary.ts";
export { type VerifyOutcome, verifyProfile } from "./src/verification/verify.ts";
