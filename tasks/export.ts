/**
 * `deno task export`: write an experiment's final policy as safetensors, for other frameworks.
 *
 * @module
 */
import { optionsHelp, type OptionTable, parseOptionTable, runMain } from "../src/cli.ts";
import { InputError } from "../src/training/config.ts";
import { exportExperiment } from "../src/experiments/export.ts";
import { writeFileAtomically } from "../src/experiments/artifacts.ts";
import { checkWritablePath } from "../src/core/safe_fs.ts";

const OPTIONS = {
  dir: { type: "string", value: "DIR", help: "a results directory, e.g. results/paper (required)" },
  id: { type: "string", value: "ID", help: "the experiment, e.g. nav2d-maml-so-z1-s0 (required)" },
  out: {
    type: "string",
    value: "FILE",
    help: "where to write (default: results/exports/ID.safetensors)",
  },
  help: { type: "boolean", short: "h", help: "show this help" },
} as const satisfies OptionTable;

const HELP = `Usage: deno task export --dir DIR --id ID [--out FILE]

Write experiment ID's final policy (DIR/ID/params.bin, after checking the experiment's files
against its manifest) as a safetensors file: the mean network in PyTorch's conventions
(mean.{2k}.weight [out, in] and mean.{2k}.bias of Linear layer k, the activation after every
layer but the last), log_std, and in the header's metadata the architecture, the action scaling
(env action = clip(low + (a + 10)(high - low)/20, low, high)), the experiment's id and
configuration, and the SHA-256 of params.bin. Built-in environments only.

Options:
${optionsHelp(OPTIONS)}

Exit codes: 0 written; 2 bad input (nothing written).
`;

/** The task's entry point; returns its exit code. */
export async function main(): Promise<number> {
  const o = parseOptionTable(Deno.args, OPTIONS);
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  const { dir, id } = o;
  if (dir === undefined) throw new InputError("dir: required (a results directory)");
  if (id === undefined) throw new InputError("id: required (an experiment of DIR)");
  const out = o.out ?? `results/exports/${id}.safetensors`;
  const slash = out.lastIndexOf("/");
  const folder = slash < 0 ? "." : out.slice(0, slash) || "/";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) {
    throw new InputError(`id: "${id}" is not an experiment id (letters, digits, '.', '_', '-')`);
  }
  await checkWritablePath("out", out);
  const bytes = await exportExperiment(dir, id);
  await Deno.mkdir(folder, { recursive: true });
  await writeFileAtomically(folder, out.slice(slash + 1), bytes);
  console.log(`wrote ${out} (${bytes.length} bytes)`);
  return 0;
}

if (import.meta.main) await runMain(main);
