/**
 * `deno task theory`: exact bias of every meta-gradient estimator on tabular problems.
 *
 * @module
 */
import { useBackend } from "../src/kernels/backend.ts";
import {
  ensureWritableDir,
  HELP_OPTION,
  optionsHelp,
  type OptionTable,
  parseOptionTable,
  readJsonFile,
  runMain,
} from "../src/cli.ts";
import { InputError } from "../src/training/config.ts";
import {
  analyseBias,
  biasTable,
  MAX_ALPHA,
  MAX_EVALUATIONS,
  MAX_LOGIT,
  MAX_REWARD,
  parseTheoryInput,
} from "../src/theory/theory.ts";
import { THEORY_SUITE } from "../src/theory/theory_suite.ts";
import { THEORY_PROFILE, writeTheoryArtifacts } from "../src/theory/theory_artifacts.ts";
import { checkOutputLabel } from "../src/experiments/artifacts.ts";
import { checkWritablePath } from "../src/core/safe_fs.ts";

const OPTIONS = {
  mdp: {
    type: "string",
    value: "FILE",
    help: `JSON problem:
  {"states": S, "actions": A, "horizon": H, "gamma": γ, "alpha": α,
  "innerSteps": ζ, "batchIn": |D_t|, "batchOut": |D_o|,
  "tasks": [{"weight": p, "mu": [S], "P": [S][A][S], "r": [S][A]}],
  "theta": [S·A logits, row-major: state, then action]}
Trajectories have steps h = 0..H; batches are ordered draws with replacement. Inner batches are enumerated as multisets and the outer batch one trajectory at a time (exact: every quantity is a sum or mean over a batch, the estimates linear in the outer batch): at most ${MAX_EVALUATIONS} estimator evaluations per estimator, C(T + batchIn − 1, batchIn)^innerSteps × T per task with T = (states·actions)^(horizon+1), whatever batchOut.
Without --mdp: the built-in problems (${
      Object.keys(THEORY_SUITE).join(", ")
    }) and sweeps of every estimator's bias over α and over the inner batch size on the worked example, written as hashed artefacts to --out (bias tables, bias.md, bias-vs-alpha.svg, batch-size.svg).`,
  },
  out: {
    type: "string",
    value: "DIR",
    help:
      "where the built-in analysis is written (default: results/theory); verified by deno task verify --profile theory",
  },
  json: {
    type: "boolean",
    help:
      'with --mdp: exactly one JSON object on stdout: {"gradV": [...], "estimators": {name: {"mean", "bias", "variance", "mse"}}}',
  },
  ...HELP_OPTION,
} as const satisfies OptionTable;

const HELP = `Usage: deno task theory [--mdp FILE [--json]] [--out DIR]

Enumerate every trajectory batch of a tabular meta-RL problem exactly and compare each
meta-gradient estimator's exact expectation (the package's own estimator code run on every batch
combination, weighted by its probability; raw mode) with the exact ∇V_ζ (float64 enumeration and
central differences). Estimators: sgmrl, sgmrl-fo, maml, maml-fo, sgmrl-eq13 (SG-MRL with
the inner Jacobians built from the paper's policy-Hessian estimate u, eq. 8-9 and 13), and
sgmrl-published (what the paper's published code computes: second-order MAML plus the mean outer
advantage times the summed log-likelihood of the first inner batch; in raw mode that advantage is
the reward-to-go, where training normalises it to mean 0).

Options:
${optionsHelp(OPTIONS)}

Bounds: 2 to 64 actions, 1 to 64 states; 0 ≤ α ≤ ${MAX_ALPHA}; |θ| ≤ ${MAX_LOGIT}; |r| ≤ ${MAX_REWARD}.
The problem file is read only as a regular file of at most 1 MiB inside what the task may read.

Exit codes: 0 done; 2 bad input (malformed JSON, wrong shapes, probabilities that do not sum to 1
within 1e-9, negative weights, values out of bounds, a problem too large to enumerate, or one
whose analysis overflows to a non-finite value; an --out directory of another profile).
`;

async function main(): Promise<number> {
  const o = parseOptionTable(Deno.args, OPTIONS);
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  await useBackend("wasm");
  if (o.mdp !== undefined) {
    const report = analyseBias(parseTheoryInput(await readJsonFile("mdp", o.mdp)));
    console.log(o.json ? JSON.stringify(report) : biasTable(report));
    return 0;
  }
  if (o.json) {
    throw new InputError("json: only with --mdp (the built-in analysis writes artefacts)");
  }
  const out = o.out ?? "results/theory";
  await checkWritablePath("out", out);
  await checkOutputLabel("out", out, THEORY_PROFILE);
  await ensureWritableDir("out", out);
  const root = await writeTheoryArtifacts(out);
  console.log(await Deno.readTextFile(`${out}/summary/bias.md`));
  console.log(`written to ${out}; root digest ${root}`);
  return 0;
}

if (import.meta.main) await runMain(main);
