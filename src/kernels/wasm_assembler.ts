/**
 * Just enough of the WebAssembly binary format to write a small numeric kernel by hand: integer
 * encodings, the sections of a module with one memory and exported functions, and the instructions
 * such a kernel uses (locals, i32 address arithmetic, f64, f32, f64x2 and f32x4 loads, stores and
 * arithmetic, structured control flow). Each instruction is a function returning its bytes, so a kernel reads
 * as a nested list of instructions.
 *
 * @module
 */

/** A sequence of encoded bytes: an instruction, several, or a section. */
export type Code = number[];

/** Value types. */
export const I32 = 0x7f;
/** 64-bit float. */
export const F64 = 0x7c;
/** 32-bit float. */
export const F32 = 0x7d;
/** 128-bit vector. */
export const V128 = 0x7b;

/**
 * Unsigned LEB128.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { uleb } from "./wasm_assembler.ts";
 * assert.equal(uleb(624485).join(), [0xe5, 0x8e, 0x26].join(), "the spec's example");
 * ```
 */
export function uleb(n: number): Code {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`uleb: ${n}`);
  const out: Code = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/**
 * Signed LEB128 (32-bit values).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sleb } from "./wasm_assembler.ts";
 * assert.equal(sleb(-123456).join(), [0xc0, 0xbb, 0x78].join(), "the spec's example");
 * assert.equal(sleb(64).join(), [0xc0, 0x00].join(), "a sign bit needs a byte");
 * ```
 */
export function sleb(n: number): Code {
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new RangeError(`sleb: ${n}`);
  const out: Code = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: readonly Code[]): Code => [...uleb(items.length), ...items.flat()];
const name = (s: string): Code => vec([...new TextEncoder().encode(s)].map((b) => [b]));
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

/** One exported function: its parameter types, its locals by type, and its body. */
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  /** Additional locals, numbered after the parameters in this order. */
  readonly locals: readonly number[];
  readonly body: Code;
}

/**
 * A module with one memory (`memory`, `pages` pages of 64 KiB to start) and `functions`, exported
 * by name; none returns a value. With `importMemory` the memory is not the module's own but
 * imported as `env.memory` (at least `pages` pages), so that the functions work on another
 * module's memory, and it is not exported.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { F64, f64Add, f64Load, f64Store, I32, i32Const, localGet, wasmModule } from "./wasm_assembler.ts";
 * // store(a, b, c): f64 at c = f64 at a + f64 at b
 * const bytes = wasmModule([{ name: "add", params: [I32, I32, I32], locals: [], body: [
 *   ...localGet(2), ...localGet(0), ...f64Load(), ...localGet(1), ...f64Load(), ...f64Add,
 *   ...f64Store(),
 * ] }], 1);
 * const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
 * const f64 = new Float64Array((exports.memory as WebAssembly.Memory).buffer);
 * f64[0] = 0.1; f64[1] = 0.2;
 * (exports.add as (a: number, b: number, c: number) => void)(0, 8, 16);
 * assert.equal(f64[2], 0.1 + 0.2, "0.1 + 0.2");
 * assert.equal(i32Const(0).length, 2, "0.1 + 0.2");
 * ```
 */
export function wasmModule(
  functions: readonly WasmFunction[],
  pages: number,
  options: { readonly importMemory?: boolean } = {},
): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec([])]);
  const locals = (f: WasmFunction): Code => {
    const runs: Code[] = [];
    for (let i = 0; i < f.locals.length;) {
      let n = 1;
      while (i + n < f.locals.length && f.locals[i + n] === f.locals[i]) n++;
      runs.push([...uleb(n), f.locals[i]]);
      i += n;
    }
    return vec(runs);
  };
  const bodies = functions.map((f) => {
    const code = [...locals(f), ...f.body, 0x0b];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...(options.importMemory
      ? section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, ...uleb(pages)]]))
      : []),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...(options.importMemory ? [] : section(5, vec([[0x00, ...uleb(pages)]]))),
    ...section(
      7,
      vec([
        ...functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
        ...(options.importMemory ? [] : [[...name("memory"), 0x02, ...uleb(0)]]),
      ]),
    ),
    ...section(10, vec(bodies)),
  ]);
}

