/**
 * Merging the shards of a grid: after the shards of `deno task reproduce --shard I/N` have written
 * their experiments into one directory, rebuild the profile manifest and the summary from the
 * experiment directories present, check every one of them, and say whether the grid is complete.
 *
 * @module
 */
import { checkManifests } from "./artifacts.ts";
import type { ExperimentConfig } from "../training/config.ts";
import { refreshProfileDirectory, unfinishedExperiments } from "./reproduce.ts";
import { RUN_PREFIX } from "./resume.ts";

/**
 * What {@linkcode mergeShards} found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type MergeOutcome, mergeShards } from "./merge.ts";
 * import { runExperiments } from "./reproduce.ts";
 * import { expandProfile, PROFILES } from "../training/profiles.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * // SG-MRL and MAML on 2D navigation, one seed each, two iterations of a tiny meta-batch.
 * const configs = expandProfile(PROFILES.compare, { seeds: 1, overrides: { iterations: 2,
 *   checkpointEvery: 1, metaBatchSize: 2, trajectoriesPerTask: 2, horizon: 5,
 *   policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } } });
 * const dir = await Deno.makeTempDir();
 * try {
 *   // Shard 1 of 2 has run; merging names what the other shard still owes.
 *   await runExperiments(configs.slice(0, 1), dir, "compare");
 *   const merged: MergeOutcome = await mergeShards(dir, "compare", configs);
 *   assert.equal(merged.missing.join(), configs[1].id, "one experiment missing");
 *   assert.equal(merged.problems.length, 0, "one experiment missing");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface MergeOutcome {
  /** The root digest of the rebuilt profile manifest (every experiment present). */
  readonly root: string;
  /** Experiment id → digest of its manifest.json, as the profile manifest lists them. */
  readonly experiments: Readonly<Record<string, string>>;
  /** Ids of the grid that are not finished in the directory (missing, unfinished or damaged). */
  readonly missing: string[];
  /** Ids with a run directory (`.run-ID`): a shard is still training them, or was stopped. */
  readonly unfinished: string[];
  /** Problems of the directory's files (src/experiments/artifacts.ts checkManifests), run directories aside. */
  readonly problems: string[];
}

/**
 * Rebuild `dir`'s profile manifest and summary under its lock, removing leftovers of interrupted
 * writes (except those of experiments that still have a run directory, which a shard may be
 * finishing), then check every experiment's files and which experiments of `grid` are finished.
 * Safe to run while shards are still running: it then reports them as unfinished.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeShards } from "./merge.ts";
 * import { writeExperiment } from "./artifacts.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeExperiment(dir, "exp1", { "a.txt": "a" });
 *   const merged = await mergeShards(dir, "quick", []);
 *   assert.equal(Object.keys(merged.experiments).join(), "exp1", "not listed");
 *   assert.equal(merged.problems.length, 0, "problems");
 *   assert.equal(merged.missing.length, 0, "problems");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function mergeShards(
  dir: string,
  profile: string,
  grid: readonly ExperimentConfig[],
  onWarning?: (message: string) => void,
): Promise<MergeOutcome> {
  const unfinished = new Set<string>();
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(RUN_PREFIX)) unfinished.add(entry.name.slice(RUN_PREFIX.length));
  }
  const manifest = await refreshProfileDirectory(
    dir,
    profile,
    {},
    { onWarning },
    (id) => !unfinished.has(id),
  );
  const problems = (await checkManifests(dir)).filter((p) => !p.startsWith(RUN_PREFIX));
  return {
    root: manifest.root,
    experiments: manifest.experiments,
    missing: await unfinishedExperiments(dir, grid),
    unfinished: [...unfinished].sort(),
    problems,
  };
}
