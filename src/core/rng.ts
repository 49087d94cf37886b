/**
 * Counter-based random numbers keyed by what each draw is for.
 *
 * Every random draw comes from a stream identified by
 * (seed, purpose, iteration, task, phase, trajectory). A stream is the
 * Philox4x32-10 block cipher (Salmon, Moraes, Dror & Shaw, "Parallel random
 * numbers: as easy as 1, 2, 3", SC 2011; the Random123 library) applied to
 * the counters 0, 1, 2, … with the key and the remaining counter words fixed
 * by the stream key. Because no state is shared between streams, the numbers
 * a stream yields do not depend on how many workers there are, how work is
 * sharded, or in what order streams are drawn.
 *
 * Mapping of a {@link StreamKey} onto Philox:
 *
 * - key     = [seed, PURPOSE_IDS[purpose]]
 * - counter = [blockIndex, trajectory, task | (phase << 20), iteration]
 *
 * where blockIndex = 0, 1, 2, … and each block yields four 32-bit words that
 * are consumed in order (word 0 first).
 *
 * @module
 */

/** Philox round multiplier applied to counter word 0. */
const PHILOX_M0 = 0xD2511F53;
/** Philox round multiplier applied to counter word 2. */
const PHILOX_M1 = 0xCD9E8D57;
/** Weyl increment of key word 0 (golden ratio). */
const PHILOX_W0 = 0x9E3779B9;
/** Weyl increment of key word 1 (sqrt(3) - 1). */
const PHILOX_W1 = 0xBB67AE85;
/** Number of Philox rounds. */
const PHILOX_ROUNDS = 10;

const TWO_POW_26 = 67108864;
const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const TWO_PI = 2 * Math.PI;

/**
 * High 32 bits of the exact 64-bit product of two unsigned 32-bit integers.
 *
 * Both factors are split into 16-bit halves, a = aH·2^16 + aL and
 * b = bH·2^16 + bL, so every partial product is below 2^32 and exact:
 * a·b = aH·bH·2^32 + (aH·bL + aL·bH)·2^16 + aL·bL.
 * The high word is aH·bH plus the high halves of the two cross terms plus the
 * carry out of the low word, carry = (⌊aL·bL / 2^16⌋ + low16(aH·bL) + low16(aL·bH)) >>> 16.
 *
 * @param a unsigned 32-bit integer (coerced with `>>> 0`)
 * @param b unsigned 32-bit integer (coerced with `>>> 0`)
 * @returns ⌊a·b / 2^32⌋ as an unsigned 32-bit integer
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mulhi32 } from "./rng.ts";
 * // (2^32 - 1)^2 = 2^64 - 2^33 + 1, whose high word is 2^32 - 2.
 * assert.equal(mulhi32(0xffffffff, 0xffffffff), 0xfffffffe, "mulhi32");
 * assert.equal(mulhi32(0x10000, 0x10000), 1, "mulhi32");
 * ```
 */
export function mulhi32(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = (a >>> 16) & 0xffff;
  const bL = b & 0xffff;
  const bH = (b >>> 16) & 0xffff;
  const hl = aH * bL;
  const lh = aL * bH;
  const carry = (((aL * bL) >>> 16) + (hl & 0xffff) + (lh & 0xffff)) >>> 16;
  return (aH * bH + (hl >>> 16) + (lh >>> 16) + carry) >>> 0;
}

/** 16-bit halves of the round multipliers, for the specialised high-word products below. */
const M0_LO = PHILOX_M0 & 0xffff;
const M0_HI = PHILOX_M0 >>> 16;
const M1_LO = PHILOX_M1 & 0xffff;
const M1_HI = PHILOX_M1 >>> 16;

/**
 * Philox4x32-10 on unsigned words, writing the four output words into `out`.
 * Round: (X0, X1, X2, X3) → (hi(M1·X2) ⊕ X1 ⊕ k0, lo(M1·X2), hi(M0·X0) ⊕ X3 ⊕ k1, lo(M0·X0));
 * the key is bumped by the Weyl increments between rounds. The high words are
 * {@link mulhi32} specialised to the constant multipliers.
 */
