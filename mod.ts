/**
 * SG-MRL: debiased model-agnostic meta-reinforcement learning (Fallah et al., NeurIPS 2021),
 * reproduced and checked.
 *
 * The root holds what a researcher needs to train, estimate, plug in a task and run or verify a
 * grid; everything else is in the subpath modules, one per layer of the source tree
 * (`@sgmrl/sgmrl/estimators`, `/envs`, `/training`, `/experiments`, `/theory`, `/analysis`,
 * `/verification`, `/sandbox`, `/threads`, `/kernels`, `/core`; docs/api.md lists them all).
 *
 * - Train: {@linkcode train} / {@linkcode evaluate} meta-train and meta-test one experiment
 *   described by one typed {@linkcode ExperimentConfig} ({@linkcode validateConfig}; the paper's
 *   setups {@linkcode PAPER_NAV2D} and {@linkcode PAPER_LOCOMOTION}) on a backend chosen by
 *   {@linkcode useBackend}.
 * - Estimate: {@linkcode samplePaths} draws trajectories of a {@linkcode TaskFamily} under a
 *   Gaussian MLP policy ({@linkcode initPolicyParams}); {@linkcode processBatch} computes
 *   reward-to-go, GAE, the linear baseline and normalisation ({@linkcode rawAdvantageConfig}
 *   gives the raw estimator of eq. 5); {@linkcode learnerBatch}, {@linkcode innerStep} and
 *   {@linkcode metaGradient} are the estimators (`sgmrl`, `maml`, `emaml`; first or second order;
 *   ζ ≥ 1 inner steps). Every draw comes from a {@linkcode stream}.
 * - Plug in a task: a module whose default export is a {@linkcode TaskFamily} (like
 *   {@linkcode nav2d}, or a MuJoCo task from {@linkcode loadTaskFamily}), named in `config.env`
 *   and pinned to its file by {@linkcode pinTaskModule}; {@linkcode checkTaskFamily} tries one
 *   first and lists every problem it has. Its code runs only in the task sandbox.
 * - Run or verify a grid: {@linkcode runExperiments} trains a profile ({@linkcode getProfile})
 *   into a results directory and resumes interrupted runs; {@linkcode selectShard} and
 *   {@linkcode mergeShards} split it over machines; {@linkcode verifyProfile} regenerates every
 *   byte and {@linkcode spotVerify} replays a random sample of checkpoint intervals.
 *
 * @example Meta-train SG-MRL for two iterations on a task family of your own
 * ```ts
 * import assert from "node:assert/strict";
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
 * assert.equal(metrics.length, 2);
 * assert.ok(Number.isFinite(evaluation.postAdaptationReturn));
 * ```
 *
 * @example The estimators without a trainer: SG-MRL's and MAML's meta-gradients on one task
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   allJobs, gaussianMlp, gaussianSampling, initPolicyParams, innerStep, learnerBatch,
 *   metaGradient, nav2d, type PolicyParams, rawAdvantageConfig, samplePaths, useBackend,
 * } from "./mod.ts";
 * await useBackend("wasm");
 * const spec = { obsDim: 2, actDim: 2, hidden: [8], activation: "tanh", initStd: 1 } as const;
 * const theta = initPolicyParams(spec, 0);
 * // The raw estimator of eq. 5: reward-to-go, no baseline, no normalisation.
 * const surrogate = { advantages: rawAdvantageConfig(0.99), mean: "trajectories" } as const;
 * const batch = (params: PolicyParams, phase: number) => {
 *   const paths = samplePaths({
 *     family: nav2d, policy: gaussianSampling(spec), tasks: [{ goal: [0.3, -0.2] }],
 *     params: [params], horizon: 10, seed: 0, purpose: "action", iteration: 0, phase,
 *   }, allJobs(1, 5));
 *   return learnerBatch(paths, spec.obsDim, spec.actDim, surrogate);
 * };
 * const inner = batch(theta, 0); // D_1, sampled at θ
 * const adapted = innerStep(gaussianMlp(spec), theta, inner, 0.1); // θ¹ = θ + α∇L(θ; D_1)
 * const task = { inner: [inner], adapted: [adapted], outer: batch(adapted, 1), explorationWeight: 0 };
 * const estimate = (algorithm: "sgmrl" | "maml") =>
 *   metaGradient(gaussianMlp(spec), theta, [task], {
 *     algorithm, hessian: "autodiff", innerSteps: 1, innerLr: 0.1, sgmrlBaseline: "none",
 *   });
 * const [sgmrl, maml] = [estimate("sgmrl"), estimate("maml")];
 * assert.deepEqual(sgmrl.gradient.map((g) => g.length), theta.map((p) => p.length));
 * // SG-MRL adds J̃ · ∇ log π(D_1; θ) to MAML's estimate: the two differ.
 * assert.notDeepEqual(sgmrl.gradient, maml.gradient);
 * ```
 *
 * examples/train_own_task.ts is the same as a program; docs/api.md lists every export of the
 * root and of each subpath module.
 *
 * @module
 */
export { type BackendName, useBackend } from "./src/kernels/backend.ts";
export { InputError } from "./src/core/errors.ts";
export { type RandomStream, stream } from "./src/core/rng.ts";
export {
  type ExperimentConfig,
  PAPER_LOCOMOTION,
  PAPER_NAV2D,
  validateConfig,
} from "./src/training/config.ts";
export { evaluate, train, type TrainResult } from "./src/training/trainer.ts";
export { getProfile } from "./src/training/profiles.ts";
export { type Episode, type TaskFamily } from "./src/envs/env.ts";
export { pinTaskModule } from "./src/envs/task_module.ts";
export { nav2d } from "./src/envs/nav2d.ts";
export { loadTaskFamily } from "./src/envs/registry.ts";
export { checkTaskFamily } from "./src/sandbox/check_task_family.ts";
export {
  gaussianMlp,
  initPolicyParams,
  type PolicyParams,
  type PolicySpec,
} from "./src/estimators/policy.ts";
export { allJobs, gaussianSampling, samplePaths } from "./src/estimators/sampler.ts";
export { processBatch, rawAdvantageConfig } from "./src/estimators/returns.ts";
export { learnerBatch } from "./src/estimators/batch.ts";
export { type Algorithm, innerStep, metaGradient } from "./src/estimators/meta_gradient.ts";
export { runExperiments } from "./src/experiments/reproduce.ts";
export { selectShard } from "./src/experiments/shards.ts";
export { mergeShards } from "./src/experiments/merge.ts";
export { spotVerify } from "./src/verification/spot_verify.ts";
export { verifyProfile } from "./src/verification/verify.ts";
