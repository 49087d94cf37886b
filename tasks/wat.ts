/**
 * `deno task wat`: write the text form of every hand-assembled WebAssembly kernel to
 * src/kernels/wat/ (after a kernel's assembly changes; a test fails until they agree).
 *
 * @module
 */
import { HELP_OPTION, parseOptionTable, runMain } from "../src/cli.ts";
import { KERNEL_MODULES, kernelText } from "../src/kernels/kernel_text.ts";

const HELP = `Usage: deno task wat

Write src/kernels/wat/NAME.wat, the text form (WAT) of each hand-assembled WebAssembly module the
package runs (${Object.keys(KERNEL_MODULES).join(", ")}), disassembled with wabt.
test/kernel_text_test.ts fails when a file and the bytes disagree, in either direction.
`;

/** The task's entry point; returns its exit code. */
export async function main(): Promise<number> {
  if (parseOptionTable(Deno.args, HELP_OPTION).help) {
    console.log(HELP);
    return 0;
  }
  for (const [name, bytes] of Object.entries(KERNEL_MODULES)) {
    const file = `src/kernels/wat/${name}.wat`;
    await Deno.writeTextFile(file, await kernelText(bytes()));
    console.log(`wrote ${file}`);
  }
  return 0;
}

if (import.meta.main) await runMain(main);
