/**
 * `deno task analyse`: the meta-gradient estimators compared at fixed parameters at full scale.
 *
 * @module
 */
import {
  ANALYSIS_BATCHES,
  ANALYSIS_POINTS,
  ANALYSIS_SOURCE,
  ANALYSIS_TANH_SOURCE,
  type AnalysisSetup,
  paperSetup,
  tanhSetup,
  writeAnalysisArtifacts,
} from "../src/analysis/analysis_artifacts.ts";
import { InputError } from "../src/training/config.ts";
import { ANALYSIS_ESTIMATORS } from "../src/analysis/analysis.ts";
import { checkOutputLabel } from "../src/experiments/artifacts.ts";
import {
  boundedInt,
  ensureWritableDir,
  HELP_OPTION,
  optionsHelp,
  type OptionTable,
  parseOptionTable,
  runMain,
  WORKERS_OPTION,
  workersOption,
} from "../src/cli.ts";
import { checkWritablePath } from "../src/core/safe_fs.ts";
import { createThreads } from "../src/training/trainer.ts";

/** The built-in setups by `--setup` name. */
const SETUPS: Record<string, () => AnalysisSetup> = { relu: paperSetup, tanh: tanhSetup };

const OPTIONS = {
  setup: {
    type: "string",
    value: "S",
    help:
      `relu (default): the points of ${ANALYSIS_SOURCE} from results/paper, written as profile analysis; tanh: those of ${ANALYSIS_TANH_SOURCE} from results/ablation (the same run with the tanh policy), written as profile analysis-tanh`,
  },
  batches: {
    type: "string",
    value: "K",
    help: `meta-batches per point, 2 to 1000 (default ${ANALYSIS_BATCHES})`,
  },
  out: {
    type: "string",
    value: "DIR",
    help: "output directory (default: results/PROFILE: results/analysis or results/analysis-tanh)",
  },
  ...WORKERS_OPTION,
  ...HELP_OPTION,
} as const satisfies OptionTable;

const HELP = `Usage: deno task analyse [options]

Compare the meta-gradient estimators at fixed parameters at the paper's 2D-navigation scale: at
each point (${
  ANALYSIS_POINTS.map((p) => p.id).join(", ")
}: the initial parameters of ${ANALYSIS_SOURCE}
and its checkpoints after ${
  ANALYSIS_POINTS.filter((p) => p.iteration > 0).map((p) => p.iteration).join(" and ")
} iterations, read from results/paper; with --setup tanh, the same points of ${ANALYSIS_TANH_SOURCE}
from results/ablation), draw K independent meta-batches as training does and
compute every estimator on the same batches (${ANALYSIS_ESTIMATORS.join(", ")}). Reports per
estimator the norm of its mean, the trace of its covariance, the signal-to-noise ratio, the cosine
between its mean and the unbiased second-order SG-MRL's (95% interval by the delta method), and the
size of SG-MRL's score term against the policy-gradient term. Writes hashed artefacts to --out
(verified by deno task verify --profile analysis or analysis-tanh, in full or with --spot).

Options:
${optionsHelp(OPTIONS)}

Exit codes: 0 done; 1 a failure while computing; 2 bad input (for example results/paper, or
results/ablation for --setup tanh, lacks the source run's checkpoints).
`;

async function main(): Promise<number> {
  const o = parseOptionTable(Deno.args, OPTIONS);
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  const batches = boundedInt("batches", o.batches, 2, 1000);
  const name = o.setup ?? "relu";
  if (!Object.hasOwn(SETUPS, name)) {
    throw new InputError(`setup must be one of ${Object.keys(SETUPS).join(", ")}, got "${name}"`);
  }
  const setup = SETUPS[name]();
  const out = o.out ?? `results/${setup.profile}`;
  await checkWritablePath("out", out);
  await checkOutputLabel("out", out, setup.profile);
  await ensureWritableDir("out", out);
  const threads = createThreads(workersOption(o.workers));
  try {
    const root = await writeAnalysisArtifacts(out, {
      batches,
      setup,
      threads,
      log: (line) => console.error(line),
    });
    console.log(await Deno.readTextFile(`${out}/summary/analysis.md`));
    console.log(`written to ${out}; root digest ${root}`);
  } finally {
    threads.close();
  }
  return 0;
}

if (import.meta.main) await runMain(main);
