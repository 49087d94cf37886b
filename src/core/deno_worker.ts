/**
 * Deno's own `Worker` constructor, captured before any npm module runs.
 *
 * MuJoCo's Emscripten loader, when it sees Node's `process`, replaces the global `Worker` with
 * `node:worker_threads`' one. src/envs/mujoco.ts imports this module before MuJoCo's, so the
 * original is captured first, and puts it back after MuJoCo has loaded.
 *
 * @module
 */

/**
 * The Web-standard Worker of the Deno runtime.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DenoWorker } from "./deno_worker.ts";
 * assert.equal(typeof DenoWorker, "function", "Deno provides Worker");
 * ```
 */
export const DenoWorker: typeof Worker = globalThis.Worker;
