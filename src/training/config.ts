/**
 * The one typed configuration of an experiment, its validation, and the defaults of the paper.
 *
 * @module
 */
import { z } from "zod";
import { type BackendName, BACKENDS } from "../kernels/backend.ts";
import { DENSE_PRECISIONS, type DensePrecision } from "../kernels/dense_simd.ts";
import { ENVIRONMENTS } from "../envs/registry.ts";
import { PHYSICS_ENGINES, type PhysicsEngine } from "../envs/physics.ts";
import { isLocomotionId } from "../envs/locomotion.ts";
import { isPinnedTaskModule } from "../envs/task_module.ts";
import { InputError } from "../core/errors.ts";
import {
  type Algorithm,
  ALGORITHMS,
  type HessianMode,
  HESSIANS,
} from "../estimators/meta_gradient.ts";

export { ENVIRONMENTS } from "../envs/registry.ts";
export { InputError } from "../core/errors.ts";

/**
 * The batch samplers: "fixed" trajectories per task, or the published code's step "budget".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SAMPLERS } from "./config.ts";
 * assert.equal(SAMPLERS.join(), "fixed,budget", "two samplers");
 * ```
 */
export const SAMPLERS = ["fixed", "budget"] as const;

/**
 * The evaluation protocols: the package's own, or the published trainer's validations beside it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EVALUATION_PROTOCOLS } from "./config.ts";
 * assert.ok(EVALUATION_PROTOCOLS.includes("published"), "the published protocol");
 * ```
 */
export const EVALUATION_PROTOCOLS = ["package", "published"] as const;

const int = (min: number, max = Number.MAX_SAFE_INTEGER): z.ZodNumber =>
  z.number().int().min(min).max(max);
const unit: z.ZodNumber = z.number().min(0).max(1);

const experimentConfigShape = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_', '-'"),
  env: z.union([
    z.enum(ENVIRONMENTS),
    z.string().refine(isPinnedTaskModule, {
      message: `one of ${
        ENVIRONMENTS.join(", ")
      }, or a task module (a .ts or .js file) pinned as path#sha256=<digest>`,
    }),
  ]),
  envImports: z.record(
    // deno-lint-ignore no-control-regex
    z.string().regex(/^[^\u0000-\u001f]{1,500}$/, "a file path"),
    z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 digest"),
  ).refine((r) => Object.keys(r).length <= 100, "at most 100 files").optional(),
  algorithm: z.enum(ALGORITHMS),
  hessian: z.enum(HESSIANS),
  innerSteps: int(1, 16),
  innerLr: z.number().min(0).finite(),
  outerLr: z.number().min(0).finite(),
  metaBatchSize: int(1, 4096),
  trajectoriesPerTask: int(1, 100000),
  horizon: int(1, 100000),
  iterations: int(1, 1000000),
  checkpointEvery: int(1, 1000000),
  seed: int(0, 2 ** 32 - 1),
  gamma: unit,
  gaeLambda: unit,
  advantageEstimator: z.enum(["gae", "reward-to-go"]),
  baseline: z.enum(["linear", "none"]),
  normalizeAdvantages: z.boolean(),
  surrogateMean: z.enum(["samples", "trajectories"]),
  sgmrlBaseline: z.enum(["none", "leave-one-out"]),
  policy: z.strictObject({
    hidden: z.array(int(1, 4096)).max(8),
    activation: z.enum(["relu", "tanh"]),
    initStd: z.number().positive().finite(),
  }),
  evaluation: z.strictObject({
    tasks: int(1, 100000),
    trajectoriesPerTask: int(1, 100000),
    periodic: z.strictObject({ every: int(1, 1000000), tasks: int(1, 100000) }).optional(),
    protocol: z.enum(EVALUATION_PROTOCOLS).optional(),
    validation: z.strictObject({
      rounds: int(1, 100000),
      every: int(1, 1000000),
      after: int(0, 1000000),
      margin: z.number().min(0).finite(),
    }).optional(),
  }).refine((e) => e.validation === undefined || e.protocol === "published", {
    message: 'validation is read only with protocol "published"',
    path: ["validation"],
  }),
  backend: z.enum(BACKENDS),
  samplingPrecision: z.enum(DENSE_PRECISIONS).optional(),
  sampler: z.enum(SAMPLERS).optional(),
  physics: z.enum(PHYSICS_ENGINES).optional(),
}).refine((c) => c.physics === undefined || c.physics === "wasm" || isLocomotionId(c.env), {
  message:
    "native physics steps the MuJoCo environments (half-cheetah-*, swimmer-*) only (--physics native sets it for those of a grid)",
  path: ["physics"],
});

