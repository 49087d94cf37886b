/**
 * Splitting a grid of experiments into shards that run on separate machines (`--shard I/N`).
 *
 * The partition deals experiments to shards like a snake draft: experiments are put in seed-major
 * order (seed 0 of every variant, then seed 1, …; within one seed, the most expensive first by
 * {@linkcode shardCost}, ties by id), and the k-th of them goes to shard `k mod N` on even rounds
 * of N and to `N − 1 − (k mod N)` on odd rounds. So:
 *
 * - every experiment is in exactly one shard, whatever the order the grid is given in;
 * - shard sizes differ by at most one, and costly and cheap experiments alternate between rounds;
 * - adding seeds appends rounds at the end: no experiment of the smaller grid changes shard, so a
 *   cluster can extend a finished grid without moving or rerunning anything.
 *
 * Which shard an experiment runs in changes no byte of its artefacts (every random draw is keyed
 * by the experiment, never by where it runs).
 *
 * @module
 */
import { estimateCost } from "../training/budget.ts";
import { type ExperimentConfig, InputError } from "../training/config.ts";
import { paramCount } from "../estimators/policy.ts";
import { policySpec } from "../training/trainer.ts";

/** Most shards a grid may be split into. */
export const MAX_SHARDS = 10_000;

/**
 * One shard of a partition: `index` in 1 … `count`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectShard, type Shard } from "./shards.ts";
 * import { expandProfile, PROFILES } from "../training/profiles.ts";
 * const grid = expandProfile(PROFILES.paper);
 * const shards: Shard[] = [{ index: 1, count: 2 }, { index: 2, count: 2 }];
 * const sizes = shards.map((s) => selectShard(grid, s).length);
 * assert.equal(sizes[0] + sizes[1], grid.length, "every experiment in one shard");
 * ```
 */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * Parse `--shard I/N` (1 ≤ I ≤ N ≤ {@linkcode MAX_SHARDS}); throws {@linkcode InputError} naming
 * the option otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseShard } from "./shards.ts";
 * const s = parseShard("2/8");
 * assert.equal(s.index, 2, "parse");
 * assert.equal(s.count, 8, "parse");
 * let message = "";
 * try { parseShard("0/8"); } catch (e) { message = (e as Error).message; }
 * assert.ok(message.startsWith("shard:"), message);
 * ```
 */
export function parseShard(value: string): Shard {
  const match = /^([1-9][0-9]*)\/([1-9][0-9]*)$/.exec(value);
  const index = match === null ? NaN : Number(match[1]);
  const count = match === null ? NaN : Number(match[2]);
  if (!(index >= 1 && index <= count && count <= MAX_SHARDS)) {
    throw new InputError(
      `shard: must be I/N with 1 <= I <= N <= ${MAX_SHARDS} (for example 2/8), got "${value}"`,
    );
  }
  return { index, count };
}

/**
 * A simulator step's charge, in the units of {@linkcode shardCost}: fitted to the quick profile's
 * timings on a 2-core machine (MuJoCo HalfCheetah about 20 µs a step, Swimmer about 50 µs).
 */
const SIMULATOR_STEP: Readonly<Record<string, number>> = {
  nav2d: 0,
  "half-cheetah-dir": 20_000,
  "half-cheetah-vel": 20_000,
  "swimmer-vel": 50_000,
  "swimmer-vel-goal": 50_000,
};

/**
 * An experiment's relative cost, for ordering and balancing only: the learner's work (samples ×
 * parameters, forward and backward, about three passes) plus the sampler's (environment steps ×
 * parameters for the policy's evaluation, and a charge per step for the simulator). Only ratios
 * matter: on the quick profile's experiments, seconds per unit varied within a factor of 1.8.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardCost } from "./shards.ts";
 * import { expandProfile, PROFILES } from "../training/profiles.ts";
 * const [cheetah] = expandProfile(PROFILES.quick).filter((c) => c.env === "half-cheetah-vel");
 * const [nav2d] = expandProfile(PROFILES.quick).filter((c) => c.env === "nav2d");
 * assert.ok(shardCost(cheetah) > shardCost(nav2d), "MuJoCo costs more");
 * ```
 */
export function shardCost(config: ExperimentConfig): number {
  const cost = estimateCost(config);
  const params = paramCount(policySpec(config));
  // An own task family costs what its policy does, as far as this estimate knows.
  const simulator = SIMULATOR_STEP[config.env] ?? 0;
  return 3 * cost.learnerWork + cost.environmentSteps * (params + simulator);
}

/** The experiments of a grid in dealing order: seed-major, costliest first, then by id. */
function dealingOrder(configs: readonly ExperimentConfig[]): ExperimentConfig[] {
  const keyed = configs.map((config) => ({ config, cost: shardCost(config) }));
  keyed.sort((a, b) =>
    a.config.seed - b.config.seed || b.cost - a.cost ||
    (a.config.id < b.config.id ? -1 : a.config.id > b.config.id ? 1 : 0)
  );
  return keyed.map((k) => k.config);
}

/**
 * The shard (1 … `count`) of each experiment id of the grid `configs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardAssignment } from "./shards.ts";
 * import { expandProfile, PROFILES } from "../training/profiles.ts";
 * const grid = expandProfile(PROFILES.quick);
 * const assignment = shardAssignment(grid, 4);
 * assert.equal(assignment.size, grid.length, "every experiment has a shard");
 * ```
 */
export function shardAssignment(
  configs: readonly ExperimentConfig[],
  count: number,
): Map<string, number> {
  const ids = new Set<string>();
  for (const c of configs) {
    if (ids.has(c.id)) throw new InputError(`config: two experiments share the id "${c.id}"`);
    ids.add(c.id);
  }
  const assignment = new Map<string, number>();
  dealingOrder(configs).forEach((config, k) => {
    const round = Math.floor(k / count);
    const slot = k % count;
    assignment.set(config.id, 1 + (round % 2 === 0 ? slot : count - 1 - slot));
  });
  return assignment;
}

/**
 * The experiments of `configs` that shard `shard` runs, in the order given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectShard } from "./shards.ts";
 * import { expandProfile, PROFILES } from "../training/profiles.ts";
 * const grid = expandProfile(PROFILES.quick);
 * const parts = [1, 2, 3].map((index) => selectShard(grid, { index, count: 3 }));
 * const ids = parts.flat().map((c) => c.id).sort();
 * assert.equal(ids.join(), grid.map((c) => c.id).sort().join(), "not a partition");
 * ```
 */
export function selectShard(
  configs: readonly ExperimentConfig[],
  shard: Shard,
): ExperimentConfig[] {
  const assignment = shardAssignment(configs, shard.count);
  return configs.filter((c) => assignment.get(c.id) === shard.index);
}
