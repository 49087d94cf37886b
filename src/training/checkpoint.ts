/**
 * The training state between meta-iterations, its digest chain, and checkpoint files.
 *
 * **State bytes.** Everything the next meta-iteration reads is the policy parameters and Adam's
 * state (every random draw is keyed by the iteration, so no generator state carries over). Their
 * bytes S, all little-endian, are:
 *
 * ```text
 * u32      Adam's step count
 * float32  the parameters, in PolicyParams order (W₀, b₀, W₁, b₁, …, logStd)
 * float64  Adam's first moments, same order
 * float64  Adam's second moments, same order
 * ```
 *
 * **Digest chain.** With S₀ the state before the first iteration and S_{i+1} the state after
 * iteration i (0-based), d₋₁ = SHA-256(S₀) and dᵢ = SHA-256(dᵢ₋₁ ‖ S_{i+1}), where dᵢ₋₁ enters as
 * its 32 raw bytes. dᵢ is row i's `state_digest` in metrics.csv, and the last one is the
 * experiment manifest's `finalStateDigest`. A change to any iteration's state changes its digest
 * and every later one.
 *
 * **Checkpoint file** `checkpoint-KKKKKKK.bin` (K = completed iterations, 7 digits):
 *
 * ```text
 * 8 bytes  ASCII "SGMRLCKP"
 * u32      header length h
 * h bytes  header, canonical JSON (UTF-8): {"completedIterations": k, "format": 1,
 *          "previousDigest": d_{k−2}, "stateBytes": n, "stateDigest": d_{k−1},
 *          "tensors": [length of each parameter array]}
 * n bytes  the state bytes S_k
 * ```
 *
 * A checkpoint checks itself: SHA-256(previousDigest ‖ S_k) must equal stateDigest, so a torn or
 * corrupted file is refused ({@linkcode CheckpointError}) with one line naming it.
 *
 * @module
 */
import type { AdamState } from "../estimators/adam.ts";
import { adamInit } from "../estimators/adam.ts";
import { sha256Hex } from "../core/sha256.ts";
import { canonicalJson } from "../core/canonical_json.ts";
import type { PolicyParams } from "../estimators/policy.ts";

/**
 * The state of meta-training after some number of completed iterations.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialTrainingState, trainIterations } from "./trainer.ts";
 * import { decodeCheckpoint, encodeCheckpoint, type TrainingState } from "./checkpoint.ts";
 * import { PAPER_NAV2D, validateConfig } from "./config.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * await useBackend("wasm");
 * const config = validateConfig({ ...PAPER_NAV2D, id: "demo", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 1, seed: 0, iterations: 2, metaBatchSize: 2,
 *   trajectoriesPerTask: 2, horizon: 5, policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 2, trajectoriesPerTask: 2 } });
 * // Train one iteration, checkpoint, restore, and finish: the same bytes as training straight on.
 * const state: TrainingState = await initialTrainingState(config);
 * await trainIterations(config, state, { until: 1 });
 * const restored = await decodeCheckpoint(encodeCheckpoint(state), "c.bin");
 * await trainIterations(config, restored);
 * const straight = await initialTrainingState(config);
 * await trainIterations(config, straight);
 * assert.equal(restored.digest, straight.digest, "resume changed the bytes");
 * ```
 */
export interface TrainingState {
  /** Meta-iterations completed (k). */
  completed: number;
  /** Policy parameters θ after k iterations (updated in place by training). */
  readonly params: PolicyParams;
  /** Adam's state after k iterations (updated in place by training). */
  readonly adam: AdamState;
  /** d_{k−1}: the digest chain's value after k iterations (d₋₁ = SHA-256(S₀) when k = 0). */
  digest: string;
  /** d_{k−2}: the chain's value before the last iteration ("" when k = 0). */
  previousDigest: string;
}

/**
 * Raised for a checkpoint file that is truncated, corrupted or does not fit the experiment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { advanceChain, CheckpointError, decodeCheckpoint, encodeCheckpoint, initialState } from
 *   "./checkpoint.ts";
 * const s = await initialState([new Float32Array([0.5, -1])]);
 * await advanceChain(s);
 * const bytes = encodeCheckpoint(s);
 * const truncated = bytes.subarray(0, bytes.length - 1);
 * const error = await decodeCheckpoint(truncated, "c.bin").then(() => null, (e) => e);
 * assert.ok(
 *   error instanceof CheckpointError,
 *   "a truncated checkpoint is refused, naming the file",
 * );
 * assert.ok(
 *   error.message.startsWith("checkpoint c.bin:"),
 *   "a truncated checkpoint is refused, naming the file",
 * );
 * ```
 */
