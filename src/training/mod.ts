/**
 * Configuration and training (`@sgmrl/sgmrl/training`): one typed, validated configuration per
 * experiment, the paper's and the published code's setups, training from a state with the same
 * bytes after a resume, checkpoints, the published validation protocol, and the profiles.
 *
 * @example The paper's 2D-navigation setup, validated
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAPER_NAV2D, validateConfig } from "./mod.ts";
 * const config = validateConfig({
 *   ...PAPER_NAV2D, id: "nav2d-sgmrl-so-z1-s0", algorithm: "sgmrl", hessian: "autodiff",
 *   innerSteps: 1, seed: 0,
 * });
 * assert.equal(config.horizon, 100);
 * ```
 *
 * @module
 */
export {
  type BaseConfig,
  type ExperimentConfig,
  ExperimentConfigSchema,
  PAPER_LOCOMOTION,
  PAPER_NAV2D,
  PUBLISHED_NAV2D,
  validateConfig,
} from "./config.ts";
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
} from "./trainer.ts";
export {
  CheckpointError,
  checkpointSchedule,
  decodeCheckpoint,
  encodeCheckpoint,
  type TrainingState,
} from "./checkpoint.ts";
export { expandProfile, getProfile, type Profile, PROFILES } from "./profiles.ts";
export {
  bestValidation,
  PUBLISHED_VALIDATION,
  type Validation,
  validationDue,
  type ValidationRule,
} from "./validation.ts";
