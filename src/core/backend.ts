/**
 * Selection of the TensorFlow.js backend that runs the learner.
 *
 * `wasm` (XNNPACK, SIMD, single-threaded) is the default: its float32 arithmetic is fixed by the
 * WebAssembly specification, so the same program gives the same bytes on every x86-64 or ARM
 * machine. `cpu` is the pure-JavaScript reference backend. `native` is the WebAssembly backend with
 * its matrix products on the system's OpenBLAS through FFI (opt-in, needs `--allow-ffi`; its bytes
 * repeat on one machine, not across processor models; see `native_backend.ts`). Backends that need
 * native libraries of their own (tfjs-node, tfjs-node-gpu) are not dependencies of this package.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerNativeBackend } from "./native_backend.ts";

/**
 * The backends this package can select.
 *
 * @example
 * ```ts
 * import { BACKENDS } from "./backend.ts";
 * if (!BACKENDS.includes("wasm")) throw new Error("wasm is the embedded default");
 * ```
 */
export const BACKENDS = ["wasm", "cpu", "native"] as const;

/**
 * A backend name accepted by {@linkcode useBackend}.
 *
 * @example
 * ```ts
 * import { type BackendName, useBackend } from "./backend.ts";
 * const name: BackendName = "wasm";
 * const tf = await useBackend(name);
 * if (tf.getBackend() !== "wasm") throw new Error("backend not selected");
 * ```
 */
export type BackendName = typeof BACKENDS[number];

/** Narrow a string to {@linkcode BackendName}. */
export function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

/**
 * Make `name` the active TensorFlow.js backend (idempotent) and return the tfjs namespace.
 *
 * Production mode is enabled, which also silences tfjs' console advertisement for native backends.
 *
 * @example
 * ```ts
 * import { useBackend } from "./backend.ts";
 * const tf = await useBackend("cpu");
 * if (tf.getBackend() !== "cpu") throw new Error("backend not selected");
 * ```
 */
export async function useBackend(name: BackendName): Promise<typeof tf> {
  if (!isBackendName(name)) {
    throw new RangeError(`backend must be one of ${BACKENDS.join(", ")}, got "${name}"`);
  }
  tf.enableProdMode();
  if (name === "native") await registerNativeBackend();
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`backend "${name}" failed to initialise`);
  }
  await tf.ready();
  return tf;
}

export { tf };
