/**
 * Experiment grids: the paper's (`paper`) and a scaled-down one that runs in minutes (`quick`).
 *
 * @module
 */
import {
  type BaseConfig,
  type ExperimentConfig,
  InputError,
  PAPER_LOCOMOTION,
  PAPER_NAV2D,
  PUBLISHED_NAV2D,
  validateConfig,
} from "./config.ts";
import { environmentName } from "../envs/task_module.ts";
import type { Algorithm, HessianMode } from "../estimators/meta_gradient.ts";

/** What varies between the experiments of a profile, besides the seed. */
export interface Variant {
  readonly algorithm: Algorithm;
  readonly hessian: HessianMode;
  readonly innerSteps: number;
}

/** Variants × seeds on one shared base configuration. */
export interface ProfileGroup {
  readonly base: BaseConfig;
  readonly variants: readonly Variant[];
  readonly seeds: number;
  /** Added to the group's experiment ids (`nav2d-maml-so-z1-<tag>-s0`) where groups share a variant. */
  readonly tag?: string;
}

/**
 * A named grid of experiments: one or more groups of variants × seeds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandProfile, type Profile } from "./profiles.ts";
 * import { PAPER_NAV2D } from "./config.ts";
 * // A grid of one's own: first-order SG-MRL against first-order MAML, 5 seeds each.
 * const mine: Profile = { name: "fo", description: "first order", groups: [{
 *   base: { ...PAPER_NAV2D, iterations: 100 },
 *   variants: [{ algorithm: "sgmrl", hessian: "none", innerSteps: 1 },
 *     { algorithm: "maml", hessian: "none", innerSteps: 1 }],
 *   seeds: 5,
 * }] };
 * const configs = expandProfile(mine);
 * assert.equal(configs.length, 10, "ids");
 * assert.equal(configs[0].id, "nav2d-maml-fo-z1-s0", "ids");
 * ```
 */
export interface Profile {
  readonly name: string;
  readonly description: string;
  readonly groups: readonly ProfileGroup[];
}

const ALL_ESTIMATORS: readonly Omit<Variant, "innerSteps">[] = [
  { algorithm: "sgmrl", hessian: "autodiff" },
  { algorithm: "maml", hessian: "autodiff" },
  { algorithm: "emaml", hessian: "autodiff" },
  { algorithm: "sgmrl", hessian: "none" },
  { algorithm: "maml", hessian: "none" },
  { algorithm: "emaml", hessian: "none" },
];

/** The paper's published SG-MRL (second order, as its code differentiates through the step). */
const PUBLISHED: Omit<Variant, "innerSteps"> = {
  algorithm: "sgmrl-published",
  hessian: "autodiff",
};

/** The three environments of the paper's Table 2. */
const TABLE2_ENVS = ["half-cheetah-dir", "half-cheetah-vel", "swimmer-vel"] as const;

/** SG-MRL and MAML, second order, for each ζ in `steps`. */
const sgmrlAndMaml = (steps: readonly number[]): Variant[] =>
  steps.flatMap((innerSteps) =>
    (["sgmrl", "maml"] as const).map((algorithm) => ({
      algorithm,
      hessian: "autodiff" as const,
      innerSteps,
    }))
  );

/** The quick profile's scale, shared by its 2D-navigation and locomotion groups. */
const QUICK_SCALE: Pick<
  BaseConfig,
  "metaBatchSize" | "trajectoriesPerTask" | "outerLr" | "policy" | "checkpointEvery"
> = {
  metaBatchSize: 8,
  checkpointEvery: 5,
  trajectoriesPerTask: 8,
  outerLr: 1e-2,
  policy: { hidden: [32, 32], activation: "relu", initStd: 1 },
};

/** The quick profile's scaled-down locomotion setup. */
const QUICK_LOCOMOTION: Omit<BaseConfig, "env"> = {
  ...PAPER_LOCOMOTION,
  ...QUICK_SCALE,
  horizon: 100,
  iterations: 10,
  evaluation: { tasks: 8, trajectoriesPerTask: 8 },
};

