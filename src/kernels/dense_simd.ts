/**
 * Dense layers on WebAssembly SIMD, in float64 or in float32, with the bits of the plain loop in
 * that precision:
 *
 *     out[r, j] = b[j] + Σ_{i: x[r, i] ≠ 0} x[r, i]·w[i, j]   (summed in increasing i)
 *
 * each product rounded, then each sum (no fused multiply-add). For every row the inputs that are
 * not zero are gathered first, without a branch (a ReLU's zeros cost nothing); then, a block of up
 * to eight vectors of columns at a time (16 columns in float64, 32 in float32) and for every row in
 * turn (the block's weights stay in the nearest cache), the row's outputs accumulate in f64x2 or
 * f32x4 registers, every lane an IEEE multiply and add in the same order as the scalar loop, so the
 * result is bit for bit that loop's, on every machine, and a row's outputs do not depend on the
 * other rows. A hidden layer's ReLU is done by the next layer's gather, which keeps the inputs that
 * are positive or NaN: the ReLU's nonzero outputs, with its values.
 *
 * Weights arrive as float32 (a policy's parameters). {@linkcode DenseStack} converts them to the
 * stack's precision once, when it is made, and keeps them; each precision's module memory holds
 * the stack used last, so the many forward passes of one sampling run copy no weights at all.
 *
 * @module
 */
import {
  block,
  br,
  brIf,
  type Code,
  F32,
  f32Add,
  f32Le,
  f32Load,
  f32Mul,
  f32Ne,
  f32Store,
  f32x4Add,
  f32x4Mul,
  f32x4Splat,
  f32Zero,
  F64,
  f64Add,
  f64Le,
  f64Load,
  f64Mul,
  f64Ne,
  f64Store,
  f64x2Add,
  f64x2Mul,
  f64x2Splat,
  f64Zero,
  forRange,
  I32,
  i32Add,
  i32Const,
  i32Eqz,
  i32GeS,
  i32Load,
  i32Mul,
  i32Shl,
  i32Store,
  localGet,
  localSet,
  loop,
  scaledAddress,
  V128,
  v128Load,
  v128Load64Zero,
  v128Store,
  v128Store64Low,
  wasmModule,
} from "./wasm_assembler.ts";

/** The precisions a {@linkcode DenseStack} computes in. */
export const DENSE_PRECISIONS = ["float64", "float32"] as const;

/** The arithmetic of a {@linkcode DenseStack}: IEEE float64 or float32. */
export type DensePrecision = typeof DENSE_PRECISIONS[number];

/** One precision's element: its value type, size, vector lanes and instructions. */
interface Element {
  readonly type: number;
  /** log2 of the element's bytes. */
  readonly shift: number;
  /** Elements per 128-bit vector. */
  readonly lanes: number;
  readonly load: (offset?: number) => Code;
  readonly store: (offset?: number) => Code;
  readonly add: Code;
  readonly mul: Code;
  readonly ne: Code;
  readonly le: Code;
  readonly zero: Code;
  readonly splat: Code;
  readonly vectorAdd: Code;
  readonly vectorMul: Code;
}

const ELEMENTS: Readonly<Record<DensePrecision, Element>> = {
  float64: {
    type: F64,
    shift: 3,
    lanes: 2,
    load: f64Load,
    store: f64Store,
    add: f64Add,
    mul: f64Mul,
    ne: f64Ne,
    le: f64Le,
    zero: f64Zero,
    splat: f64x2Splat,
    vectorAdd: f64x2Add,
    vectorMul: f64x2Mul,
  },
  float32: {
    type: F32,
    shift: 2,
    lanes: 4,
    load: f32Load,
    store: f32Store,
    add: f32Add,
    mul: f32Mul,
    ne: f32Ne,
    le: f32Le,
    zero: f32Zero,
    splat: f32x4Splat,
    vectorAdd: f32x4Add,
    vectorMul: f32x4Mul,
  },
};

// Parameters of `dense` (byte addresses and sizes), then its locals.
const IN = 0, ROWS = 1, N_IN = 2, W = 3, B = 4, N_OUT = 5, OUT = 6, KEPT = 7, ENDS = 8;
const R = 9, I = 10, J = 11, T = 12, END = 13, ROW_IN = 14, ROW_OUT = 15, P = 16, JB = 17;
const LIST = 18, ROW_END = 19, STRIDE = 20, V = 21, ACC = 22;
const SPLAT = 23, A = [24, 25, 26, 27, 28, 29, 30, 31];
/** The parameters' types, in order. */
const PARAMS = Array(9).fill(I32);
/** The locals' types, in order (V and ACC hold one element). */
const locals = (e: Element) => [...Array(12).fill(I32), e.type, e.type, ...Array(9).fill(V128)];