/** `local.get i`. */
export const localGet = (i: number): Code => [0x20, ...uleb(i)];
/** `local.set i`. */
export const localSet = (i: number): Code => [0x21, ...uleb(i)];
/** `i32.const n`. */
export const i32Const = (n: number): Code => [0x41, ...sleb(n)];
/** `f64.const 0`. */
export const f64Zero: Code = [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
/** `f32.const 0`. */
export const f32Zero: Code = [0x43, 0, 0, 0, 0];
/** i32 arithmetic and comparisons. */
export const i32Add: Code = [0x6a];
/** `i32.mul`. */
export const i32Mul: Code = [0x6c];
/** `i32.shl`. */
export const i32Shl: Code = [0x74];
/** `i32.lt_s`. */
export const i32LtS: Code = [0x48];
/** `i32.ge_s`. */
export const i32GeS: Code = [0x4e];
/** `f64.ne`. */
export const f64Ne: Code = [0x62];
/** `f64.le`. */
export const f64Le: Code = [0x65];
/** `f32.ne`. */
export const f32Ne: Code = [0x5c];
/** `f32.le`. */
export const f32Le: Code = [0x5f];
/** `i32.eqz`. */
export const i32Eqz: Code = [0x45];
/** `f64.add`. */
export const f64Add: Code = [0xa0];
/** `f64.mul`. */
export const f64Mul: Code = [0xa2];
/** `f32.add`: one IEEE float32 addition. */
export const f32Add: Code = [0x92];
/** `f32.mul`. */
export const f32Mul: Code = [0x94];
/** `f32.load` at the address on the stack plus `offset` (4-byte aligned). */
export const f32Load = (offset = 0): Code => [0x2a, 2, ...uleb(offset)];
/** `f32.store`. */
export const f32Store = (offset = 0): Code => [0x38, 2, ...uleb(offset)];
/** `f64.load` at the address on the stack plus `offset` (8-byte aligned). */
export const f64Load = (offset = 0): Code => [0x2b, 3, ...uleb(offset)];
/** `f64.store`. */
export const f64Store = (offset = 0): Code => [0x39, 3, ...uleb(offset)];
/** `i32.load` (4-byte aligned). */
export const i32Load = (offset = 0): Code => [0x28, 2, ...uleb(offset)];
/** `i32.store`. */
export const i32Store = (offset = 0): Code => [0x36, 2, ...uleb(offset)];
/** `v128.load` (16-byte alignment hint; any address works). */
export const v128Load = (offset = 0): Code => [0xfd, ...uleb(0x00), 4, ...uleb(offset)];
/** `v128.store`. */
export const v128Store = (offset = 0): Code => [0xfd, ...uleb(0x0b), 4, ...uleb(offset)];
/** `v128.load64_zero`: 8 bytes into the low half of a vector, the high half zero. */
export const v128Load64Zero = (offset = 0): Code => [0xfd, ...uleb(0x5d), 3, ...uleb(offset)];
/** `v128.store64_lane 0`: the low half of a vector, 8 bytes. */
export const v128Store64Low = (offset = 0): Code => [0xfd, ...uleb(0x5b), 3, ...uleb(offset), 0];
/** `f64x2.splat`. */
export const f64x2Splat: Code = [0xfd, ...uleb(0x14)];
/** `f64x2.add`: two IEEE additions, one per lane. */
export const f64x2Add: Code = [0xfd, ...uleb(0xf0)];
/** `f64x2.mul`. */
export const f64x2Mul: Code = [0xfd, ...uleb(0xf2)];
/** `f32.const x`. */
export const f32Const = (x: number): Code => [
  0x43,
  ...new Uint8Array(new Float32Array([x]).buffer),
];
/** `f32.max`: NaN when either is NaN, +0 above −0. */
export const f32Max: Code = [0x97];
/** `f32.gt`. */
export const f32Gt: Code = [0x5e];
/** `select`: the first of two values when the condition is non-zero, else the second. */
export const select: Code = [0x1b];
/** `f32x4.max`: per lane, NaN when either is NaN, +0 above −0. */
export const f32x4Max: Code = [0xfd, ...uleb(0xe9)];
/** `f32x4.gt`: all ones in each lane where the first is greater, else zeros. */
export const f32x4Gt: Code = [0xfd, ...uleb(0x44)];
/** `f32x4.ne`: all ones in each lane where the two differ (a NaN differs from itself). */
export const f32x4Ne: Code = [0xfd, ...uleb(0x42)];
/** `v128.and`. */
export const v128And: Code = [0xfd, ...uleb(0x4e)];
/** `v128.bitselect`: the bits of the first where the third (the mask) is one, else the second's. */
export const v128Bitselect: Code = [0xfd, ...uleb(0x52)];
/** `f32x4.splat`. */
export const f32x4Splat: Code = [0xfd, ...uleb(0x13)];
/** `f32x4.add`: four IEEE float32 additions, one per lane. */
export const f32x4Add: Code = [0xfd, ...uleb(0xe4)];
/** `f32x4.mul`. */
export const f32x4Mul: Code = [0xfd, ...uleb(0xe6)];
/**
 * `base + (index << shift)`: the byte address of element `index` of `2^shift`-byte elements from
 * `base` (both pushed by the code given).
 */
export const scaledAddress = (base: Code, index: Code, shift: number): Code => [
  ...base,
  ...index,
  ...i32Const(shift),
  ...i32Shl,
  ...i32Add,
];
/** `block … end` without a result. */
export const block = (body: Code): Code => [0x02, 0x40, ...body, 0x0b];
/** `loop … end` without a result. */
export const loop = (body: Code): Code => [0x03, 0x40, ...body, 0x0b];
/** `if … end` without a result. */
export const ifThen = (body: Code): Code => [0x04, 0x40, ...body, 0x0b];
/** `br_if depth`. */
export const brIf = (depth: number): Code => [0x0d, ...uleb(depth)];
/** `br depth`. */
export const br = (depth: number): Code => [0x0c, ...uleb(depth)];

/**
 * `for (i = from; i < end; i += step) body` where `end` pushes the bound: the loop runs while
 * i + step − 1 < end (only whole steps), so `step` > 1 leaves the remainder to a following loop.
 * Inside `body`, depth 0 is the loop and depth 1 the enclosing block.
 */
export function forRange(i: number, from: Code, end: Code, step: number, body: Code): Code {
  const cond = [...localGet(i), ...i32Const(step - 1), ...i32Add, ...end, ...i32LtS];
  return [
    ...from,
    ...localSet(i),
    ...block([
      ...cond,
      ...i32Eqz,
      ...brIf(0),
      ...loop([
        ...body,
        ...localGet(i),
        ...i32Const(step),
        ...i32Add,
        ...localSet(i),
        ...cond,
        ...brIf(0),
      ]),
    ]),
  ];
}
