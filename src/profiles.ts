/**
 * Experiment grids: the paper's (`paper`) and a scaled-down one that runs in minutes (`quick`).
 *
 * @module
 */
import {
  type BaseConfig,
  type ExperimentConfig,
  InputError,
  PAPER_NAV2D,
  validateConfig,
} from "./config.ts";
import type { Algorithm, HessianMode } from "./meta_gradient.ts";

/** What varies between the experiments of a profile, besides the seed. */
export interface Variant {
  readonly algorithm: Algorithm;
  readonly hessian: HessianMode;
  readonly innerSteps: number;
}

/** A named grid of experiments: variants × seeds on a shared base configuration. */
export interface Profile {
  readonly name: string;
  readonly description: string;
  readonly base: BaseConfig;
  readonly variants: readonly Variant[];
  readonly seeds: number;
}

const ALL_ESTIMATORS: readonly Omit<Variant, "innerSteps">[] = [
  { algorithm: "sgmrl", hessian: "autodiff" },
  { algorithm: "maml", hessian: "autodiff" },
  { algorithm: "emaml", hessian: "autodiff" },
  { algorithm: "sgmrl", hessian: "none" },
  { algorithm: "maml", hessian: "none" },
  { algorithm: "emaml", hessian: "none" },
];

/** The profiles by name. */
export const PROFILES: Readonly<Record<string, Profile>> = {
  paper: {
    name: "paper",
    description:
      "Table 1 (2D navigation): sgmrl, maml, emaml second order and sgmrl, maml first order; ζ = 1; 10 seeds; the reference setup (README)",
    base: PAPER_NAV2D,
    variants: ALL_ESTIMATORS.filter((v) => !(v.algorithm === "emaml" && v.hessian === "none"))
      .map((v) => ({ ...v, innerSteps: 1 })),
    seeds: 10,
  },
  quick: {
    name: "quick",
    description:
      "the paper's pipeline scaled down (32-32 policy, 8 tasks × 8 trajectories, H = 50, 20 iterations, β = 0.01): every estimator, ζ = 1 and 2, 2 seeds",
    base: {
      ...PAPER_NAV2D,
      metaBatchSize: 8,
      trajectoriesPerTask: 8,
      horizon: 50,
      iterations: 20,
      outerLr: 1e-2,
      policy: { hidden: [32, 32], activation: "relu", initStd: 1 },
      evaluation: { tasks: 16, trajectoriesPerTask: 8 },
    },
    variants: [1, 2].flatMap((innerSteps) => ALL_ESTIMATORS.map((v) => ({ ...v, innerSteps }))),
    seeds: 2,
  },
};

/** The profile names, for help texts and errors. */
export const PROFILE_NAMES: readonly string[] = Object.keys(PROFILES);

/** The artefact id of one experiment, e.g. `nav2d-sgmrl-so-z1-s0`. */
export function experimentId(env: string, v: Variant, seed: number): string {
  const order = v.hessian === "autodiff" ? "so" : "fo";
  return `${env}-${v.algorithm}-${order}-z${v.innerSteps}-s${seed}`;
}

/** Options that change a profile's grid. */
export interface ProfileOptions {
  /** Number of seeds (0 … seeds−1) instead of the profile's. */
  readonly seeds?: number;
  /** Overrides of the shared configuration (from `--config FILE` and `--backend`). */
  readonly overrides?: Record<string, unknown>;
}

/**
 * Look up a profile by name; throws {@linkcode InputError} listing the known ones.
 */
export function getProfile(name: string): Profile {
  const profile = PROFILES[name];
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
 * import { expandProfile, PROFILES } from "./profiles.ts";
 * const configs = expandProfile(PROFILES.paper);
 * if (configs.length !== 50) throw new Error("5 estimators × 10 seeds");
 * ```
 */
export function expandProfile(profile: Profile, options: ProfileOptions = {}): ExperimentConfig[] {
  const seeds = options.seeds ?? profile.seeds;
  if (!Number.isInteger(seeds) || seeds < 1) {
    throw new InputError(`seeds must be a positive integer, got ${seeds}`);
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
  for (const v of profile.variants) {
    for (let seed = 0; seed < seeds; seed++) {
      const merged = { ...profile.base, ...overrides, ...v, seed, id: "" };
      merged.id = experimentId(String(merged.env), v, seed);
      configs.push(validateConfig(merged, "config"));
    }
  }
  return configs.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