/**
 * log2 of the bytes of one gathered input: its value, then (one element's size further on) its
 * row of w's address; 16 bytes in float64, 8 in float32.
 */
const keptShift = (e: Element) => e.shift + 1;

/** base + index·(element size): the address of element `index`. */
const elementAddress = (e: Element, base: Code, index: Code): Code =>
  scaledAddress(base, index, e.shift);

/** Where row r's list of gathered inputs starts: KEPT + r·nIn entries. */
const listStart = (e: Element): Code => [
  ...localGet(KEPT),
  ...localGet(R),
  ...localGet(N_IN),
  ...i32Mul,
  ...i32Const(keptShift(e)),
  ...i32Shl,
  ...i32Add,
];

/** Where the end of row r's list is kept: ENDS + 4·r (an i32). */
const endSlot: Code = scaledAddress(localGet(ENDS), localGet(R), 2);

/** For each gathered input t (T its entry), from the first to the last: `body`. */
const forKept = (e: Element, body: Code): Code =>
  forRange(T, localGet(LIST), localGet(END), 1 << keptShift(e), body);

/** The address of the weight row of gathered input T, plus JB (column j's byte offset). */
const weightAddress = (e: Element): Code => [
  ...localGet(T),
  ...i32Load(1 << e.shift),
  ...localGet(JB),
  ...i32Add,
];

/**
 * Outputs j … j + lanes·vectors − 1 of the current row, `vectors` accumulators; or, `half`, the
 * low half of one vector's lanes (the high half's are computed and left unstored).
 */
function vectorOutputs(e: Element, vectors: number, half = false): Code {
  const acc = A.slice(0, vectors);
  const load = half ? v128Load64Zero : v128Load, store = half ? v128Store64Low : v128Store;
  return [
    // The biases of outputs j, j + 1, … as the accumulators' start.
    ...acc.flatMap((a, k) => [
      ...localGet(B),
      ...localGet(JB),
      ...i32Add,
      ...load(16 * k),
      ...localSet(a),
    ]),
    ...forKept(e, [
      ...localGet(T),
      ...e.load(),
      ...e.splat,
      ...localSet(SPLAT),
      ...weightAddress(e),
      ...localSet(P),
      ...acc.flatMap((a, k) => [
        ...localGet(a),
        ...localGet(SPLAT),
        ...localGet(P),
        ...load(16 * k),
        ...e.vectorMul,
        ...e.vectorAdd,
        ...localSet(a),
      ]),
    ]),
    ...acc.flatMap((a, k) => [
      ...localGet(ROW_OUT),
      ...localGet(JB),
      ...i32Add,
      ...localGet(a),
      ...store(16 * k),
    ]),
  ];
}

/** Output j of the current row, in a scalar. */
const scalarOutput = (e: Element): Code => [
  ...localGet(B),
  ...localGet(JB),
  ...i32Add,
  ...e.load(),
  ...localSet(ACC),
  ...forKept(e, [
    ...localGet(ACC),
    ...localGet(T),
    ...e.load(),
    ...weightAddress(e),
    ...e.load(),
    ...e.mul,
    ...e.add,
    ...localSet(ACC),
  ]),
  ...localGet(ROW_OUT),
  ...localGet(JB),
  ...i32Add,
  ...localGet(ACC),
  ...e.store(),
];

/**
 * Outputs from j on, `step` at a time while j + step ≤ nOut (JB = j·element size, their byte
 * offset); j is left at the first not done.
 */
const continueJ = (e: Element, step: number, body: Code): Code =>
  block(loop([
    ...localGet(J),
    ...i32Const(step - 1),
    ...i32Add,
    ...localGet(N_OUT),
    ...i32GeS,
    ...brIf(1),
    ...localGet(J),
    ...i32Const(e.shift),
    ...i32Shl,
    ...localSet(JB),
    ...body,
    ...localGet(J),
    ...i32Const(step),
    ...i32Add,
    ...localSet(J),
    ...br(0),
  ]));

