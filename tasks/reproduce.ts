/**
 * `deno task reproduce`: run a profile's experiments and write hashed artefacts.
 *
 * @module
 */
import { BACKENDS } from "../src/backend.ts";
import {
  backendOption,
  boundedInt,
  DEFAULT_WORKERS,
  ensureWritableDir,
  EXIT_INTERRUPTED,
  parseOptions,
  progressHooks,
  readJsonFile,
  runMain,
  stopOnSignals,
  workersOption,
} from "../src/cli.ts";
import { type ExperimentConfig, InputError } from "../src/config.ts";
import { profileDifferences } from "../src/preflight.ts";
import { checkWritablePath, resolvedPath } from "../src/safe_fs.ts";
import { createThreads } from "../src/trainer.ts";
import { expandProfile, getProfile, MAX_SEEDS, PROFILE_NAMES, PROFILES } from "../src/profiles.ts";
import { checkRunTargets, runExperiments, selectExperiments } from "../src/reproduce.ts";
import { SUMMARY_ID } from "../src/profile_summary.ts";

const HELP = `Usage: deno task reproduce [options]

Run a profile's meta-RL experiments and write one hashed artefact directory per experiment
(config.json, metrics.csv, evaluation.json, params.bin, checkpoint-*.bin, manifest.json) plus a
profile manifest with a root digest, then print a summary in the form of the paper's Tables 1
and 2.

Resume: rerunning an interrupted command (killed, powered off, or stopped by a signal) with the
same arguments keeps every finished experiment whose files check against its manifest and whose
config.json is the requested one, continues each unfinished experiment from its last complete
checkpoint (kept in OUT/.run-ID/ while it trains, every checkpointEvery iterations), removes
leftover OUT/.partial-* entries, and ends with the bytes of an uninterrupted run. The first
SIGINT (Ctrl-C) or SIGTERM finishes the current iteration, writes a checkpoint and exits with
code ${EXIT_INTERRUPTED}; a second one exits at once.

Options:
  --profile NAME   ${PROFILE_NAMES.join(" | ")} (default: quick)
${Object.values(PROFILES).map((p) => `                     ${p.name}: ${p.description}`).join("\n")}
  --only PATTERN   run only experiments whose id matches (substring, or * wildcards),
                   e.g. --only 'sgmrl-so-*'
  --out DIR        output directory (default: results/PROFILE); tasks may write only under results/
  --seeds N        number of seeds 0..N-1, at most ${MAX_SEEDS} (default: the profile's)
  --backend B      ${BACKENDS.join(" | ")} (default: wasm)
  --workers N      sampling threads and learner threads, N of each, taking turns (default: the
                   number of cores, here ${DEFAULT_WORKERS}); the artefacts are the same bytes for any N
  --config FILE    JSON object of configuration fields that override the profile's shared ones,
                   e.g. {"iterations": 50, "metaBatchSize": 10}; unknown keys are errors
  -h, --help       show this help

Exit codes: 0 done; 1 a run failed (for example a non-finite loss); 2 bad input (nothing
written); ${EXIT_INTERRUPTED} stopped by SIGINT or SIGTERM after checkpointing (rerun the same command to
resume; a batch scheduler may requeue on it).
`;

/** The task's entry point; returns its exit code. */
export async function main(): Promise<number> {
  const o = parseOptions(Deno.args, {
    profile: { type: "string", default: "quick" },
    only: { type: "string" },
    out: { type: "string" },
    seeds: { type: "string" },
    backend: { type: "string" },
    config: { type: "string" },
    workers: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  const profile = getProfile(o.profile as string);
  const overrides: Record<string, unknown> = o.config === undefined
    ? {}
    : await readOverrides(o.config as string);
  if (o.backend !== undefined) {
    overrides.backend = backendOption(o.backend as string);
  }
  const configs = selectExperiments(
    expandProfile(profile, {
      seeds: boundedInt("seeds", o.seeds as string | undefined, 1, MAX_SEEDS),
      overrides,
    }),
    o.only as string | undefined,
  );
  const workers = workersOption(o.workers as string | undefined);
  const out = (o.out as string | undefined) ?? `results/${profile.name}`;
  // Every check before the first write: nothing is written when one fails.
  await checkWritablePath("out", out);
  await checkProfileHome(out, profile.name, configs);
  await checkRunTargets(configs, out, profile.name);
  await ensureWritableDir("out", out);
  const signals = stopOnSignals();
  const hooks = { ...progressHooks(), shouldStop: signals.requested };
  const threads = createThreads(workers);
  let outcome: Awaited<ReturnType<typeof runExperiments>>;
  try {
    outcome = await runExperiments(configs, out, profile.name, hooks, threads);
  } finally {
    hooks.stop();
    threads.close();
    signals.dispose();
  }
  const { root, stopped, kept, written } = outcome;
  if (stopped) {
    const finished = kept.length + written.length;
    console.error(
      `stopped: ${finished} of ${configs.length} experiment(s) finished in ${out}; the state is checkpointed, run the same command to resume`,
    );
    return EXIT_INTERRUPTED;
  }
  const keptNote = kept.length > 0 ? ` (${kept.length} kept from an earlier run)` : "";
  console.log(`# ${profile.name}: ${configs.length} experiment(s) in ${out}${keptNote}`);
  console.log(`root digest ${root}\n`);
  const table = await Deno.readTextFile(`${out}/${SUMMARY_ID}/table.md`).catch(() => null);
  console.log(table ?? `(no ${SUMMARY_ID}/ in ${out}: see the warning above)`);
  return 0;
}

/**
 * `results/NAME` of a built-in profile holds that profile's own results: refuse to write another
 * profile there, or configurations that `--config` or `--backend` changed.
 */
async function checkProfileHome(
  out: string,
  profile: string,
  configs: readonly ExperimentConfig[],
): Promise<void> {
  const real = await resolvedPath(out);
  for (const name of PROFILE_NAMES) {
    if (real !== await resolvedPath(`results/${name}`)) continue;
    if (name !== profile) {
      throw new InputError(
        `out: "${out}" is the ${name} profile's directory; write the ${profile} profile's to results/${profile} or another --out`,
      );
    }
    const lines = profileDifferences(configs, name) ?? [];
    if (lines.length > 0) {
      throw new InputError(
        `out: "${out}" holds the ${name} profile's own results, and --config or --backend change them (${
          lines[0]
        }); write to another --out, such as results/${name}-custom`,
      );
    }
  }
}

async function readOverrides(path: string): Promise<Record<string, unknown>> {
  const value = await readJsonFile("config", path);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(`config: "${path}" must hold a JSON object of configuration fields`);
  }
  return value as Record<string, unknown>;
}

if (import.meta.main) await runMain(main);
