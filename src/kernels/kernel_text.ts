/**
 * The hand-assembled WebAssembly kernels in their text form (WAT), written and read with wabt, the
 * WebAssembly binary toolkit: the committed src/kernels/wat/*.wat are what a reader reviews, and a
 * test checks that each disassembles from, and assembles back to, exactly the bytes the package
 * runs (`deno task wat` rewrites them after a kernel changes).
 *
 * @module
 */
import wabtInit from "wabt";
import { denseKernelBytes } from "./dense_simd.ts";
import { fusedPassesBytes } from "./native_fused_kernels.ts";

/**
 * Every hand-assembled kernel module, by the name of its text file in src/kernels/wat/.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KERNEL_MODULES } from "./kernel_text.ts";
 * assert.equal(
 *   Object.keys(KERNEL_MODULES).join(),
 *   "dense-float64,dense-float32,fused-passes",
 *   "three modules",
 * );
 * ```
 */
export const KERNEL_MODULES: Readonly<Record<string, () => Uint8Array<ArrayBuffer>>> = {
  "dense-float64": () => denseKernelBytes("float64"),
  "dense-float32": () => denseKernelBytes("float32"),
  "fused-passes": fusedPassesBytes,
};

const FEATURES = { simd: true } as const;

/**
 * The text form of a module's bytes (wabt's wasm2wat: unfolded instructions, exports apart).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelText } from "./kernel_text.ts";
 * import { fusedPassesBytes } from "./native_fused_kernels.ts";
 * const text = await kernelText(fusedPassesBytes());
 * assert.ok(text.startsWith("(module"), text);
 * assert.ok(text.includes('(import "env" "memory"'), text);
 * ```
 */
export async function kernelText(bytes: Uint8Array): Promise<string> {
  const wabt = await wabtInit();
  const module = wabt.readWasm(bytes, { readDebugNames: false, ...FEATURES });
  try {
    return module.toText({ foldExprs: false, inlineExport: false });
  } finally {
    module.destroy();
  }
}

/**
 * The bytes of a module's text form (wabt's wat2wasm, LEB128s canonical).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelBytes, kernelText } from "./kernel_text.ts";
 * import { fusedPassesBytes } from "./native_fused_kernels.ts";
 * const bytes = fusedPassesBytes();
 * const back = await kernelBytes(await kernelText(bytes));
 * assert.equal(back.join(), bytes.join(), "a round trip");
 * ```
 */
export async function kernelBytes(text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat("kernel.wat", text, FEATURES);
  try {
    const { buffer } = module.toBinary({
      log: false,
      canonicalize_lebs: true,
      relocatable: false,
      write_debug_names: false,
    });
    return buffer;
  } finally {
    module.destroy();
  }
}