/** `body` for every row r, with its output (ROW_OUT) and its list of gathered inputs (LIST, END). */
const forRows = (e: Element, body: Code): Code =>
  forRange(R, i32Const(0), localGet(ROWS), 1, [
    ...elementAddress(e, localGet(OUT), [...localGet(R), ...localGet(N_OUT), ...i32Mul]),
    ...localSet(ROW_OUT),
    ...listStart(e),
    ...localSet(LIST),
    ...endSlot,
    ...i32Load(),
    ...localSet(END),
    ...body,
  ]);

/**
 * The kernel's body. First every row's list of the inputs that `keep` (which reads the input from
 * local V and pushes 1 to keep it) selects, with no branch: each input is written at the end of
 * the row's list, which grows only past the kept ones. Then the outputs, a block of columns at a
 * time for every row, so that the block's weights stay in the nearest cache across the rows: eight
 * vectors of columns, then four, two, one, half a vector (float32), then single columns.
 */
const denseBody = (e: Element, keep: Code): Code => [
  // A row of w is nOut elements.
  ...localGet(N_OUT),
  ...i32Const(e.shift),
  ...i32Shl,
  ...localSet(STRIDE),
  ...forRange(R, i32Const(0), localGet(ROWS), 1, [
    // Row r's input (elements r·nIn …) and its list (entry r·nIn).
    ...elementAddress(e, localGet(IN), [...localGet(R), ...localGet(N_IN), ...i32Mul]),
    ...localSet(ROW_IN),
    ...elementAddress(e, localGet(ROW_IN), localGet(N_IN)),
    ...localSet(ROW_END),
    ...listStart(e),
    ...localSet(END),
    // The kept inputs x_i (at I), each with the address of row i of w (P), in increasing i.
    ...localGet(W),
    ...localSet(P),
    ...forRange(I, localGet(ROW_IN), localGet(ROW_END), 1 << e.shift, [
      ...localGet(I),
      ...e.load(),
      ...localSet(V),
      ...localGet(END),
      ...localGet(V),
      ...e.store(),
      ...localGet(END),
      ...localGet(P),
      ...i32Store(1 << e.shift),
      ...localGet(END),
      ...keep,
      ...i32Const(keptShift(e)),
      ...i32Shl,
      ...i32Add,
      ...localSet(END),
      ...localGet(P),
      ...localGet(STRIDE),
      ...i32Add,
      ...localSet(P),
    ]),
    ...endSlot,
    ...localGet(END),
    ...i32Store(),
  ]),
  ...i32Const(0),
  ...localSet(J),
  ...[8, 4, 2, 1].flatMap((vectors) =>
    continueJ(e, vectors * e.lanes, forRows(e, vectorOutputs(e, vectors)))
  ),
  // Half a vector where that is more than one column (float32: two).
  ...(e.lanes > 2 ? continueJ(e, e.lanes / 2, forRows(e, vectorOutputs(e, 1, true))) : []),
  ...continueJ(e, 1, forRows(e, scalarOutput(e))),
];

/** Keep x ≠ 0 (NaN included, ±0 left out): the plain loop's test. */
const keepNonZero = (e: Element): Code => [...localGet(V), ...e.zero, ...e.ne];

/**
 * Keep ReLU(x) ≠ 0, i.e. x > 0 or NaN (NaN < 0 is false, so the ReLU keeps it), reading the layer
 * before's outputs before their ReLU: the values kept are the ReLU's own, and the zeros it would
 * write are left out as the plain loop leaves them out.
 */
const keepPositive = (e: Element): Code => [...localGet(V), ...e.zero, ...e.le, ...i32Eqz];

const PAGE = 65536;

/** `dense`'s signature: byte addresses and sizes (see its parameters above). */
type DenseFunction = (...args: number[]) => void;

interface Kernel {
  readonly memory: WebAssembly.Memory;
  /** Inputs x ≠ 0 are summed: any input. */
  readonly dense: DenseFunction;
  /** Inputs x > 0 or NaN are summed: the outputs of a layer before its ReLU. */
  readonly denseAfterRelu: DenseFunction;
  /** The stack whose weights are at the start of memory. */
  resident: DenseStack | null;
  /** The memory as elements (made again when growing the memory replaces its buffer). */
  view: Float64Array | Float32Array;
}

const kernels: Partial<Record<DensePrecision, Kernel>> = {};

