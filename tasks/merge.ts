/**
 * `deno task merge`: rebuild and check a results directory that the shards of a grid wrote into.
 *
 * @module
 */
import { checkOutputLabel, profileLabel } from "../src/experiments/artifacts.ts";
import {
  GRID_OPTIONS,
  HELP_OPTION,
  optionsHelp,
  type OptionTable,
  parseOptionTable,
  runMain,
  selectGrid,
} from "../src/cli.ts";
import { InputError } from "../src/training/config.ts";
import { mergeShards } from "../src/experiments/merge.ts";
import { SUMMARY_ID } from "../src/experiments/profile_summary.ts";
import { PROFILE_NAMES } from "../src/training/profiles.ts";
import { checkWritablePath } from "../src/core/safe_fs.ts";

const OPTIONS = {
  dir: {
    type: "string",
    value: "DIR",
    help: "the results directory the shards wrote into (required)",
  },
  profile: {
    type: "string",
    value: "NAME",
    help: `${PROFILE_NAMES.join(" | ")} (default: the profile DIR's manifest names)`,
  },
  ...GRID_OPTIONS,
  ...HELP_OPTION,
} as const satisfies OptionTable;

const HELP = `Usage: deno task merge --dir DIR [grid options of the sharded run]

Rebuild DIR's profile manifest and summary from the experiment directories present, after the
shards of deno task reproduce --shard I/N have written into it; check every experiment's files
against its manifest, and check that every experiment of the grid (the same options as the
shards', which select the same grid) is finished and is the configuration asked for. Prints the
root digest: with a complete grid it is the root digest of one unsharded run. Leftovers of
interrupted writes are removed, except those of experiments a shard may still be finishing; it
is safe to run while shards are running (they are then reported as unfinished).

Options:
${optionsHelp(OPTIONS)}

Exit codes: 0 every experiment of the grid is finished and every file checks; 1 experiments
missing or unfinished (rerun their shards; a rerun resumes them), or a file that does not check;
2 bad input.
`;

/** The task's entry point; returns its exit code. */
export async function main(): Promise<number> {
  const o = parseOptionTable(Deno.args, OPTIONS);
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  const dir = o.dir;
  if (dir === undefined) {
    throw new InputError("dir: required (the directory the shards wrote into)");
  }
  await checkWritablePath("dir", dir);
  if (!(await Deno.stat(dir).then((i) => i.isDirectory, () => false))) {
    throw new InputError(`dir: "${dir}" is not a directory`);
  }
  const label = await profileLabel(dir);
  if (label === null && o.profile === undefined) {
    throw new InputError(
      `profile: "${dir}" has no profile manifest to name its profile; give --profile NAME`,
    );
  }
  const { profile, configs } = await selectGrid(o, label ?? "quick");
  await checkOutputLabel("dir", dir, profile.name);
  const merged = await mergeShards(
    dir,
    profile.name,
    configs,
    (m) => console.error(`warning: ${m}`),
  );
  const present = Object.keys(merged.experiments).filter((id) => id !== SUMMARY_ID).length;
  console.log(`# ${profile.name}: ${present} experiment(s) in ${dir}`);
  for (const p of merged.problems) console.log(`problem: ${p}`);
  for (const id of merged.unfinished) {
    console.log(`unfinished: ${id} (its shard is running, or was stopped: rerun it to resume)`);
  }
  const ok = merged.problems.length === 0 && merged.missing.length === 0;
  if (merged.missing.length > 0) {
    const shown = merged.missing.slice(0, 10).join(", ");
    const more = merged.missing.length > 10 ? `, and ${merged.missing.length - 10} more` : "";
    console.log(
      `partial: ${merged.missing.length} of the ${configs.length} experiments of the grid are not finished in ${dir}: ${shown}${more}`,
    );
  } else {
    console.log(`complete: all ${configs.length} experiments of the grid are finished in ${dir}`);
  }
  console.log(`root digest ${merged.root}${ok ? "" : " (of what is present)"}`);
  if (ok) {
    const table = await Deno.readTextFile(`${dir}/${SUMMARY_ID}/table.md`).catch(() => null);
    if (table !== null) console.log(`\n${table}`);
  }
  return ok ? 0 : 1;
}

if (import.meta.main) await runMain(main);
