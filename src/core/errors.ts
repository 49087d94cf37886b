/**
 * The error type for bad user input, shared by every module that validates input.
 *
 * @module
 */

/**
 * An error in user input: the CLI prints its message on one line and exits with code 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InputError } from "./errors.ts";
 * const e = new InputError("seeds: must be a positive integer");
 * assert.equal(e.name, "InputError", "unexpected name");
 * ```
 */
export class InputError extends Error {
  override name = "InputError";
}
