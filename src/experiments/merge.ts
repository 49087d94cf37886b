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

/** What {@linkcode mergeShards} found. */
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
 * import { mergeShards } from "./merge.ts";
 * import { writeExperiment } from "./artifacts.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeExperiment(dir, "exp1", { "a.txt": "a" });
 *   const merged = await mergeShards(dir, "quick", []);
 *   if (Object.keys(merged.experiments).join() !== "exp1") throw new Error("not listed");
 *   if (merged.problems.length !== 0 || merged.missing.length !== 0) throw new Error("problems");
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
