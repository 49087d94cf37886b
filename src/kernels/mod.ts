/**
 * The numerical backends (`@sgmrl/sgmrl/kernels`): `wasm` (the default, whose bytes the committed
 * results are), `cpu`, `native` (OpenBLAS through FFI) and `webgpu`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BACKENDS, useBackend } from "./mod.ts";
 * assert.ok(BACKENDS.includes("wasm"));
 * await useBackend("wasm");
 * ```
 *
 * @module
 */
export { type BackendName, BACKENDS, useBackend } from "./backend.ts";
