/**
 * `deno task verify`: regenerate a profile's artefacts from their stored configurations and
 * compare them byte for byte with the committed ones.
 *
 * @module
 */
import { describeDifference } from "../src/artifacts.ts";
import {
  DEFAULT_WORKERS,
  parseOptions,
  progressHooks,
  runMain,
  workersOption,
} from "../src/cli.ts";
import { createThreads } from "../src/trainer.ts";
import { verifyProfile } from "../src/reproduce.ts";

const HELP = `Usage: deno task verify [options]

Regenerate every experiment of a results directory (training runs from their stored
config.json; the theory profile from its built-in problems), then compare every artefact byte for
byte (manifests and root digest included).

Options:
  --profile NAME   profile whose committed results to verify: quick, paper, theory (default: quick)
  --dir DIR        results directory to verify (default: results/PROFILE)
  --workers N      sampling threads and learner threads, N of each (default: the number of cores,
                   here ${DEFAULT_WORKERS})
  -h, --help       show this help

Exit codes: 0 every byte matches; 1 a difference (the first differing file is named, and for
metrics.csv the first differing iteration); 2 bad input.
`;

async function main(): Promise<number> {
  const o = parseOptions(Deno.args, {
    profile: { type: "string", default: "quick" },
    dir: { type: "string" },
    workers: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  const dir = (o.dir as string | undefined) ?? `results/${o.profile}`;
  const threads = createThreads(workersOption(o.workers as string | undefined));
  let result: Awaited<ReturnType<typeof verifyProfile>>;
  try {
    result = await verifyProfile(dir, `results/.verify-${Deno.pid}`, progressHooks(), threads);
  } finally {
    threads.close();
  }
  const { experiments, difference } = result;
  if (difference === null) {
    console.log(`verified: ${experiments} experiment(s) in ${dir} regenerate byte for byte`);
    return 0;
  }
  console.error(`MISMATCH in ${dir}: ${describeDifference(difference)}`);
  return 1;
}

if (import.meta.main) await runMain(main);
