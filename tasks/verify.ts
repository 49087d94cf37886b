/**
 * `deno task verify`: regenerate a profile's artefacts from their stored configurations and
 * compare them byte for byte with the committed ones, or spot-check them by replaying a random
 * sample of checkpoint intervals.
 *
 * @module
 */
import { describeDifference, readProfileManifest } from "../src/artifacts.ts";
import {
  DEFAULT_WORKERS,
  parseOptions,
  positiveInt,
  progressHooks,
  runMain,
  workersOption,
} from "../src/cli.ts";
import { InputError } from "../src/config.ts";
import { createThreads, type Threads } from "../src/trainer.ts";
import { verifyProfile } from "../src/reproduce.ts";
import { spotVerify } from "../src/spot_verify.ts";

/** Spot checks per profile under `--all`, unless `--spot` says otherwise. */
const ALL_SPOTS = 5;
/** Profiles that `--all` regenerates in full (minutes); every other one is spot-checked. */
const FULL_PROFILES = ["quick", "theory"];

const HELP = `Usage: deno task verify [options]

Regenerate every experiment of a results directory (training runs from their stored
config.json; the theory profile from its built-in problems), then compare every artefact byte for
byte (manifests and root digest included). With --spot, check instead every manifest and every
experiment's digest chain (cheap), then replay N checkpoint intervals drawn at random without
replacement from all experiments (each from its starting checkpoint to the next one) and the
final evaluation of N random experiments, comparing metrics rows and evaluation.json byte for
byte. The draw is printed with its seed; --spot-seed S replays it. A spot check proves that the
replayed intervals were computed by this code from their checkpoints and that every checkpoint
lies on its experiment's digest chain; an interval not drawn is not checked (with one wrong
interval among M, N draws find it with probability N/M; see the README).

Options:
  --profile NAME   profile whose committed results to verify: quick, paper, theory (default: quick)
  --dir DIR        results directory to verify (default: results/PROFILE)
  --spot N         spot-check N intervals and N evaluations instead of regenerating everything
  --spot-seed S    seed of the spot draw, an integer in [0, 2^32) (default: random, printed)
  --all            verify every results/NAME/ directory holding a manifest: ${
  FULL_PROFILES.join(" and ")
} in
                   full, every other one with --spot (N default ${ALL_SPOTS})
  --workers N      sampling threads and learner threads, N of each (default: the number of cores,
                   here ${DEFAULT_WORKERS})
  -h, --help       show this help

Exit codes: 0 every byte matches; 1 a difference (the first differing file is named, and for
metrics.csv the first differing iteration; with --spot, the experiment and the first differing
iteration, or the first manifest or digest-chain problem); 2 bad input.
`;

async function main(): Promise<number> {
  const o = parseOptions(Deno.args, {
    profile: { type: "string" },
    dir: { type: "string" },
    spot: { type: "string" },
    "spot-seed": { type: "string" },
    all: { type: "boolean" },
    workers: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  const spots = positiveInt("spot", o.spot as string | undefined);
  const seedText = o["spot-seed"] as string | undefined;
  if (seedText !== undefined && spots === undefined && !o.all) {
    throw new InputError("spot-seed: needs --spot N (or --all)");
  }
  const seed = seedText === undefined ? undefined : spotSeed(seedText);
  if (o.all && (o.profile !== undefined || o.dir !== undefined)) {
    throw new InputError("all: verifies every results/NAME/ directory; drop --profile and --dir");
  }
  const threads = createThreads(workersOption(o.workers as string | undefined));
  try {
    if (!o.all) {
      const dir = (o.dir as string | undefined) ?? `results/${o.profile ?? "quick"}`;
      return spots === undefined
        ? await verifyInFull(dir, threads)
        : await verifyBySpots(dir, spots, seed, threads);
    }
    const dirs = await profileDirectories("results");
    if (dirs.length === 0) throw new InputError("all: no results/NAME/ directory holds a manifest");
    for (const name of dirs) {
      const dir = `results/${name}`;
      const code = FULL_PROFILES.includes(name)
        ? await verifyInFull(dir, threads)
        : await verifyBySpots(dir, spots ?? ALL_SPOTS, seed, threads);
      if (code !== 0) return code;
    }
    return 0;
  } finally {
    threads.close();
  }
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

async function verifyInFull(dir: string, threads: Threads): Promise<number> {
  const hooks = progressHooks();
  let result: Awaited<ReturnType<typeof verifyProfile>>;
  try {
    result = await verifyProfile(dir, `results/.verify-${Deno.pid}`, hooks, threads);
  } finally {
    hooks.stop();
  }
  const { experiments, difference } = result;
  if (difference === null) {
    const { root } = await readProfileManifest(dir);
    console.log(
      `verified: ${experiments} experiment(s) in ${dir} regenerate byte for byte (root ${root})`,
    );
    return 0;
  }
  console.error(`MISMATCH in ${dir}: ${describeDifference(difference)}`);
  return 1;
}

async function verifyBySpots(
  dir: string,
  spots: number,
  seed: number | undefined,
  threads: Threads,
): Promise<number> {
  const drawSeed = seed ?? crypto.getRandomValues(new Uint32Array(1))[0];
  console.log(`spot check of ${dir}, seed ${drawSeed} (replay with --spot-seed ${drawSeed})`);
  const report = await spotVerify(dir, {
    spots,
    seed: drawSeed,
    threads,
    log: (line) => console.log(line),
  });
  const { failure, plan } = report;
  if (failure === null) {
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
