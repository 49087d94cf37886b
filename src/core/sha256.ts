/**
 * SHA-256 digests as lowercase hex (WebCrypto), the one hash every artefact, manifest and digest
 * chain uses.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Bytes as lowercase hex, two digits each.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hex } from "./sha256.ts";
 * assert.equal(hex(new Uint8Array([0, 15, 255])), "000fff", "hex");
 * ```
 */
export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/**
 * SHA-256 digest of `data` as 64 lowercase hex digits. Strings are hashed as
 * their UTF-8 encoding.
 *
 * @param data Bytes, or a string to encode as UTF-8.
 * @returns The digest in lowercase hex.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./sha256.ts";
 *
 * const digest = await sha256Hex("abc");
 * assert.equal(digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", digest);
 * assert.equal(
 *   (await sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))),
 *   digest,
 *   "bytes and string disagree",
 * );
 * ```
 */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const view = bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : new Uint8Array(bytes);
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", view)));
}