/** The quick profile's 2D-navigation setup (also the compare profile's). */
const QUICK_NAV2D: BaseConfig = {
  ...PAPER_NAV2D,
  ...QUICK_SCALE,
  horizon: 50,
  iterations: 20,
  evaluation: { tasks: 16, trajectoriesPerTask: 8, periodic: { every: 10, tasks: 16 } },
};

/**
 * The profiles by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandProfile, PROFILES } from "./profiles.ts";
 * assert.equal(Object.keys(PROFILES).join(), "paper,quick,multistep,published,ablation,compare", "six");
 * assert.equal(expandProfile(PROFILES.compare).length, 6, "2 estimators × 3 seeds");
 * ```
 */
export const PROFILES: Readonly<Record<string, Profile>> = {
  paper: {
    name: "paper",
    description:
      "Table 1 (2D navigation: sgmrl, maml, emaml, sgmrl-published second order and sgmrl, maml first order; ζ = 1; 10 seeds; evaluated on 1600 tasks after every 80 iterations and at the end) and Table 2 (half-cheetah-dir, half-cheetah-vel, swimmer-vel: sgmrl and maml; ζ = 1, 2, 3; 4 seeds); the reference setup (docs/reproducing.md)",
    groups: [
      {
        base: PAPER_NAV2D,
        variants: [
          ...ALL_ESTIMATORS.filter((v) => !(v.algorithm === "emaml" && v.hessian === "none")),
          PUBLISHED,
        ].map((v) => ({ ...v, innerSteps: 1 })),
        seeds: 10,
      },
      ...TABLE2_ENVS.map((env) => ({
        base: { ...PAPER_LOCOMOTION, env },
        variants: sgmrlAndMaml([1, 2, 3]),
        seeds: 4,
      })),
    ],
  },
  quick: {
    name: "quick",
    description:
      "the paper's pipeline scaled down: 2D navigation (32-32 policy, 8 tasks × 8 trajectories, H = 50, 20 iterations, β = 0.01; every estimator and sgmrl-published, ζ = 1 and 2, 2 seeds; evaluated also after every 10 iterations) and locomotion (half-cheetah-dir, half-cheetah-vel, swimmer-vel; 32-32 policy, 8 tasks × 8 trajectories, H = 100, 10 iterations, β = 0.01; sgmrl and maml, ζ = 1 and 2, 1 seed)",
    groups: [
      {
        base: QUICK_NAV2D,
        variants: [1, 2].flatMap((innerSteps) =>
          [...ALL_ESTIMATORS, PUBLISHED].map((v) => ({ ...v, innerSteps }))
        ),
        seeds: 2,
      },
      ...TABLE2_ENVS.map((env) => ({
        base: { ...QUICK_LOCOMOTION, env },
        variants: sgmrlAndMaml([1, 2]),
        seeds: 1,
      })),
    ],
  },
  multistep: {
    name: "multistep",
    description:
      "2D navigation with several inner steps at Table 1's reference setup: sgmrl and maml second order; ζ = 2, 3; 5 seeds = 20 runs, evaluated as in the paper profile",
    groups: [{ base: PAPER_NAV2D, variants: sgmrlAndMaml([2, 3]), seeds: 5 }],
  },
  published: {
    name: "published",
    description:
      "Table 1 as the published code ran it: tanh policy, the budget sampler and the published trainer's validations (best of validations, pooled AverageReturn); maml and sgmrl second order, 3 seeds, and sgmrl-published, 1 seed; beside them maml and sgmrl with the package's setup (ReLU, 20 trajectories per task; their training the paper profile's, byte for byte) under the same validations, 3 seeds (tag paper-setup)",
    groups: [
      { base: PUBLISHED_NAV2D, variants: sgmrlAndMaml([1]), seeds: 3 },
      { base: PUBLISHED_NAV2D, variants: [{ ...PUBLISHED, innerSteps: 1 }], seeds: 1 },
      {
        base: {
          ...PAPER_NAV2D,
          evaluation: { ...PAPER_NAV2D.evaluation, protocol: "published" },
        },
        variants: sgmrlAndMaml([1]),
        seeds: 3,
        tag: "paper-setup",
      },
    ],
  },
  ablation: {
    name: "ablation",
    description:
      "Which part of the published code's training setup changes Table 1: the paper profile's setup with only the tanh policy (tag tanh) or only the budget sampler (tag budget); sgmrl and maml second order, 3 seeds = 12 runs, evaluated as in the paper profile",
    groups: [
      {
        base: { ...PAPER_NAV2D, policy: { ...PAPER_NAV2D.policy, activation: "tanh" } },
        variants: sgmrlAndMaml([1]),
        seeds: 3,
        tag: "tanh",
      },
      {
        base: { ...PAPER_NAV2D, sampler: "budget" },
        variants: sgmrlAndMaml([1]),
        seeds: 3,
        tag: "budget",
      },
    ],
  },
  compare: {
    name: "compare",
    description:
      'SG-MRL against MAML (second order, ζ = 1, 3 seeds) at the quick profile\'s 2D-navigation scale, for a task family of your own: --config with {"env": "path/to/family.ts"} (2D navigation without it)',
    groups: [{ base: QUICK_NAV2D, variants: sgmrlAndMaml([1]), seeds: 3 }],
  },
};

