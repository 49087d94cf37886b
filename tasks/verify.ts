/**
 * `deno task verify`: regenerate a profile's artefacts from their stored configurations and
 * compare them byte for byte with the committed ones, or spot-check them by replaying a random
 * sample of checkpoint intervals.
 *
 * @module
 */
import { readProfileManifest } from "../src/experiments/artifacts.ts";
import { describeDifference } from "../src/experiments/compare.ts";
import { checkReadablePath } from "../src/core/safe_fs.ts";
import {
  applySandboxOptions,
  HELP_OPTION,
  optionsHelp,
  type OptionTable,
  parseOptionTable,
  positiveInt,
  progressHooks,
  runMain,
  SANDBOX_OPTIONS,
  WORKERS_OPTION,
  workersOption,
} from "../src/cli.ts";
import { InputError } from "../src/training/config.ts";
import { createThreads, type Threads } from "../src/training/trainer.ts";
import { verifyProfile } from "../src/verification/verify.ts";
import { createScratch } from "../src/verification/scratch.ts";
import { readStoredConfigs } from "../src/experiments/experiment_files.ts";
import { checkTaskModulesAllowed } from "../src/sandbox/task_sandbox.ts";
import { spotPlan, spotVerify } from "../src/verification/spot_verify.ts";
import { paperIntervalCost, type ReplayCost } from "../src/training/budget.ts";
import { analysisSetup, spotVerifyAnalysis } from "../src/analysis/analysis_artifacts.ts";

/**
 * Replays under `--all` without `--spot`: one interval and one final evaluation, in one of the
 * spot-checked profiles, drawn (successive runs cover different profiles and intervals).
 */
const ALL_SPOTS = 1;
/**
 * Under `--all` without `--spot`, what is drawn costs at most this many intervals of the paper's
 * 2D-navigation experiment (enough for ζ ≤ 3 on 2D navigation; a published-protocol interval,
 * whose 80-round validations cost many times more, is checked for integrity only), so that the
 * whole check stays within minutes.
 */
const ALL_COST_CAP = 2;
/** Profiles that `--all` regenerates in full (minutes); every other one is spot-checked. */
const FULL_PROFILES = ["quick", "theory"];

const OPTIONS = {
  profile: {
    type: "string",
    value: "NAME",
    help:
      "profile whose results to verify: quick, paper, multistep, published, ablation, compare, theory, analysis, analysis-tanh (default: quick)",
  },
  dir: {
    type: "string",
    value: "DIR",
    help: "results directory to verify (default: results/PROFILE)",
  },
  spot: {
    type: "string",
    value: "N",
    help: "spot-check N intervals and N evaluations instead of regenerating everything",
  },
  "spot-seed": {
    type: "string",
    value: "S",
    help: "seed of the spot draw, an integer in [0, 2^32) (default: random, printed)",
  },
  only: {
    type: "string",
    value: "PATTERN",
    help:
      "with --spot: draw only from the experiments whose id matches (substring, or * wildcards, as reproduce's), e.g. a run just added, --only 'half-cheetah-dir-*-s0'; every experiment is still checked for integrity",
  },
  all: {
    type: "boolean",
    help: `verify every results/NAME/ directory holding a manifest: ${
      FULL_PROFILES.join(" and ")
    } in full; of the others, every manifest and digest chain, and one of them, drawn, replays ${ALL_SPOTS} interval and ${ALL_SPOTS} final evaluation, each costing at most ${ALL_COST_CAP} intervals of the paper's 2D-navigation experiment (with --spot N: N in each, whatever they cost); a directory named after a built-in profile must hold that profile's own configurations`,
  },

  "allow-expensive": {
    type: "boolean",
    help:
      "also run experiments that are not a built-in profile's own and cost more than the paper's 2D-navigation experiment (iterations, environment steps or learner work; refused by default: a directory's config.json decides what runs)",
  },
  ...SANDBOX_OPTIONS,
  ...WORKERS_OPTION,
  ...HELP_OPTION,
} as const satisfies OptionTable;

