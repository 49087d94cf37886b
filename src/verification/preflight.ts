/**
 * What `verify` checks before it runs anything, for a results directory may come from a
 * stranger: every manifest and digest (and no symbolic link, device or unlisted file), every
 * stored configuration (valid, under its own id), whether the configurations are the named
 * profile's own, and each experiment's estimated memory and cost.
 *
 * @module
 */
import { checkPhysicsAvailable } from "../envs/physics.ts";
import { checkManifests, readProfileManifest } from "../experiments/artifacts.ts";
import { checkCost, checkMemory, verifyBudget } from "../training/budget.ts";
import { canonicalJson } from "../core/canonical_json.ts";
import { type ExperimentConfig, InputError } from "../training/config.ts";
import { expandProfile, PROFILES } from "../training/profiles.ts";
import { readStoredConfigs } from "../experiments/experiment_files.ts";
import { checkTaskModulesAllowed, prepareTaskModules } from "../sandbox/task_sandbox.ts";
import { THEORY_PROFILE } from "../theory/theory_artifacts.ts";
import { analysisSetup } from "../analysis/analysis_artifacts.ts";

/** The outcome of {@linkcode preflight}. */
export interface Preflight {
  /** The profile named by the directory's manifest. */
  readonly profile: string;
  /** The root digest its manifest records. */
  readonly root: string;
  /** Integrity problems, one line each; verify fails on the first and runs nothing. */
  readonly problems: string[];
  /** The stored configurations, sorted by id (empty when there are problems). */
  readonly configs: ExperimentConfig[];
  /**
   * How the configurations differ from the named built-in profile's own (empty: they are the
   * profile's, perhaps a subset or with more seeds); null when the name is not a built-in
   * training profile, so that there is nothing to compare with.
   */
  readonly profileDifferences: string[] | null;
}

/**
 * How `configs` differ from the built-in profile `name`'s own configurations, one line each
 * (empty when every one of them is the profile's, for its id); null when `name` is not a built-in
 * training profile.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandProfile, PROFILES } from "../training/profiles.ts";
 * import { profileDifferences } from "./preflight.ts";
 * const quick = expandProfile(PROFILES.quick);
 * assert.equal(profileDifferences(quick.slice(0, 3), "quick")?.length, 0, "subset");
 * const edited = [{ ...quick[0], iterations: 2 }];
 * const lines = profileDifferences(edited, "quick") ?? [];
 * assert.ok(lines[0]?.includes("iterations"), lines.join());
 * assert.equal(profileDifferences(quick, "custom"), null, "no profile to compare");
 * ```
 */
export function profileDifferences(
  configs: readonly ExperimentConfig[],
  name: string,
): string[] | null {
  if (!Object.hasOwn(PROFILES, name)) return null;
  const seeds = Math.max(0, ...configs.map((c) => c.seed + 1));
  const own = new Map(
    expandProfile(PROFILES[name], {
      seeds: Math.max(seeds, ...PROFILES[name].groups.map((g) => g.seeds)),
    }).map((c) => [c.id, c]),
  );
  const lines: string[] = [];
  for (const config of configs) {
    const expected = own.get(config.id);
    if (expected === undefined) {
      lines.push(`${config.id}: not an experiment of the ${name} profile`);
      continue;
    }
    if (canonicalJson(config) === canonicalJson(expected)) continue;
    const fields = Object.keys(expected).filter((k) =>
      canonicalJson(Reflect.get(config, k) ?? null) !==
        canonicalJson(Reflect.get(expected, k))
    );
    lines.push(`${config.id}/config.json: ${fields.join(", ")} differ from the ${name} profile's`);
  }
  return lines;
}

/**
 * Check the results directory `dir` before anything runs: its manifests and digests
 * (`problems`), its configurations (each valid and named by its directory), their conformance to
 * the named profile, and — unless `allowExpensive` — the estimated cost of each experiment that is
 * not the profile's own against verify's budget (src/training/budget.ts). Memory estimates over the limits and costs over the budget are
 * {@linkcode InputError}s naming the experiment and the field.
 */
export async function preflight(
  dir: string,
  options: { allowExpensive?: boolean } = {},
): Promise<Preflight> {
  let manifest;
  try {
    manifest = await readProfileManifest(dir);
  } catch (e) {
    throw new InputError(
      `dir: "${dir}" holds no readable profile manifest: ${(e as Error).message.split("\n")[0]}`,
    );
  }
  const { profile, root } = manifest;
  const problems = await checkManifests(dir);
  if (problems.length > 0) {
    return { profile, root, problems, configs: [], profileDifferences: null };
  }
  if (profile === THEORY_PROFILE || analysisSetup(profile) !== undefined) {
    return { profile, root, problems, configs: [], profileDifferences: null };
  }
  const configs = await readStoredConfigs(dir);
  // Code that is not the package's runs only when allowed (--allow-task-modules), and then only
  // in the task sandbox; a task module must still be the file it was pinned to.
  await checkTaskModulesAllowed(configs);
  await prepareTaskModules(configs);
  // An experiment replays on the physics engine it recorded: say so at once when it is missing.
  checkPhysicsAvailable(configs, `dir: ${dir}`);
  const differences = profileDifferences(configs, profile);
  // The profile's own experiments cost what docs/reproducing.md says; anything else is held to a budget.
  const custom = new Set(differences?.map((line) => line.split(/[/:]/)[0]) ?? []);
  const budget = verifyBudget();
  for (const config of configs) {
    checkMemory(config);
    const own = differences !== null && !custom.has(config.id);
    if (!own && !options.allowExpensive) checkCost(config, budget);
  }
  return { profile, root, problems, configs, profileDifferences: differences };
}