export class CheckpointError extends Error {
  override name = "CheckpointError";
}

/** The first 8 bytes of every checkpoint file. */
export const CHECKPOINT_MAGIC = "SGMRLCKP";
/** The checkpoint layout's version, the header's `format`. */
export const CHECKPOINT_FORMAT = 1;
const CHECKPOINT_NAME = /^checkpoint-(\d{7})\.bin$/;
const HEX_DIGEST = /^[0-9a-f]{64}$/;
const MAX_HEADER_BYTES = 1 << 16;

/**
 * The file name of the checkpoint after `completed` iterations.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkpointName, checkpointIteration } from "./checkpoint.ts";
 * assert.equal(checkpointName(125), "checkpoint-0000125.bin", checkpointName(125));
 * assert.equal(checkpointIteration("checkpoint-0000125.bin"), 125, "round trip");
 * assert.equal(checkpointIteration("params.bin"), null, "not a checkpoint");
 * ```
 */
export function checkpointName(completed: number): string {
  if (!Number.isSafeInteger(completed) || completed < 0 || completed > 9_999_999) {
    throw new RangeError(
      `checkpoint iteration must be an integer in [0, 9999999], got ${completed}`,
    );
  }
  return `checkpoint-${String(completed).padStart(7, "0")}.bin`;
}

/** The completed-iteration count named by a checkpoint file name, or null for other names. */
export function checkpointIteration(name: string): number | null {
  const m = CHECKPOINT_NAME.exec(name);
  return m === null ? null : Number(m[1]);
}

/**
 * The iterations after which an experiment of `iterations` meta-iterations keeps a checkpoint:
 * every multiple of `every`, and the last iteration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkpointSchedule } from "./checkpoint.ts";
 * assert.equal(checkpointSchedule(12, 5).join(), "5,10,12", "schedule");
 * assert.equal(checkpointSchedule(20, 5).join(), "5,10,15,20", "schedule");
 * ```
 */
export function checkpointSchedule(iterations: number, every: number): number[] {
  const ks: number[] = [];
  for (let k = every; k < iterations; k += every) ks.push(k);
  ks.push(iterations);
  return ks;
}

/**
 * The state bytes S of `params` and `adam` (layout in the module documentation).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stateBytes } from "./checkpoint.ts";
 * const bytes = stateBytes([new Float32Array([1.5])], {
 *   step: 3, m: [new Float64Array([0.25])], v: [new Float64Array([2])] });
 * const view = new DataView(bytes.buffer);
 * assert.equal(bytes.length, 4 + 4 + 8 + 8, "length");
 * assert.equal(view.getUint32(0, true), 3, "head");
 * assert.equal(view.getFloat32(4, true), 1.5, "head");
 * assert.equal(view.getFloat64(8, true), 0.25, "moments");
 * assert.equal(view.getFloat64(16, true), 2, "moments");
 * ```
 */
export function stateBytes(params: PolicyParams, adam: AdamState): Uint8Array {
  if (adam.m.length !== params.length || adam.v.length !== params.length) {
    throw new RangeError("stateBytes: Adam's moments do not match the parameters");
  }
  const n = params.reduce((s, p) => s + p.length, 0);
  const bytes = new Uint8Array(4 + 4 * n + 16 * n);
  const view = new DataView(bytes.buffer);
  if (!Number.isInteger(adam.step) || adam.step < 0 || adam.step > 0xffffffff) {
    throw new RangeError(`stateBytes: Adam's step count ${adam.step} is not a u32`);
  }
  view.setUint32(0, adam.step, true);
  let o = 4;
  for (const p of params) for (let i = 0; i < p.length; i++, o += 4) view.setFloat32(o, p[i], true);
  for (const moments of [adam.m, adam.v]) {
    moments.forEach((m, k) => {
      if (m.length !== params[k].length) {
        throw new RangeError(`stateBytes: Adam's moments of tensor ${k} do not match its length`);
      }
      for (let i = 0; i < m.length; i++, o += 8) view.setFloat64(o, m[i], true);
    });
  }
  return bytes;
}