const HELP = `Usage: deno task verify [options]

Regenerate every experiment of a results directory (training runs from their stored
config.json; the theory profile from its built-in problems), then compare every artefact byte for
byte (manifests and root digest included). With --spot, check instead every manifest and every
experiment's digest chain (cheap), then replay N checkpoint intervals drawn at random without
replacement from all experiments, or those --only selects (each from its starting checkpoint to
the next one), and the final evaluation of N random ones of them, comparing metrics rows and
evaluation.json byte for byte. The draw is printed with its seed; --spot-seed S replays it. A
spot check proves that the replayed intervals were computed by this code from their checkpoints
and that every checkpoint lies on its experiment's digest chain; an interval not drawn is not
checked (with one wrong interval among M, N draws find it with probability N/M; see
docs/verification.md).

Options:
${optionsHelp(OPTIONS)}

Before running anything, verify checks every manifest and digest, refuses symbolic links,
devices and files nobody listed, validates every config.json, compares the configurations with
the named profile's own (a directory whose configurations differ is reported as a custom
directory), and refuses an experiment whose estimated memory is over the limits, or that is not
the profile's own and costs more than the paper's 2D-navigation experiment (unless
--allow-expensive). It prints the root digest it verified.

Exit codes: 0 every byte matches; 1 a difference (the first differing file is named, and for
metrics.csv the first differing iteration; with --spot, the experiment and the first differing
iteration), or a manifest, digest or digest-chain problem found before running anything; 2 bad
input (an unreadable directory, an invalid config.json, an experiment over the memory limits or
the cost budget).
`;

async function main(): Promise<number> {
  const o = parseOptionTable(Deno.args, OPTIONS);
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  applySandboxOptions(o);
  const spots = positiveInt("spot", o.spot);
  const seedText = o["spot-seed"];
  if (seedText !== undefined && spots === undefined && !o.all) {
    throw new InputError("spot-seed: needs --spot N (or --all)");
  }
  const seed = seedText === undefined ? undefined : spotSeed(seedText);
  if (o.only !== undefined && (spots === undefined || o.all)) {
    throw new InputError("only: needs --spot N, on one directory (not --all)");
  }
  if (o.all && (o.profile !== undefined || o.dir !== undefined)) {
    throw new InputError("all: verifies every results/NAME/ directory; drop --profile and --dir");
  }
  const allowExpensive = o["allow-expensive"] === true;
  const workers = workersOption(o.workers);
  const targets: { dir: string; spots?: number; maxCost?: ReplayCost; strict: boolean }[] = [];
  let announce: string | undefined;
  if (!o.all) {
    const dir = o.dir ?? `results/${o.profile ?? "quick"}`;
    targets.push({ dir, spots, strict: false });
  } else {
    const names = await profileDirectories("results");
    if (names.length === 0) {
      throw new InputError("all: no results/NAME/ directory holds a manifest");
    }
    // Without --spot, one spot-checked profile (drawn) replays an interval and an evaluation; the
    // others have every manifest and digest chain checked, so that the cost stays one interval
    // however many profiles are committed and however costly their intervals are.
    const spotted = names.filter((name) => !FULL_PROFILES.includes(name));
    // The draw is among the profiles with something within the cost cap to replay.
    const unit = paperIntervalCost();
    const cap = spots === undefined
      ? {
        environmentSteps: ALL_COST_CAP * unit.environmentSteps,
        learnerWork: ALL_COST_CAP * unit.learnerWork,
      }
      : undefined;
    const candidates = [];
    for (const name of spotted) {
      if (cap === undefined || await hasReplayWithin(`results/${name}`, cap)) candidates.push(name);
    }
    const drawn = spots === undefined && candidates.length > 0
      ? candidates[(seed ?? crypto.getRandomValues(new Uint32Array(1))[0]) % candidates.length]
      : undefined;
    if (drawn !== undefined) {
      announce =
        `--all: results/${drawn} replays ${ALL_SPOTS} interval and ${ALL_SPOTS} evaluation, drawn among those costing at most ${ALL_COST_CAP} intervals of the paper's 2D-navigation experiment; ${
          spotted.filter((n) => n !== drawn).map((n) => `results/${n}`).join(", ") || "no other"
        } integrity only (--spot N replays N in each, whatever they cost)`;
    }
    for (const name of names) {
      targets.push({
        dir: `results/${name}`,
        spots: FULL_PROFILES.includes(name) ? undefined : spots ?? (name === drawn ? ALL_SPOTS : 0),
        maxCost: name === drawn ? cap : undefined,
        strict: true,
      });
    }
  }
  for (const { dir } of targets) await checkReadablePath("dir", dir);
  // Before anything runs: every task module that is not the package's, in every target, is
  // listed and refused unless --allow-task-modules (a target whose configurations cannot be read
  // is reported by its own check below).
  if (o["allow-task-modules"] !== true) {
    const named = [];
    for (const { dir } of targets) {
      const configs = await readStoredConfigs(dir).catch(() => []);
      named.push(...configs.map((c) => ({ id: `${dir}/${c.id}`, env: c.env })));
    }
    await checkTaskModulesAllowed(named);
  }
  if (announce !== undefined) console.log(announce);
  const threads = createThreads(workers);
  try {
    for (const { dir, spots, maxCost, strict } of targets) {
      const options = { threads, allowExpensive, strict, maxCost, only: o.only };
      const code = spots === undefined
        ? await verifyInFull(dir, options)
        : await verifyBySpots(dir, spots, seed, options);
      if (code !== 0) return code;
    }
    return 0;
  } finally {
    threads.close();
  }
}

