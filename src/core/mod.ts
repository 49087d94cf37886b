/**
 * The utilities every layer uses that a user meets: the counter-based random streams every draw
 * comes from, and the error that bad input raises (`@sgmrl/sgmrl/core`).
 *
 * @example Two streams with the same key give the same draws, whatever happened before
 * ```ts
 * import assert from "node:assert/strict";
 * import { stream } from "./mod.ts";
 * const key = { seed: 0, purpose: "action", iteration: 3, task: 1, trajectory: 2 } as const;
 * assert.equal(stream(key).normal(), stream(key).normal());
 * ```
 *
 * @module
 */
export { type Purpose, RandomStream, stream, type StreamKey } from "./rng.ts";
export { InputError } from "./errors.ts";