function parseStateBytes(bytes: Uint8Array, tensors: readonly number[]) {
  const n = tensors.reduce((s, t) => s + t, 0);
  if (bytes.length !== 4 + 20 * n) {
    throw new RangeError(`state bytes: ${bytes.length} bytes, expected ${4 + 20 * n}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const step = view.getUint32(0, true);
  let o = 4;
  const params = tensors.map((t) => {
    const p = new Float32Array(t);
    for (let i = 0; i < t; i++, o += 4) p[i] = view.getFloat32(o, true);
    return p;
  });
  const moments = () =>
    tensors.map((t) => {
      const m = new Float64Array(t);
      for (let i = 0; i < t; i++, o += 8) m[i] = view.getFloat64(o, true);
      return m;
    });
  const m = moments();
  const v = moments();
  return { params, adam: { step, m, v } as AdamState };
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * The next link of the digest chain: SHA-256(previous ‖ state), `previous` as its 32 raw bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chainDigest } from "./checkpoint.ts";
 * import { sha256Hex } from "../core/sha256.ts";
 * const prev = "00".repeat(32);
 * const d = await chainDigest(prev, new Uint8Array([1, 2]));
 * assert.equal(d, await sha256Hex(new Uint8Array([...new Uint8Array(32), 1, 2])), d);
 * ```
 */
export async function chainDigest(previous: string, state: Uint8Array): Promise<string> {
  if (!HEX_DIGEST.test(previous)) {
    throw new RangeError(`chainDigest: previous digest must be 64 lowercase hex digits`);
  }
  const joined = new Uint8Array(32 + state.length);
  joined.set(hexToBytes(previous), 0);
  joined.set(state, 32);
  return await sha256Hex(joined);
}

/**
 * The state before the first iteration of training from `params`: zero Adam moments, step 0, and
 * the chain's start d₋₁ = SHA-256(S₀). The arrays are copied.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialState, stateBytes } from "./checkpoint.ts";
 * import { sha256Hex } from "../core/sha256.ts";
 * const s = await initialState([new Float32Array([0.5, -1])]);
 * assert.equal(s.completed, 0, "not initial");
 * assert.equal(s.adam.step, 0, "not initial");
 * assert.equal(s.digest, await sha256Hex(stateBytes(s.params, s.adam)), "genesis");
 * ```
 */
export async function initialState(params: PolicyParams): Promise<TrainingState> {
  const copy = params.map((p) => p.slice());
  const adam = adamInit(copy);
  return {
    completed: 0,
    params: copy,
    adam,
    digest: await sha256Hex(stateBytes(copy, adam)),
    previousDigest: "",
  };
}

/**
 * Advance `state`'s digest chain after an iteration has updated its parameters and Adam state in
 * place: previousDigest ← digest, digest ← SHA-256(digest ‖ S), completed + 1. Returns the new
 * digest.
 */
export async function advanceChain(state: TrainingState): Promise<string> {
  const digest = await chainDigest(state.digest, stateBytes(state.params, state.adam));
  state.previousDigest = state.digest;
  state.digest = digest;
  state.completed += 1;
  return digest;
}

interface CheckpointHeader {
  completedIterations: number;
  format: number;
  previousDigest: string;
  stateBytes: number;
  stateDigest: string;
  tensors: number[];
}

const encoder = new TextEncoder();

/**
 * A checkpoint file's bytes for `state` (k ≥ 1 completed iterations).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { advanceChain, decodeCheckpoint, encodeCheckpoint, initialState } from "./checkpoint.ts";
 * const s = await initialState([new Float32Array([0.5, -1])]);
 * s.params[0][0] = 0.75; s.adam.step = 1;
 * await advanceChain(s);
 * const back = await decodeCheckpoint(encodeCheckpoint(s), "c.bin", [2]);
 * assert.equal(back.params[0][0], 0.75, "round trip");
 * assert.equal(back.digest, s.digest, "round trip");
 * ```
 */
export function encodeCheckpoint(state: TrainingState): Uint8Array {
  if (state.completed < 1) {
    throw new RangeError("encodeCheckpoint: the initial state is not checkpointed");
  }
  const payload = stateBytes(state.params, state.adam);
  const header: CheckpointHeader = {
    completedIterations: state.completed,
    format: CHECKPOINT_FORMAT,
    previousDigest: state.previousDigest,
    stateBytes: payload.length,
    stateDigest: state.digest,
    tensors: state.params.map((p) => p.length),
  };
  const headerBytes = encoder.encode(canonicalJson(header));
  const out = new Uint8Array(12 + headerBytes.length + payload.length);
  out.set(encoder.encode(CHECKPOINT_MAGIC), 0);
  new DataView(out.buffer).setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  out.set(payload, 12 + headerBytes.length);
  return out;
}

/**
 * Parse and check a checkpoint file: magic, header, length, the self-check SHA-256(previousDigest
 * ‖ S) = stateDigest, and (when given) that its tensors have the lengths `tensors`. Throws
 * {@linkcode CheckpointError} with one line naming `file` and the problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { advanceChain, decodeCheckpoint, encodeCheckpoint, initialState } from "./checkpoint.ts";
 * const s = await initialState([new Float32Array([0.5, -1])]);
 * s.params[0][1] = 2; s.adam.step = 1; // what one iteration does
 * await advanceChain(s);
 * const back = await decodeCheckpoint(encodeCheckpoint(s), "c.bin", [2]);
 * assert.equal(back.completed, 1, "the state, as it was written");
 * assert.equal(back.params[0][1], 2, "the state, as it was written");
 * assert.equal(back.digest, s.digest, "the state, as it was written");
 * const wrongShape = await decodeCheckpoint(encodeCheckpoint(s), "c.bin", [3]).catch((e) => e);
 * assert.ok(wrongShape instanceof Error, "another experiment's checkpoint is refused");
 * ```
 */
export async function decodeCheckpoint(
  bytes: Uint8Array,
  file: string,
  tensors?: readonly number[],
): Promise<TrainingState> {
  const fail = (problem: string): never => {
    throw new CheckpointError(`checkpoint ${file}: ${problem}`);
  };
  if (bytes.length < 12) fail(`truncated (${bytes.length} bytes)`);
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== CHECKPOINT_MAGIC) {
    fail(`not a checkpoint (no ${CHECKPOINT_MAGIC} signature)`);
  }
  const h = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (h > MAX_HEADER_BYTES || 12 + h > bytes.length) fail(`truncated header (${h} bytes)`);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(12, 12 + h)),
    );
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (typeof header !== "object" || header === null) fail("header is not a JSON object");
  if (header.format !== CHECKPOINT_FORMAT) {
    fail(`unsupported format ${JSON.stringify(header.format)} (expected ${CHECKPOINT_FORMAT})`);
  }
  const k = header.completedIterations;
  if (!Number.isSafeInteger(k) || k < 1) fail(`completedIterations ${JSON.stringify(k)} invalid`);
  if (!HEX_DIGEST.test(String(header.stateDigest))) fail("stateDigest is not a SHA-256 digest");
  if (!HEX_DIGEST.test(String(header.previousDigest))) {
    fail("previousDigest is not a SHA-256 digest");
  }
  if (
    !Array.isArray(header.tensors) ||
    !header.tensors.every((t) => Number.isSafeInteger(t) && t >= 0)
  ) {
    fail("tensors is not a list of lengths");
  }
  if (tensors !== undefined && header.tensors.join() !== tensors.join()) {
    fail(`tensor lengths [${header.tensors}] do not match the experiment's [${tensors}]`);
  }
  const payload = bytes.subarray(12 + h);
  if (payload.length !== header.stateBytes) {
    fail(`truncated or overlong: ${payload.length} state bytes, header says ${header.stateBytes}`);
  }
  let parsed: ReturnType<typeof parseStateBytes>;
  try {
    parsed = parseStateBytes(payload, header.tensors);
  } catch (e) {
    return fail((e as Error).message);
  }
  if (parsed.adam.step !== k) fail(`Adam step ${parsed.adam.step} differs from ${k} iterations`);
  if ((await chainDigest(header.previousDigest, payload)) !== header.stateDigest) {
    fail("state bytes do not hash to stateDigest (corrupted)");
  }
  return {
    completed: k,
    params: parsed.params,
    adam: parsed.adam,
    digest: header.stateDigest,
    previousDigest: header.previousDigest,
  };
}