function philoxInto(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): void {
  for (let round = 0; round < PHILOX_ROUNDS; round++) {
    if (round > 0) {
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    let bL = c0 & 0xffff;
    let bH = c0 >>> 16;
    let hl = M0_HI * bL;
    let lh = M0_LO * bH;
    const hi0 = (M0_HI * bH + (hl >>> 16) + (lh >>> 16) +
      ((((M0_LO * bL) >>> 16) + (hl & 0xffff) + (lh & 0xffff)) >>> 16)) >>> 0;
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    bL = c2 & 0xffff;
    bH = c2 >>> 16;
    hl = M1_HI * bL;
    lh = M1_LO * bH;
    const hi1 = (M1_HI * bH + (hl >>> 16) + (lh >>> 16) +
      ((((M1_LO * bL) >>> 16) + (hl & 0xffff) + (lh & 0xffff)) >>> 16)) >>> 0;
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/**
 * The Philox4x32-10 block function: encrypts a 128-bit counter under a 64-bit
 * key. Pure; words are taken modulo 2^32.
 *
 * @param counter four unsigned 32-bit counter words
 * @param key two unsigned 32-bit key words
 * @returns the four output words
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { philox4x32 } from "./rng.ts";
 * // Known-answer vector from Random123 (all-zero counter and key).
 * const out = philox4x32([0, 0, 0, 0], [0, 0]);
 * assert.equal(out[0], 0x6627e8d5, "Philox KAT");
 * assert.equal(out[3], 0x9b00dbd8, "Philox KAT");
 * ```
 */
export function philox4x32(
  counter: readonly [number, number, number, number] | Uint32Array,
  key: readonly [number, number] | Uint32Array,
): Uint32Array {
  if (counter.length !== 4) {
    throw new RangeError(`philox4x32 counter must have 4 words, got ${counter.length}`);
  }
  if (key.length !== 2) {
    throw new RangeError(`philox4x32 key must have 2 words, got ${key.length}`);
  }
  const out = new Uint32Array(4);
  philoxInto(
    counter[0] >>> 0,
    counter[1] >>> 0,
    counter[2] >>> 0,
    counter[3] >>> 0,
    key[0] >>> 0,
    key[1] >>> 0,
    out,
  );
  return out;
}

/**
 * What a stream of random numbers is for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Purpose, stream } from "./rng.ts";
 * const purpose: Purpose = "action";
 * const u = stream({ seed: 0, purpose }).uniform();
 * assert.ok(u >= 0 && u < 1);
 * ```
 */
export type Purpose =
  | "init"
  | "task"
  | "eval-task"
  | "reset"
  | "action"
  | "eval-action"
  | "test"
  | "eval-reset"
  | "spot"
  | "analysis-task"
  | "analysis-action"
  | "analysis-reset"
  | "validation-task"
  | "validation-action"
  | "validation-reset";

/**
 * Philox key word 1 for each purpose.
 *
 * This table is part of the artefact contract: every committed result depends
 * on these constants. Values are fixed explicitly and never derived from
 * declaration order; a new purpose gets a new, previously unused constant, and
 * existing entries must never change.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PURPOSE_IDS } from "./rng.ts";
 * assert.equal(PURPOSE_IDS.action, 5, "purpose table changed");
 * ```
 */
export const PURPOSE_IDS: Readonly<Record<Purpose, number>> = Object.freeze({
  "init": 1,
  "task": 2,
  "eval-task": 3,
  "reset": 4,
  "action": 5,
  "eval-action": 6,
  "test": 7,
  "eval-reset": 8,
  "spot": 9,
  "analysis-task": 10,
  "analysis-action": 11,
  "analysis-reset": 12,
  "validation-task": 13,
  "validation-action": 14,
  "validation-reset": 15,
});

/**
 * Identifies one stream of random numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type StreamKey, stream } from "./rng.ts";
 * const key: StreamKey = { seed: 7, purpose: "reset", iteration: 3, task: 12, trajectory: 5 };
 * const u = stream(key).uniform();
 * assert.ok(u >= 0 && u < 1, "uniform out of range");
 * ```
 */
export interface StreamKey {
  /** Experiment seed, integer in [0, 2^32). */
  seed: number;
  /** What the numbers are for. */
  purpose: Purpose;
  /** Outer (meta-training) iteration, integer in [0, 2^32); default 0. */
  iteration?: number;
  /** Task index, integer in [0, 2^20); default 0. */
  task?: number;
  /** Inner step index t or outer batch, integer in [0, 2^12); default 0. */
  phase?: number;
  /** Trajectory index, integer in [0, 2^32); default 0. */
  trajectory?: number;
}

const TASK_LIMIT = 1 << 20;
const PHASE_LIMIT = 1 << 12;

function formatValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  return String(value);
}

function checkField(name: string, value: unknown, limit: number): number {
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= limit
  ) {
    throw new RangeError(
      `stream key "${name}" must be an integer in [0, ${limit}), got ${formatValue(value)}`,
    );
  }
  return value;
}

function checkPurpose(value: unknown): number {
  if (typeof value === "string" && Object.hasOwn(PURPOSE_IDS, value)) {
    return PURPOSE_IDS[value as Purpose];
  }
  const allowed = Object.keys(PURPOSE_IDS).map((p) => JSON.stringify(p)).join(", ");
  throw new RangeError(
    `stream key "purpose" must be one of ${allowed}, got ${formatValue(value)}`,
  );
}

/**
 * A stream of random numbers: Philox4x32-10 in counter mode under a
 * {@link StreamKey}. Draws allocate nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RandomStream } from "./rng.ts";
 * const a = new RandomStream({ seed: 1, purpose: "action", trajectory: 2 });
 * const b = new RandomStream({ seed: 1, purpose: "action", trajectory: 2 });
 * assert.equal(a.normal(), b.normal(), "streams must be reproducible");
 * ```
 */
export class RandomStream {
  /** The validated key, with defaults filled in. */
  readonly key: Readonly<Required<StreamKey>>;

  readonly #k0: number;
  readonly #k1: number;
  readonly #c1: number;
  readonly #c2: number;
  readonly #c3: number;
  /** Index of the next block to generate, in [0, 2^32]. */
  #nextBlock = 0;
  /** Current block's words. */
  readonly #words = new Uint32Array(4);
  /** Index of the next unconsumed word in #words; 4 means the block is used up. */
  #pos = 4;
  /** Second value of the last Box–Muller pair, if not yet returned. */
  #cachedNormal = 0;
  #hasCachedNormal = false;

  /**
   * Creates the stream for `key`. Throws `RangeError` naming the offending
   * field if a key field is not an integer in its range or the purpose is
   * unknown.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { RandomStream } from "./rng.ts";
   * let threw = false;
   * try {
   *   new RandomStream({ seed: 0, purpose: "task", task: 2_000_000 });
   * } catch (e) {
   *   threw = e instanceof RangeError && e.message.includes('"task"');
   * }
   * assert.ok(threw, "expected a RangeError");
   * ```
   */
  constructor(key: StreamKey) {
    const seed = checkField("seed", key.seed, TWO_POW_32);
    const purposeId = checkPurpose(key.purpose);
    const iteration = checkField("iteration", key.iteration ?? 0, TWO_POW_32);
    const task = checkField("task", key.task ?? 0, TASK_LIMIT);
    const phase = checkField("phase", key.phase ?? 0, PHASE_LIMIT);
    const trajectory = checkField("trajectory", key.trajectory ?? 0, TWO_POW_32);
    this.key = Object.freeze({ seed, purpose: key.purpose, iteration, task, phase, trajectory });
    this.#k0 = seed >>> 0;
    this.#k1 = purposeId >>> 0;
    this.#c1 = trajectory >>> 0;
    this.#c2 = (task | (phase << 20)) >>> 0;
    this.#c3 = iteration >>> 0;
  }

  #refill(): void {
    const block = this.#nextBlock;
    if (block >= TWO_POW_32) {
      throw new RangeError("random stream exhausted: all 2^32 counter blocks have been used");
    }
    philoxInto(block, this.#c1, this.#c2, this.#c3, this.#k0, this.#k1, this.#words);
    this.#nextBlock = block + 1;
    this.#pos = 0;
  }

  /**
   * Index of the block the next 32-bit word comes from, or 2^32 once the
   * stream is exhausted.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { stream } from "./rng.ts";
   * const s = stream({ seed: 0, purpose: "test" });
   * for (let i = 0; i < 5; i++) s.nextUint32();
   * assert.equal(s.blockIndex, 1, "word 5 is in block 1");
   * ```
   */
  get blockIndex(): number {
    return this.#pos < 4 ? this.#nextBlock - 1 : this.#nextBlock;
  }

  /**
   * Jumps so that the next 32-bit word is word 0 of block `block`, discarding
   * any remaining words of the current block and any cached normal.
   * Counter-mode jump-ahead: costs nothing regardless of distance.
   *
   * @param block integer in [0, 2^32]
   * @returns this stream
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { stream } from "./rng.ts";
   * const a = stream({ seed: 3, purpose: "test" });
   * for (let i = 0; i < 8; i++) a.nextUint32();
   * const b = stream({ seed: 3, purpose: "test" }).seekBlock(2);
   * assert.equal(a.nextUint32(), b.nextUint32(), "seek mismatch");
   * ```
   */
  seekBlock(block: number): this {
    if (!Number.isInteger(block) || block < 0 || block > TWO_POW_32) {
      throw new RangeError(
        `block index must be an integer in [0, ${TWO_POW_32}], got ${formatValue(block)}`,
      );
    }
    this.#nextBlock = block;
    this.#pos = 4;
    this.#hasCachedNormal = false;
    return this;
  }

  /**
   * Next 32 random bits as an unsigned integer in [0, 2^32).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { stream } from "./rng.ts";
   * const w = stream({ seed: 0, purpose: "test" }).nextUint32();
   * assert.ok(Number.isInteger(w), "not a uint32");
   * assert.ok(w >= 0, "not a uint32");
   * assert.ok(w <= 0xffffffff, "not a uint32");
   * ```
   */
  nextUint32(): number {
    if (this.#pos === 4) this.#refill();
    return this.#words[this.#pos++];
  }

  /**
   * Uniform double in [0, 1) with 53 random bits: with `a` then `b` the next
   * two 32-bit words, returns ((a >>> 5)·2^26 + (b >>> 6)) / 2^53.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { stream } from "./rng.ts";
   * const s = stream({ seed: 0, purpose: "test" });
   * const u = s.uniform();
   * assert.ok(u >= 0 && u < 1, "uniform out of range");
   * ```
   */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * TWO_POW_26 + b) / TWO_POW_53;
  }

  /**
   * Uniform double in [lo, hi), computed as lo + (hi − lo)·uniform(). (As with
   * any affine map of a floating-point uniform, rounding can make the result
   * equal `hi` for some ranges.)
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { stream } from "./rng.ts";
   * const x = stream({ seed: 0, purpose: "task" }).uniformIn(-2, 3);
   * assert.ok(x >= -2 && x < 3, "out of range");
   * ```
   */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /**
   * Standard normal draw by the Box–Muller transform. With u1 = 1 − uniform()
   * in (0, 1] and u2 = uniform(), r = √(−2 ln u1) and the pair is
   * (r cos 2πu2, r sin 2πu2): the first is returned now, the second on the next
   * call.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { stream } from "./rng.ts";
   * const z = stream({ seed: 0, purpose: "action" }).normal();
   * assert.ok(Number.isFinite(z), "normal must be finite");
   * ```
   */
  normal(): number {
    if (this.#hasCachedNormal) {
      this.#hasCachedNormal = false;
      return this.#cachedNormal;
    }
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = TWO_PI * u2;
    this.#cachedNormal = r * Math.sin(theta);
    this.#hasCachedNormal = true;
    return r * Math.cos(theta);
  }

  /**
   * Fills `out` with standard normals, in index order (same values as calling
   * {@link RandomStream.normal} `out.length` times).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { stream } from "./rng.ts";
   * const noise = stream({ seed: 0, purpose: "action" }).fillNormal(new Float32Array(6));
   * assert.equal(noise.length, 6, "length");
   * ```
   */
  fillNormal<T extends Float64Array | Float32Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /**
   * Fills `out` with uniforms in [lo, hi) (default [0, 1)), in index order
   * (same values as calling {@link RandomStream.uniformIn} `out.length` times).
   * A `Float32Array` stores each value rounded to single precision, so a draw
   * within half a single-precision ulp of `hi` is stored as `hi`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { stream } from "./rng.ts";
   * const xs = stream({ seed: 0, purpose: "init" }).fillUniform(new Float64Array(4), -1, 1);
   * assert.ok(!xs.some((x) => x < -1 || x >= 1), "out of range");
   * ```
   */
  fillUniform<T extends Float64Array | Float32Array>(out: T, lo = 0, hi = 1): T {
    const width = hi - lo;
    for (let i = 0; i < out.length; i++) out[i] = lo + width * this.uniform();
    return out;
  }
}

