/**
 * Experiment grids and their artefacts (`@sgmrl/sgmrl/experiments`): running a profile into a
 * results directory (resuming interrupted runs), shards for several machines and their merge, the
 * summary tables and figures, and trained policies as safetensors.
 *
 * @example A grid split over three machines: every experiment in exactly one shard
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandProfile, getProfile } from "../training/mod.ts";
 * import { parseShard, selectShard } from "./mod.ts";
 * const grid = expandProfile(getProfile("quick"));
 * const shards = [1, 2, 3].map((i) => selectShard(grid, parseShard(`${i}/3`)));
 * assert.equal(shards.flat().length, grid.length);
 * ```
 *
 * @module
 */
export { runExperiments, type RunHooks, type RunOutcome } from "./reproduce.ts";
export { parseShard, selectShard, type Shard, shardAssignment } from "./shards.ts";
export { type MergeOutcome, mergeShards } from "./merge.ts";
export {
  type ExperimentResult,
  readResults,
  summarize,
  summaryFiles,
  type SummaryRow,
  summaryTable,
} from "./profile_summary.ts";
export { exportExperiment, safetensorsBytes } from "./export.ts";