/**
 * Every hyperparameter of one experiment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ExperimentConfig, PAPER_NAV2D } from "./config.ts";
 * const config: ExperimentConfig = { ...PAPER_NAV2D, id: "nav2d-sgmrl-so-z1-s0", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0 };
 * assert.equal(config.horizon, 100, "the paper's horizon");
 * ```
 */
export interface ExperimentConfig {
  /** Artefact directory name: letters, digits, '.', '_', '-'. */
  id: string;
  /** A built-in environment id, or a task module pinned by its digest (src/envs/task_module.ts). */
  env: string;
  /**
   * A task module's own imports outside the package, path → SHA-256 (src/sandbox/module_graph.ts);
   * absent when it has none (and for the built-in environments).
   */
  envImports?: Record<string, string>;
  algorithm: Algorithm;
  /** "autodiff": second-order meta-gradient; "none": first order. */
  hessian: HessianMode;
  /** ζ: inner adaptation steps. */
  innerSteps: number;
  /** α: inner step size. */
  innerLr: number;
  /** β: Adam's step size for the meta-update. */
  outerLr: number;
  /** Tasks per meta-batch. */
  metaBatchSize: number;
  /** Trajectories per task and adaptation step. */
  trajectoriesPerTask: number;
  /** Maximum steps per trajectory. */
  horizon: number;
  /** Meta-iterations. */
  iterations: number;
  /**
   * Keep a checkpoint (the full training state) after every this many iterations, and after the
   * last one; resume and spot verification start from them.
   */
  checkpointEvery: number;
  seed: number;
  gamma: number;
  gaeLambda: number;
  /** "gae" (reference training) or "reward-to-go" (eq. 4). */
  advantageEstimator: "gae" | "reward-to-go";
  baseline: "linear" | "none";
  normalizeAdvantages: boolean;
  /** "samples": mean over (s, a) samples (reference); "trajectories": eq. 5. */
  surrogateMean: "samples" | "trajectories";
  sgmrlBaseline: "none" | "leave-one-out";
  policy: { hidden: number[]; activation: "relu" | "tanh"; initStd: number };
  evaluation: {
    /** Fresh meta-test tasks (from their own stream). */
    tasks: number;
    trajectoriesPerTask: number;
    /**
     * The reference's protocol beside the final evaluation: after every `every` iterations,
     * evaluate on `tasks` fresh tasks (evaluations.csv); the best one is what the reference reported.
     */
    periodic?: { every: number; tasks: number };
    /**
     * "package" when absent; "published": training also runs the published trainer's
     * validations (src/training/validation.ts: its trigger, rounds of fresh meta-batches, the pooled
     * return), one row each in validations.csv; the summary reports each seed's best.
     */
    protocol?: typeof EVALUATION_PROTOCOLS[number];
    /** The published validation's constants, where they differ from the code's (80, 80, 50, 1.05). */
    validation?: { rounds: number; every: number; after: number; margin: number };
  };
  backend: BackendName;
  /**
   * The arithmetic of the policy's mean while sampling: "float64" when absent (the same
   * trajectories on every backend), or "float32" (as PyTorch samples: faster, other trajectories;
   * still the same bytes on every machine and for any worker count).
   */
  samplingPrecision?: DensePrecision;
  /**
   * How a batch is sampled: "fixed" when absent (exactly `trajectoriesPerTask` paths per task and
   * adaptation step), or "budget" (the published code's sampler: `trajectoriesPerTask` environment
   * slots per task step in lockstep, restarting ended episodes, until the completed paths hold
   * tasks × trajectoriesPerTask × horizon steps; src/estimators/budget_sampler.ts).
   */
  sampler?: typeof SAMPLERS[number];
  /**
   * The physics engine of a MuJoCo environment: "wasm" when absent (MuJoCo 3.1.16 compiled to
   * WebAssembly), or "native" (Debian's MuJoCo 2.2.2 through FFI: src/envs/physics.ts; run with
   * `deno task reproduce:native`).
   */
  physics?: PhysicsEngine;
}

