/**
 * Verification (`@sgmrl/sgmrl/verification`): regenerate a results directory byte for byte, or
 * replay a random sample of its checkpoint intervals; a stranger's task modules run only in the
 * sandbox.
 *
 * @example A directory that is not a results directory is refused before anything runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { verifyProfile } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await assert.rejects(verifyProfile(dir, `${dir}/scratch`), /manifest\.json/);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @module
 */
export { type SpotReport, spotVerify } from "./spot_verify.ts";
export { type VerifyOutcome, verifyProfile } from "./verify.ts";