/** The element's typed array over `buffer`. */
const elementView = (precision: DensePrecision, buffer: ArrayBufferLike) =>
  precision === "float64" ? new Float64Array(buffer) : new Float32Array(buffer);

/**
 * The WebAssembly module of the dense layers in `precision`, as assembled (its text form is
 * src/kernels/wat/dense-PRECISION.wat, which a test ties to these bytes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denseKernelBytes } from "./dense_simd.ts";
 * const bytes = denseKernelBytes("float32");
 * assert.ok(WebAssembly.validate(bytes), "a valid module");
 * ```
 */
export function denseKernelBytes(precision: DensePrecision): Uint8Array<ArrayBuffer> {
  const e = ELEMENTS[precision];
  const dense = (name: string, keep: Code) => ({
    name,
    params: PARAMS,
    locals: locals(e),
    body: denseBody(e, keep),
  });
  return wasmModule([
    dense("dense", keepNonZero(e)),
    dense("denseAfterRelu", keepPositive(e)),
  ], 1);
}

function compiled(precision: DensePrecision): Kernel {
  const made = kernels[precision];
  if (made !== undefined) return made;
  const bytes = denseKernelBytes(precision);
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const memory = exports.memory as WebAssembly.Memory;
  const kernel: Kernel = {
    memory,
    dense: exports.dense as DenseFunction,
    denseAfterRelu: exports.denseAfterRelu as DenseFunction,
    resident: null,
    view: elementView(precision, memory.buffer),
  };
  kernels[precision] = kernel;
  return kernel;
}

/**
 * A stack of dense layers of widths `sizes` (sizes[0] inputs, then each layer's outputs) with
 * parameters `params` = W₀, b₀, W₁, b₁, … (float32, each W row-major [fan_in, fan_out]), computed
 * in `precision` (float64 by default). The parameters are converted once and kept: later changes
 * to `params` do not reach it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DenseStack } from "./dense_simd.ts";
 * // One layer: row 0 is 0.5 + 2·1 + 3·(−1) and 0 + 2·10 + 3·20; row 1's zero inputs are left
 * // out, so its outputs are the biases exactly.
 * const params = [new Float32Array([1, 10, -1, 20]), new Float32Array([0.5, 0])];
 * const out = new DenseStack([2, 2], params).forward(new Float64Array([2, 3, 0, 0]), 2);
 * assert.equal(out.join(), "-0.5,80,0.5,0", out.join());
 * // In float32 the input 0.1 is rounded to float32 first, and so is every product and sum.
 * const f32 = new DenseStack([2, 2], params, "float32").forward(new Float64Array([0.1, 0, 0, 0]), 1);
 * assert.equal(f32[0], Math.fround(0.5 + Math.fround(0.1)), f32.join());
 * ```
 */
export class DenseStack {
  readonly #sizes: readonly number[];
  readonly #precision: DensePrecision;
  /** W₀, b₀, W₁, b₁, … in the stack's precision, contiguous. */
  readonly #weights: Float64Array | Float32Array;
  /** Element offsets of each Wₖ and bₖ in memory. */
  readonly #at: readonly { w: number; b: number }[];
  readonly #widest: number;

  constructor(
    sizes: readonly number[],
    params: readonly Float32Array[],
    precision: DensePrecision = "float64",
  ) {
    if (sizes.length < 2 || !sizes.every((n) => Number.isInteger(n) && n > 0)) {
      throw new RangeError(`DenseStack: sizes must be two or more positive integers`);
    }
    if (!DENSE_PRECISIONS.includes(precision)) {
      throw new RangeError(
        `DenseStack: precision must be one of ${DENSE_PRECISIONS.join(", ")}, got "${precision}"`,
      );
    }
    const at: { w: number; b: number }[] = [];
    let n = 0;
    for (let k = 0; k + 1 < sizes.length; k++) {
      const w = params[2 * k], b = params[2 * k + 1];
      if (w?.length !== sizes[k] * sizes[k + 1] || b?.length !== sizes[k + 1]) {
        throw new RangeError(
          `DenseStack: layer ${k} needs ${sizes[k]} × ${sizes[k + 1]} weights and ${
            sizes[k + 1]
          } biases`,
        );
      }
      at.push({ w: n, b: n + w.length });
      n += w.length + b.length;
    }
    this.#weights = elementView(precision, new ArrayBuffer(n * 2 ** ELEMENTS[precision].shift));
    for (let k = 0; k < at.length; k++) {
      this.#weights.set(params[2 * k], at[k].w);
      this.#weights.set(params[2 * k + 1], at[k].b);
    }
    this.#sizes = [...sizes];
    this.#precision = precision;
    this.#at = at;
    this.#widest = Math.max(...sizes);
  }