/**
 * The zod schema of {@linkcode ExperimentConfig}; unknown keys are errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ExperimentConfigSchema, PAPER_NAV2D } from "./config.ts";
 * const config = { ...PAPER_NAV2D, id: "x", algorithm: "maml", hessian: "none", innerSteps: 1,
 *   seed: 0 };
 * assert.ok(ExperimentConfigSchema.safeParse(config).success, "a valid configuration");
 * assert.ok(!ExperimentConfigSchema.safeParse({ ...config, lr: 1 }).success, "unknown key");
 * ```
 */
export const ExperimentConfigSchema: z.ZodType<ExperimentConfig> = experimentConfigShape;

// The schema's inferred type and the interface are the same type (checked when compiling).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const configTypesAgree: Same<z.infer<typeof experimentConfigShape>, ExperimentConfig> = true;
void configTypesAgree;

/** Format the first zod issue as `field: message`. */
export function formatIssue(prefix: string, error: z.ZodError): string {
  const issue = error.issues[0];
  const path = [prefix, ...issue.path.map(String)].filter((s) => s !== "").join(".");
  if (issue.code === "unrecognized_keys") {
    const where = path === "" ? "" : `${path}: `;
    return `${where}unknown key${issue.keys.length > 1 ? "s" : ""} ${
      issue.keys.map((k) => `"${k}"`).join(", ")
    }`;
  }
  return `${path || "value"}: ${issue.message}`;
}

/**
 * Validate a complete experiment configuration; throws {@linkcode InputError} naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * const ok = validateConfig({ ...PAPER_NAV2D, id: "x", algorithm: "sgmrl", hessian: "autodiff",
 *   innerSteps: 1, seed: 0 });
 * assert.equal(ok.metaBatchSize, 20, "unexpected default");
 * let message = "";
 * try { validateConfig({ ...ok, iterations: 0 }); } catch (e) { message = (e as Error).message; }
 * assert.ok(message.startsWith("iterations:"), message);
 * ```
 */
export function validateConfig(value: unknown, prefix = ""): ExperimentConfig {
  const parsed = ExperimentConfigSchema.safeParse(value);
  if (!parsed.success) throw new InputError(formatIssue(prefix, parsed.error));
  return parsed.data;
}

/** Fields of a configuration that a profile varies per experiment. */
export type VariedFields = "id" | "algorithm" | "hessian" | "innerSteps" | "seed";

/**
 * The configuration shared by the experiments of a profile.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BaseConfig, ExperimentConfig } from "./config.ts";
 * import { PAPER_NAV2D } from "./config.ts";
 * const base: BaseConfig = { ...PAPER_NAV2D, iterations: 50 };
 * const seeds: ExperimentConfig[] = [0, 1, 2].map((seed) => ({
 *   ...base, id: `maml-s${seed}`, algorithm: "maml", hessian: "autodiff", innerSteps: 1, seed,
 * }));
 * assert.equal(seeds[2].iterations, 50, "shared fields");
 * ```
 */
export type BaseConfig = Omit<ExperimentConfig, VariedFields>;

