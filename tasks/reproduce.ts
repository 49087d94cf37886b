/**
 * `deno task reproduce`: run a profile's experiments and write hashed artefacts.
 *
 * @module
 */
import {
  applySandboxOptions,
  ensureWritableDir,
  EXIT_INTERRUPTED,
  GRID_OPTIONS,
  HELP_OPTION,
  optionsHelp,
  type OptionTable,
  parseOptionTable,
  progressHooks,
  runMain,
  SANDBOX_OPTIONS,
  selectGrid,
  stopOnSignals,
  WORKERS_OPTION,
  workersOption,
} from "../src/cli.ts";
import { type ExperimentConfig, InputError } from "../src/training/config.ts";
import { profileDifferences } from "../src/verification/preflight.ts";
import { checkWritablePath, resolvedPath } from "../src/core/safe_fs.ts";
import { createThreads } from "../src/training/trainer.ts";
import { checkBackendAvailable } from "../src/kernels/backend.ts";
import { checkPhysicsAvailable } from "../src/envs/physics.ts";
import { PROFILE_NAMES, PROFILES } from "../src/training/profiles.ts";
import {
  checkRunTargets,
  runExperiments,
  unfinishedExperiments,
} from "../src/experiments/reproduce.ts";
import { compareWithCommitted, describeComparison } from "../src/experiments/committed.ts";
import { SUMMARY_ID } from "../src/experiments/profile_summary.ts";
import { parseShard, selectShard, shardCost } from "../src/experiments/shards.ts";

const OPTIONS = {
  profile: {
    type: "string",
    value: "NAME",
    help: `${PROFILE_NAMES.join(" | ")} (default: quick)\n${
      Object.values(PROFILES).map((p) => `  ${p.name}: ${p.description}`).join("\n")
    }`,
  },
  ...GRID_OPTIONS,
  ...SANDBOX_OPTIONS,
  shard: {
    type: "string",
    value: "I/N",
    help:
      "run only the I-th of N parts of the selected grid (1 <= I <= N): shards balanced by estimated cost, stable when seeds are added; shards running at once into one --out (on one machine or several sharing a file system) add up to the bytes of one run; each prints its experiments' digests and says whether the grid is complete (then deno task merge --dir OUT checks it all)",
  },
  list: {
    type: "boolean",
    help:
      "check everything as for a run, then print the ids it would run (with the shard), each with the relative cost estimate that balances shards, and exit without writing anything",
  },
  out: {
    type: "string",
    value: "DIR",
    help:
      "output directory (default: results/runs/PROFILE, and at the end every experiment is compared with the committed results/PROFILE: exit 1 when one of the same configuration differs); tasks may write only under results/",
  },
  ...WORKERS_OPTION,
  ...HELP_OPTION,
} as const satisfies OptionTable;

const HELP = `Usage: deno task reproduce [options]

Run a profile's meta-RL experiments and write one hashed artefact directory per experiment
(config.json, metrics.csv, evaluation.json, params.bin, checkpoint-*.bin, manifest.json) plus a
profile manifest with a root digest, then print a summary in the form of the paper's Tables 1
and 2.

Resume: rerunning an interrupted command (killed, powered off, or stopped by a signal) with the
same arguments keeps every finished experiment whose files check against its manifest and whose
config.json is the requested one, continues each unfinished experiment from its last complete
checkpoint (kept in OUT/.run-ID/ while it trains, every checkpointEvery iterations), removes
its experiments' leftover OUT/.partial-* entries, and ends with the bytes of an uninterrupted run. The first
SIGINT (Ctrl-C) or SIGTERM finishes the current iteration, writes a checkpoint and exits with
code ${EXIT_INTERRUPTED}; a second one, a second or more later, exits at once (a repeat within a
second is taken as the same request, as batch schedulers deliver a stop to every process).

Options:
${optionsHelp(OPTIONS)}

Exit codes: 0 done; 1 a run failed (for example a non-finite loss), or without --out an
experiment differs from the committed one of its configuration; 2 bad input (nothing
written); ${EXIT_INTERRUPTED} stopped by SIGINT or SIGTERM after checkpointing (rerun the same command to
resume; a batch scheduler may requeue on it).
`;

/** The task's entry point; returns its exit code. */
export async function main(): Promise<number> {
  const o = parseOptionTable(Deno.args, OPTIONS);
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  applySandboxOptions(o);
  const { profile, configs: grid } = await selectGrid(o, "quick");
  const shard = o.shard === undefined ? null : parseShard(o.shard);
  const configs = shard === null ? grid : selectShard(grid, shard);
  const workers = workersOption(o.workers);
  // Without --out a run is the user's own, beside the committed results it is compared with.
  const ownRun = o.out === undefined;
  const out = o.out ?? `results/runs/${profile.name}`;
  // Every check before the first write: nothing is written when one fails.
  await checkWritablePath("out", out);
  await checkProfileHome(out, profile.name, grid);
  await checkRunTargets(configs, out, profile.name);
  for (const backend of new Set(configs.map((c) => c.backend))) {
    await checkBackendAvailable(backend);
  }
  checkPhysicsAvailable(configs, "physics");
  if (o.list) {
    for (const c of configs) console.log(`${c.id}\t${(shardCost(c) / 1e9).toFixed(1)}`);
    return 0;
  }
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
  const { root, stopped, kept, written, experiments } = outcome;
  const part = shard === null ? "" : ` shard ${shard.index}/${shard.count}:`;
  if (stopped) {
    const finished = kept.length + written.length;
    console.error(
      `stopped:${part} ${finished} of ${configs.length} experiment(s) finished in ${out}; the state is checkpointed, run the same command to resume`,
    );
    return EXIT_INTERRUPTED;
  }
  const keptNote = kept.length > 0 ? ` (${kept.length} kept from an earlier run)` : "";
  if (shard !== null) {
    console.log(
      `# ${profile.name}${part} ${configs.length} of the ${grid.length} experiment(s) in ${out}${keptNote}`,
    );
    for (const c of configs) console.log(`${experiments[c.id]}  ${c.id}`);
    const missing = await unfinishedExperiments(out, grid);
    if (missing.length > 0) {
      console.log(
        `\npartial: ${
          grid.length - missing.length
        } of the ${grid.length} experiments of the grid are finished in ${out} (the other shards' are still running or have not started); root digest ${root} covers only those. When every shard has finished, run deno task merge --dir ${out} with this command's grid options.`,
      );
      return 0;
    }
    console.log(`\ncomplete: every experiment of the grid is in ${out}`);
  } else {
    console.log(`# ${profile.name}: ${configs.length} experiment(s) in ${out}${keptNote}`);
  }
  console.log(`root digest ${root}\n`);
  const table = await Deno.readTextFile(`${out}/${SUMMARY_ID}/table.md`).catch(() => null);
  console.log(table ?? `(no ${SUMMARY_ID}/ in ${out}: see the warning above)`);
  const committed = `results/${profile.name}`;
  if (!ownRun || shard !== null || !(await isFile(`${committed}/manifest.json`))) return 0;
  const comparison = await compareWithCommitted(committed, out, configs.map((c) => c.id));
  for (const line of describeComparison(committed, out, comparison)) console.log(line);
  return comparison.differ.length > 0 ? 1 : 0;
}

async function isFile(path: string): Promise<boolean> {
  return await Deno.lstat(path).then((i) => i.isFile, () => false);
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

if (import.meta.main) await runMain(main);
