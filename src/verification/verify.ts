/**
 * Full verification of a results directory: check it before running anything (src/verification/preflight.ts),
 * then regenerate every experiment from its stored configuration (the theory profile from its
 * built-in problems, the analysis profile from the paper run's checkpoints) and compare every
 * artefact byte for byte.
 *
 * @module
 */
import { readProfileManifest } from "../experiments/artifacts.ts";
import { compareProfiles, type Difference } from "../experiments/compare.ts";
import { useBackend } from "../kernels/backend.ts";
import { type Preflight, preflight } from "./preflight.ts";
import { runExperiments, type RunHooks } from "../experiments/reproduce.ts";
import { THEORY_PROFILE, writeTheoryArtifacts } from "../theory/theory_artifacts.ts";
import { analysisSetup, writeAnalysisArtifacts } from "../analysis/analysis_artifacts.ts";
import { localSampler } from "../threads/parallel_sampler.ts";
import { localLearner } from "../threads/parallel_learner.ts";
import type { Threads } from "../training/trainer.ts";
import { InputError } from "../core/errors.ts";

/**
 * The outcome of {@linkcode verifyProfile}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verifyProfile, type VerifyOutcome } from "./verify.ts";
 * import { runExperiments } from "../experiments/reproduce.ts";
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
 *   await runExperiments(configs, `${dir}/theirs`, "compare");
 *   // An evaluation edited by hand: the preflight finds it before anything runs.
 *   const file = `${dir}/theirs/${configs[0].id}/evaluation.json`;
 *   await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replace(/\d,/, "0,"));
 *   const outcome: VerifyOutcome = await verifyProfile(`${dir}/theirs`, `${dir}/scratch`);
 *   assert.equal(outcome.experiments, 0, "a changed file is a problem, and nothing ran");
 *   assert.notEqual(
 *     outcome.preflight.problems.length,
 *     0,
 *     "a changed file is a problem, and nothing ran",
 *   );
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface VerifyOutcome {
  /** What was checked before anything ran; nothing ran when it has problems. */
  readonly preflight: Preflight;
  /** Experiments regenerated. */
  readonly experiments: number;
  /** The first difference, or null when every byte matches (or nothing ran). */
  readonly difference: Difference | null;
}

/**
 * Check the profile directory `dir` ({@linkcode preflight}); when it has no problem, regenerate
 * every experiment into `scratch` (removed afterwards) and compare all artefacts byte for byte.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verifyProfile } from "./verify.ts";
 * import { runExperiments } from "../experiments/reproduce.ts";
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
 *   await runExperiments(configs, `${dir}/theirs`, "compare");
 *   // Regenerate every experiment into a scratch directory and compare every byte.
 *   const outcome = await verifyProfile(`${dir}/theirs`, `${dir}/scratch`);
 *   assert.equal(outcome.experiments, 2, "verified");
 *   assert.equal(outcome.difference, null, "verified");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function verifyProfile(
  dir: string,
  scratch: string,
  hooks: RunHooks = {},
  threads: Threads = {},
  options: { allowExpensive?: boolean } = {},
): Promise<VerifyOutcome> {
  const checked = await preflight(dir, options);
  if (checked.problems.length > 0) {
    return { preflight: checked, experiments: 0, difference: null };
  }
  await Deno.mkdir(scratch, { recursive: true });
  for await (const entry of Deno.readDir(scratch)) {
    throw new InputError(
      `scratch: "${scratch}" must be a new, empty directory (it holds ${entry.name}); verify never reuses what it finds there`,
    );
  }
  try {
    let experiments: number;
    if (checked.profile === THEORY_PROFILE) {
      await useBackend("wasm");
      await writeTheoryArtifacts(scratch);
      experiments = Object.keys((await readProfileManifest(scratch)).experiments).length;
    } else if (analysisSetup(checked.profile) !== undefined) {
      const sampler = threads.sampler ?? localSampler();
      const learner = threads.learner ?? localLearner();
      try {
        await writeAnalysisArtifacts(scratch, {
          threads: { sampler, learner },
          setup: analysisSetup(checked.profile),
        });
      } finally {
        if (threads.sampler === undefined) sampler.close();
        if (threads.learner === undefined) learner.close();
      }
      experiments = Object.keys((await readProfileManifest(scratch)).experiments).length;
    } else {
      await runExperiments(checked.configs, scratch, checked.profile, hooks, threads);
      experiments = checked.configs.length;
    }
    return { preflight: checked, experiments, difference: await compareProfiles(dir, scratch) };
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}