/** The profile names, for help texts and errors. */
export const PROFILE_NAMES: readonly string[] = Object.keys(PROFILES);

/**
 * The artefact id of one experiment, e.g. `nav2d-sgmrl-so-z1-s0`; a task module is named by its
 * file name (`examples/point_mass.ts#…` gives `point-mass-sgmrl-so-z1-s0`).
 */
export function experimentId(env: string, v: Variant, seed: number, tag?: string): string {
  const order = v.hessian === "autodiff" ? "so" : "fo";
  const tagged = tag === undefined ? "" : `-${tag}`;
  return `${environmentName(env)}-${v.algorithm}-${order}-z${v.innerSteps}${tagged}-s${seed}`;
}

/** Most seeds a grid may have (`--seeds`). */
export const MAX_SEEDS = 1000;

/** Options that change a profile's grid. */
export interface ProfileOptions {
  /** Number of seeds (0 … seeds−1) instead of each group's. */
  readonly seeds?: number;
  /** Overrides of the shared configuration (from `--config FILE` and `--backend`). */
  readonly overrides?: Record<string, unknown>;
}

/**
 * Look up a profile by name; throws {@linkcode InputError} listing the known ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getProfile } from "./profiles.ts";
 * assert.equal(getProfile("compare").groups.length, 1, "one group");
 * let message = "";
 * try { getProfile("table1"); } catch (e) { message = (e as Error).message; }
 * assert.ok(
 *   message.startsWith("profile must be one of paper, quick, multistep, published"),
 *   message,
 * );
 * ```
 */
export function getProfile(name: string): Profile {
  const profile = Object.hasOwn(PROFILES, name) ? PROFILES[name] : undefined;
  if (profile === undefined) {
    throw new InputError(`profile must be one of ${PROFILE_NAMES.join(", ")}, got "${name}"`);
  }
  return profile;
}

/**
 * The validated configurations of a profile's experiments, sorted by id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandProfile, PROFILES } from "./profiles.ts";
 * const configs = expandProfile(PROFILES.paper);
 * assert.equal(configs.length, 60 + 72, "Table 1: 6 × 10 seeds; Table 2: 3 × 3 × 2 × 4");
 * ```
 */
export function expandProfile(profile: Profile, options: ProfileOptions = {}): ExperimentConfig[] {
  const seeds = options.seeds;
  if (seeds !== undefined && !(Number.isInteger(seeds) && seeds >= 1 && seeds <= MAX_SEEDS)) {
    throw new InputError(`seeds must be an integer in [1, ${MAX_SEEDS}], got ${seeds}`);
  }
  const overrides = options.overrides ?? {};
  for (const key of ["id", "algorithm", "hessian", "innerSteps", "seed"]) {
    if (key in overrides) {
      throw new InputError(
        `config: "${key}" is set by the profile's grid and cannot be overridden`,
      );
    }
  }
  const configs: ExperimentConfig[] = [];
  for (const group of profile.groups) {
    for (const v of group.variants) {
      for (let seed = 0; seed < (options.seeds ?? group.seeds); seed++) {
        const merged = { ...group.base, ...overrides, ...v, seed, id: "" };
        merged.id = experimentId(String(merged.env), v, seed, group.tag);
        configs.push(validateConfig(merged, "config"));
      }
    }
  }
  return configs.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