interface VerifyOptions {
  readonly threads: Required<Threads>;
  readonly allowExpensive: boolean;
  /** Spot checks draw only what costs at most this. */
  readonly maxCost?: ReplayCost;
  /** A directory named after a built-in profile must hold its configurations (`--all`). */
  readonly strict: boolean;
  /** Spot checks draw only from the experiments whose id matches this (`--only`). */
  readonly only?: string;
}

/**
 * Say how a directory's configurations relate to its profile's; 1 when `strict` and they differ
 * from the built-in profile it is named after, else 0.
 */
function reportProfile(
  dir: string,
  profile: string,
  differences: string[] | null,
  strict: boolean,
): number {
  const name = dir.split("/").filter((p) => p !== "").at(-1);
  if (differences === null) {
    if (profile !== "theory" && analysisSetup(profile) === undefined) {
      console.log(`NOTE: ${dir} is a custom directory (profile "${profile}" is not built in)`);
    }
    return 0;
  }
  if (differences.length === 0) return 0;
  const more = differences.length > 1 ? ` (and ${differences.length - 1} more)` : "";
  if (strict && name === profile) {
    console.error(
      `MISMATCH in ${dir}: not the ${profile} profile's configurations: ${differences[0]}${more}`,
    );
    return 1;
  }
  console.log(
    `NOTE: ${dir} is labelled "${profile}" but is a CUSTOM directory, not the ${profile} profile: ${
      differences[0]
    }${more}; verifying it against its own configurations`,
  );
  return 0;
}

function spotSeed(text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n > 0xffffffff) {
    throw new InputError(`spot-seed must be an integer in [0, 4294967295], got "${text}"`);
  }
  return n;
}