  /** The arithmetic the stack computes in. */
  get precision(): DensePrecision {
    return this.#precision;
  }

  /**
   * The outputs of the last layer for `rows` rows of `input` (row-major, rows × sizes[0]; in
   * float32 each input is first rounded to float32), with `activation` between layers (not after
   * the last): `"relu"`, done inside the kernel (the next layer sums only the inputs whose ReLU is
   * not zero), or a function that replaces layer k's outputs in place (`activate(values, k)`, the
   * values in the stack's precision); none by default. The outputs are returned as float64 (in
   * float32, exactly the float32 results).
   */
  forward(
    input: Float64Array,
    rows: number,
    activation: "relu" | ((values: Float64Array | Float32Array, layer: number) => void) = () => {},
  ): Float64Array {
    const sizes = this.#sizes;
    if (!Number.isInteger(rows) || rows < 0 || input.length < rows * sizes[0]) {
      throw new RangeError(`DenseStack: ${rows} rows of ${sizes[0]} inputs expected`);
    }
    const precision = this.#precision;
    const bytes = 2 ** ELEMENTS[precision].shift; // of one element
    const k0 = compiled(precision);
    // Elements: the weights; two layer buffers that alternate as input and output. Then, in bytes,
    // every row's gathered inputs (16-byte aligned) and the end of each row's list (an i32 each).
    const widest = this.#widest;
    const ping = this.#weights.length, pong = ping + rows * widest;
    const keptAt = Math.ceil((pong + rows * widest) * bytes / 16) * 16;
    const endsAt = keptAt + rows * widest * 2 * bytes;
    const end = endsAt + 4 * rows;
    const memory = k0.memory;
    let buffer = memory.buffer;
    if (end > buffer.byteLength) {
      memory.grow(Math.ceil((end - buffer.byteLength) / PAGE));
      buffer = memory.buffer;
    }
    if (k0.view.buffer !== buffer) k0.view = elementView(precision, buffer);
    const view = k0.view;
    if (k0.resident !== this) {
      view.set(this.#weights, 0);
      k0.resident = this;
    }
    const n = rows * sizes[0];
    view.set(input.length === n ? input : input.subarray(0, n), ping);
    let from = ping, to = pong;
    for (let k = 0; k + 1 < sizes.length; k++) {
      const nOut = sizes[k + 1];
      const dense = activation === "relu" && k > 0 ? k0.denseAfterRelu : k0.dense;
      const { w, b } = this.#at[k];
      dense(from * bytes, rows, sizes[k], w * bytes, b * bytes, nOut, to * bytes, keptAt, endsAt);
      if (k + 2 < sizes.length && activation !== "relu") {
        activation(view.subarray(to, to + rows * nOut), k);
      }
      [from, to] = [to, from];
    }
    const m = rows * sizes[sizes.length - 1];
    if (view instanceof Float64Array) return view.slice(from, from + m);
    const out = new Float64Array(m);
    for (let q = 0; q < m; q++) out[q] = view[from + q];
    return out;
  }
}

/**
 * One dense layer, out[r, j] = b[j] + Σ_{i: x[r, i] ≠ 0} x[r, i]·w[i, j], for `rows` rows of
 * `input` (row-major, rows × nIn) with `w` row-major [nIn, nOut], in `precision` (float64 by
 * default): the bits of the plain loop in that precision (module documentation).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denseLayer } from "./dense_simd.ts";
 * const w = new Float32Array([1, 10, -1, 20]), b = new Float32Array([0.5, 0]);
 * const out = denseLayer(new Float64Array([2, 3, 0, 0]), 2, 2, w, b, 2);
 * assert.equal(out.join(), "-0.5,80,0.5,0", out.join());
 * ```
 */
export function denseLayer(
  input: Float64Array,
  rows: number,
  nIn: number,
  w: Float32Array,
  b: Float32Array,
  nOut: number,
  precision: DensePrecision = "float64",
): Float64Array {
  return new DenseStack([nIn, nOut], [w, b], precision).forward(input, rows);
}