/**
 * Returns the stream for `key` (same as `new RandomStream(key)`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stream } from "./rng.ts";
 * const key = { seed: 42, purpose: "action", iteration: 1, task: 0, phase: 0, trajectory: 9 } as const;
 * assert.equal(stream(key).uniform(), stream(key).uniform(), "not reproducible");
 * ```
 */
export function stream(key: StreamKey): RandomStream {
  return new RandomStream(key);
}

/**
 * `k` distinct indices of `0 … n − 1` drawn uniformly without replacement (all of them when
 * k ≥ n), in the order drawn: a partial Fisher–Yates shuffle on the stream
 * {seed, "spot", phase}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { drawWithoutReplacement } from "./rng.ts";
 * const a = drawWithoutReplacement(10, 4, 7, 0);
 * assert.equal(new Set(a).size, 4, "not distinct");
 * assert.ok(!a.some((i) => i < 0 || i >= 10), "not distinct");
 * assert.equal(a.join(), drawWithoutReplacement(10, 4, 7, 0).join(), "not reproducible");
 * assert.equal(drawWithoutReplacement(3, 5, 7, 0).length, 3, "all when k ≥ n");
 * ```
 */
export function drawWithoutReplacement(
  n: number,
  k: number,
  seed: number,
  phase: number,
): number[] {
  const s = stream({ seed, purpose: "spot", phase });
  const pool = Array.from({ length: n }, (_, i) => i);
  const m = Math.min(k, n);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(s.uniform() * (n - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, m);
}