/** Names of the directories under `root` that hold a profile manifest, sorted. */
async function profileDirectories(root: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(root)) {
    if (!entry.isDirectory || entry.name.startsWith(".")) continue;
    try {
      await readProfileManifest(`${root}/${entry.name}`);
      names.push(entry.name);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return names.sort();
}

async function verifyInFull(dir: string, options: VerifyOptions): Promise<number> {
  const hooks = progressHooks();
  let result: Awaited<ReturnType<typeof verifyProfile>>;
  // A fresh, unpredictable regeneration directory, removed on exit and on SIGINT / SIGTERM.
  const scratch = await createScratch("results");
  const onSignal = (signal: "SIGINT" | "SIGTERM") => () => {
    scratch.disposeSync();
    Deno.exit(signal === "SIGINT" ? 130 : 143);
  };
  const handlers = (["SIGINT", "SIGTERM"] as const).map((s) => [s, onSignal(s)] as const);
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  try {
    result = await verifyProfile(dir, scratch.path, hooks, options.threads, {
      allowExpensive: options.allowExpensive,
    });
  } finally {
    hooks.stop();
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    await scratch.dispose();
  }
  const { experiments, difference, preflight } = result;
  if (preflight.problems.length > 0) {
    const n = preflight.problems.length;
    console.error(
      `MISMATCH in ${dir}: ${preflight.problems[0]}${
        n > 1 ? ` (and ${n - 1} more problem(s))` : ""
      }; nothing was run`,
    );
    return 1;
  }
  const profile = reportProfile(
    dir,
    preflight.profile,
    preflight.profileDifferences,
    options.strict,
  );
  if (difference === null && profile === 0) {
    console.log(
      `verified: ${experiments} experiment(s) in ${dir} regenerate byte for byte (root ${preflight.root})`,
    );
    return 0;
  }
  if (difference !== null) console.error(`MISMATCH in ${dir}: ${describeDifference(difference)}`);
  return 1;
}

/**
 * Whether results directory `dir` has a checkpoint interval or a final evaluation within `cap`
 * (an estimator-analysis directory always does; one whose configurations cannot be read does too,
 * so that its own check reports why).
 */
async function hasReplayWithin(dir: string, cap: ReplayCost): Promise<boolean> {
  try {
    if (analysisSetup((await readProfileManifest(dir)).profile) !== undefined) return true;
    const configs = await readStoredConfigs(dir);
    const plan = spotPlan(configs, 1, 0, cap);
    return plan.intervals.length + plan.evaluations.length > 0;
  } catch {
    return true;
  }
}

async function verifyBySpots(
  dir: string,
  spots: number,
  seed: number | undefined,
  options: VerifyOptions,
): Promise<number> {
  const drawSeed = seed ?? crypto.getRandomValues(new Uint32Array(1))[0];
  const analysis = analysisSetup((await readProfileManifest(dir)).profile);
  if (analysis !== undefined && options.only !== undefined) {
    throw new InputError(
      `only: ${dir} is an estimator analysis, whose spot check draws meta-batches, not experiments`,
    );
  }
  console.log(`spot check of ${dir}, seed ${drawSeed} (replay with --spot-seed ${drawSeed})`);
  if (analysis !== undefined) {
    const report = await spotVerifyAnalysis(dir, {
      spots,
      seed: drawSeed,
      threads: options.threads,
      setup: analysis,
      log: (line) => console.log(line),
    });
    if (report.failure !== null) {
      console.error(`MISMATCH in ${dir} (spot seed ${drawSeed}): ${report.failure}`);
      return 1;
    }
    console.log(
      `spot-verified: ${dir} (root ${report.root}): every manifest, record and statistic checks; ${report.replayed.length} of ${report.total} meta-batch(es) replay byte for byte`,
    );
    return 0;
  }
  const report = await spotVerify(dir, {
    spots,
    seed: drawSeed,
    threads: options.threads,
    allowExpensive: options.allowExpensive,
    maxCost: options.maxCost,
    only: options.only,
    log: (line) => console.log(line),
  });
  const { failure, plan } = report;
  if (failure === null) {
    const profile = reportProfile(dir, report.profile, report.profileDifferences, options.strict);
    if (profile !== 0) return profile;
    console.log(
      `spot-verified: ${dir} (root ${report.root}): every manifest and digest chain checks; ${plan.intervals.length} of ${plan.totalIntervals} interval(s) and ${plan.evaluations.length} of ${plan.totalExperiments} evaluation(s) replay byte for byte`,
    );
    return 0;
  }
  const where = failure.experiment === ""
    ? ""
    : `experiment ${failure.experiment}${
      failure.iteration === undefined ? "" : `, iteration ${failure.iteration}`
    }: `;
  console.error(`MISMATCH in ${dir} (spot seed ${drawSeed}): ${where}${failure.detail}`);
  return 1;
}

if (import.meta.main) await runMain(main);
