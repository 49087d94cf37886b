/**
 * Selection of the TensorFlow.js backend that runs the learner.
 *
 * `wasm` (XNNPACK, SIMD, single-threaded) is the default: its float32 arithmetic is fixed by the
 * WebAssembly specification, so the same program gives the same bytes on every x86-64 or ARM
 * machine. `cpu` is the pure-JavaScript reference backend. `native` is the WebAssembly backend with
 * its matrix products on the system's OpenBLAS through FFI (opt-in, needs `--allow-ffi`; its bytes
 * repeat on one machine, not across processor models; see `native_backend.ts`). `webgpu` is
 * TensorFlow.js' WebGPU backend on Deno's built-in WebGPU, loaded only when asked for (opt-in; a
 * software adapter only with `SGMRL_ALLOW_SOFTWARE_GPU=1`; see `webgpu_backend.ts`). Backends that
 * need native libraries of their own (tfjs-node, tfjs-node-gpu) are not dependencies of this
 * package.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerNativeBackend } from "./native_backend.ts";
import { checkGpuAdapter, registerWebgpuBackend } from "./webgpu_backend.ts";
import { loadOpenBlas } from "./openblas.ts";

/**
 * The backends this package can select.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BACKENDS } from "./backend.ts";
 * assert.ok(BACKENDS.includes("wasm"), "wasm is the embedded default");
 * ```
 */
export const BACKENDS = ["wasm", "cpu", "native", "webgpu"] as const;

/**
 * A backend name accepted by {@linkcode useBackend}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BackendName, useBackend } from "./backend.ts";
 * const name: BackendName = "wasm";
 * const tf = await useBackend(name);
 * assert.equal(tf.getBackend(), "wasm", "backend not selected");
 * ```
 */
export type BackendName = typeof BACKENDS[number];

/** Narrow a string to {@linkcode BackendName}. */
export function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

/**
 * Check, before anything is written, that backend `name` can run here: for `native`, that OpenBLAS
 * loads; for `webgpu`, that an adapter exists and may be used. Throws the backend's one-line
 * `InputError` otherwise; `wasm` and `cpu` always can.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkBackendAvailable } from "./backend.ts";
 * await assert.doesNotReject(checkBackendAvailable("wasm"));
 * ```
 */
export async function checkBackendAvailable(name: BackendName): Promise<void> {
  if (name === "native") loadOpenBlas();
  if (name === "webgpu") await checkGpuAdapter();
}

/**
 * What backend `name` computes on, for the timings (never hashed): OpenBLAS' configuration for
 * `native`, the adapter's description for `webgpu` (both as loaded for use, once per thread);
 * undefined for `wasm` and `cpu`, whose bytes do not depend on the machine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backendDevice } from "./backend.ts";
 * assert.equal(await backendDevice("wasm"), undefined, "wasm: the same on every machine");
 * ```
 */
export async function backendDevice(name: BackendName): Promise<string | undefined> {
  if (name === "native") return `OpenBLAS: ${loadOpenBlas().config}`;
  if (name === "webgpu") {
    const a = await registerWebgpuBackend();
    return `WebGPU: ${
      [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(", ")
    }${a.isFallbackAdapter ? " (software)" : ""}`;
  }
  return undefined;
}

/**
 * Make `name` the active TensorFlow.js backend (idempotent) and return the tfjs namespace.
 *
 * Production mode is enabled, which also silences tfjs' console advertisement for native backends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { useBackend } from "./backend.ts";
 * const tf = await useBackend("cpu");
 * assert.equal(tf.getBackend(), "cpu", "backend not selected");
 * ```
 */
export async function useBackend(name: BackendName): Promise<typeof tf> {
  if (!isBackendName(name)) {
    throw new RangeError(`backend must be one of ${BACKENDS.join(", ")}, got "${name}"`);
  }
  tf.enableProdMode();
  if (name === "native") await registerNativeBackend();
  if (name === "webgpu") await registerWebgpuBackend();
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`backend "${name}" failed to initialise`);
  }
  await tf.ready();
  return tf;
}

export { tf };