/**
 * The paper's 2D-navigation setup (paper App. H and the published configs): 100-100 ReLU policy with initial std 1,
 * α = 0.1, Adam β = 1e-3, 20 tasks × 20 trajectories, H = 100, 500 iterations, γ = 0.99,
 * GAE λ = 0.997 with the linear baseline and per-task normalisation, mean over samples. A
 * checkpoint every 125 iterations keeps one experiment's four checkpoints at 0.85 MB. Evaluation
 * as the reference validated: 1600 fresh tasks (its 80 rounds of a 20-task meta-batch) × 20
 * trajectories, after every 80 iterations (evaluations.csv) and of the final parameters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAPER_NAV2D } from "./config.ts";
 * const { metaBatchSize, trajectoriesPerTask, innerLr } = PAPER_NAV2D;
 * assert.equal(metaBatchSize, 20, "App. H: 20 tasks × 20 trajectories, α = 0.1");
 * assert.equal(trajectoriesPerTask, 20, "App. H: 20 tasks × 20 trajectories, α = 0.1");
 * assert.equal(innerLr, 0.1, "App. H: 20 tasks × 20 trajectories, α = 0.1");
 * ```
 */
export const PAPER_NAV2D: BaseConfig = {
  env: "nav2d",
  innerLr: 0.1,
  outerLr: 1e-3,
  metaBatchSize: 20,
  trajectoriesPerTask: 20,
  horizon: 100,
  iterations: 500,
  checkpointEvery: 125,
  gamma: 0.99,
  gaeLambda: 0.997,
  advantageEstimator: "gae",
  baseline: "linear",
  normalizeAdvantages: true,
  surrogateMean: "samples",
  sgmrlBaseline: "leave-one-out",
  policy: { hidden: [100, 100], activation: "relu", initStd: 1 },
  evaluation: { tasks: 1600, trajectoriesPerTask: 20, periodic: { every: 80, tasks: 1600 } },
  backend: "wasm",
};

/**
 * Table 1's setup as the published code runs it (kristian-georgiev/SGMRL,
 * sgmrl_experiments/vpg_run.py with sgmrl_configs/sgmrl_full.json): {@linkcode PAPER_NAV2D} with
 * the policy class's default tanh, the budget sampler (maml_zoo's `MAMLSampler`), and the published
 * trainer's validations (src/training/validation.ts) in place of the periodic evaluations.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PUBLISHED_NAV2D } from "./config.ts";
 * const { policy, sampler, evaluation } = PUBLISHED_NAV2D;
 * assert.equal(policy.activation, "tanh", "the published code's setup");
 * assert.equal(sampler, "budget", "the published code's setup");
 * assert.equal(evaluation.protocol, "published", "the published code's setup");
 * ```
 */
export const PUBLISHED_NAV2D: BaseConfig = {
  ...PAPER_NAV2D,
  policy: { ...PAPER_NAV2D.policy, activation: "tanh" },
  sampler: "budget",
  evaluation: { tasks: 1600, trajectoriesPerTask: 20, protocol: "published" },
};

/**
 * The paper's locomotion setup (Table 2; paper App. H and the published configs): as
 * {@linkcode PAPER_NAV2D} but 40 tasks × 20 trajectories, H = 200, and 500 iterations (the paper's
 * figure; the published MuJoCo config says 400), and a checkpoint every 50 iterations (about half
 * an hour of a 2-core machine at ζ = 3). `env` is set per experiment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAPER_LOCOMOTION, validateConfig } from "./config.ts";
 * const config = validateConfig({ ...PAPER_LOCOMOTION, env: "half-cheetah-vel", id: "x",
 *   algorithm: "sgmrl", hessian: "autodiff", innerSteps: 1, seed: 0 });
 * assert.equal(config.metaBatchSize, 40, "Table 2's setup");
 * assert.equal(config.horizon, 200, "Table 2's setup");
 * ```
 */
export const PAPER_LOCOMOTION: Omit<BaseConfig, "env"> = {
  ...PAPER_NAV2D,
  metaBatchSize: 40,
  trajectoriesPerTask: 20,
  horizon: 200,
  iterations: 500,
  checkpointEvery: 50,
  evaluation: { tasks: 40, trajectoriesPerTask: 20 },
};
