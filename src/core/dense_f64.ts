/**
 * Dense layers in float64 on WebAssembly SIMD, with the bits of the plain loop:
 *
 *     out[r, j] = b[j] + Σ_{i: x[r, i] ≠ 0} x[r, i]·w[i, j]   (summed in increasing i)
 *
 * each product rounded, then each sum (no fused multiply-add). For every row the inputs that are
 * not zero are gathered first, without a branch (a ReLU's zeros cost nothing); then, a block of up
 * to sixteen columns at a time and for every row in turn (the block's weights stay in the nearest
 * cache), the row's outputs accumulate in f64x2 registers, every lane an IEEE float64 multiply and
 * add in the same order as the scalar loop, so the result is bit for bit that loop's, on every
 * machine. A hidden layer's ReLU is done by the next layer's gather, which keeps the inputs that are
 * positive or NaN: the ReLU's nonzero outputs, with its values.
 *
 * Weights arrive as float32 (a policy's parameters). {@linkcode DenseStackF64} converts them to
 * float64 once, when it is made, and keeps them; the module's memory holds the stack used last, so
 * the many forward passes of one sampling run copy no weights at all.
 *
 * @module
 */
import {
  block,
  br,
  brIf,
  type Code,
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
  V128,
  v128Load,
  v128Store,
  wasmModule,
} from "./wasm_assembler.ts";

// Parameters of `dense` (byte addresses and sizes), then its locals.
const IN = 0, ROWS = 1, N_IN = 2, W = 3, B = 4, N_OUT = 5, OUT = 6, KEPT = 7, ENDS = 8;
const R = 9, I = 10, J = 11, T = 12, END = 13, ROW_IN = 14, ROW_OUT = 15, P = 16, JB = 17;
const LIST = 18, V = 19, ACC = 20;
const SPLAT = 21, A = [22, 23, 24, 25, 26, 27, 28, 29];
/** The parameters' and the locals' types, in order. */
const PARAMS = Array(9).fill(I32);
const LOCALS = [...Array(10).fill(I32), F64, F64, ...Array(1 + A.length).fill(V128)];
/** Bytes of one gathered input (2^KEPT_SHIFT): its value (float64), then its row of w's address. */
const KEPT_SHIFT = 4, KEPT_BYTES = 1 << KEPT_SHIFT;

/** base + 8·index (the address of float64 element `index`). */
const f64Address = (base: Code, index: Code): Code => [
  ...base,
  ...index,
  ...i32Const(3),
  ...i32Shl,
  ...i32Add,
];

/** Where row r's list of gathered inputs starts: KEPT + r·nIn entries. */
const listStart: Code = [
  ...localGet(KEPT),
  ...localGet(R),
  ...localGet(N_IN),
  ...i32Mul,
  ...i32Const(KEPT_SHIFT),
  ...i32Shl,
  ...i32Add,
];

/** Where the end of row r's list is kept: ENDS + 4·r (an i32). */
const endSlot: Code = [...localGet(ENDS), ...localGet(R), ...i32Const(2), ...i32Shl, ...i32Add];

/** For each gathered input t (T its entry), from the first to the last: `body`. */
const forKept = (body: Code): Code => forRange(T, localGet(LIST), localGet(END), KEPT_BYTES, body);

/** Outputs j … j + 2·pairs − 1 of the current row, `pairs` f64x2 accumulators. */
function vectorOutputs(pairs: number): Code {
  const acc = A.slice(0, pairs);
  return [
    // The biases of outputs j, j + 1, … as the accumulators' start.
    ...acc.flatMap((a, k) => [
      ...localGet(B),
      ...localGet(JB),
      ...i32Add,
      ...v128Load(16 * k),
      ...localSet(a),
    ]),
    ...forKept([
      ...localGet(T),
      ...f64Load(),
      ...f64x2Splat,
      ...localSet(SPLAT),
      // w[i_t, j]: the address of row i_t, plus 8·j.
      ...localGet(T),
      ...i32Load(8),
      ...localGet(JB),
      ...i32Add,
      ...localSet(P),
      ...acc.flatMap((a, k) => [
        ...localGet(a),
        ...localGet(SPLAT),
        ...localGet(P),
        ...v128Load(16 * k),
        ...f64x2Mul,
        ...f64x2Add,
        ...localSet(a),
      ]),
    ]),
    ...acc.flatMap((a, k) => [
      ...localGet(ROW_OUT),
      ...localGet(JB),
      ...i32Add,
      ...localGet(a),
      ...v128Store(16 * k),
    ]),
  ];
}

/** Output j of the current row, in a scalar. */
const scalarOutput: Code = [
  ...localGet(B),
  ...localGet(JB),
  ...i32Add,
  ...f64Load(),
  ...localSet(ACC),
  ...forKept([
    ...localGet(ACC),
    ...localGet(T),
    ...f64Load(),
    ...localGet(T),
    ...i32Load(8),
    ...localGet(JB),
    ...i32Add,
    ...f64Load(),
    ...f64Mul,
    ...f64Add,
    ...localSet(ACC),
  ]),
  ...localGet(ROW_OUT),
  ...localGet(JB),
  ...i32Add,
  ...localGet(ACC),
  ...f64Store(),
];

/**
 * Outputs from j on, `step` at a time while j + step ≤ nOut (JB = 8·j, their byte offset); j is
 * left at the first not done.
 */
const continueJ = (step: number, body: Code): Code =>
  block(loop([
    ...localGet(J),
    ...i32Const(step - 1),
    ...i32Add,
    ...localGet(N_OUT),
    ...i32GeS,
    ...brIf(1),
    ...localGet(J),
    ...i32Const(3),
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
const forRows = (body: Code): Code =>
  forRange(R, i32Const(0), localGet(ROWS), 1, [
    ...f64Address(localGet(OUT), [...localGet(R), ...localGet(N_OUT), ...i32Mul]),
    ...localSet(ROW_OUT),
    ...listStart,
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
 * time for every row, so that the block's weights stay in the nearest cache across the rows.
 */
const denseBody = (keep: Code): Code => [
  ...forRange(R, i32Const(0), localGet(ROWS), 1, [
    // Row r's input (element r·nIn) and its list (entry r·nIn).
    ...f64Address(localGet(IN), [...localGet(R), ...localGet(N_IN), ...i32Mul]),
    ...localSet(ROW_IN),
    ...listStart,
    ...localSet(END),
    // The kept inputs x_i, each with the address of row i of w, in increasing i.
    ...forRange(I, i32Const(0), localGet(N_IN), 1, [
      ...f64Address(localGet(ROW_IN), localGet(I)),
      ...f64Load(),
      ...localSet(V),
      ...localGet(END),
      ...localGet(V),
      ...f64Store(),
      ...localGet(END),
      ...f64Address(localGet(W), [...localGet(I), ...localGet(N_OUT), ...i32Mul]),
      ...i32Store(8),
      ...localGet(END),
      ...keep,
      ...i32Const(KEPT_SHIFT),
      ...i32Shl,
      ...i32Add,
      ...localSet(END),
    ]),
    ...endSlot,
    ...localGet(END),
    ...i32Store(),
  ]),
  ...i32Const(0),
  ...localSet(J),
  ...continueJ(16, forRows(vectorOutputs(8))),
  ...continueJ(8, forRows(vectorOutputs(4))),
  ...continueJ(4, forRows(vectorOutputs(2))),
  ...continueJ(2, forRows(vectorOutputs(1))),
  ...continueJ(1, forRows(scalarOutput)),
];

/** Keep x ≠ 0 (NaN included, ±0 left out): the plain loop's test. */
const keepNonZero: Code = [...localGet(V), ...f64Zero, ...f64Ne];

/**
 * Keep ReLU(x) ≠ 0, i.e. x > 0 or NaN (NaN < 0 is false, so the ReLU keeps it), reading the layer
 * before's outputs before their ReLU: the values kept are the ReLU's own, and the zeros it would
 * write are left out as the plain loop leaves them out.
 */
const keepPositive: Code = [...localGet(V), ...f64Zero, ...f64Le, ...i32Eqz];

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
  resident: DenseStackF64 | null;
  /** The memory as float64 (made again when growing the memory replaces its buffer). */
  view: Float64Array;
}

let kernel: Kernel | null = null;

function compiled(): Kernel {
  if (kernel === null) {
    const dense = (name: string, keep: Code) => ({
      name,
      params: PARAMS,
      locals: LOCALS,
      body: denseBody(keep),
    });
    const bytes = wasmModule([
      dense("dense", keepNonZero),
      dense("denseAfterRelu", keepPositive),
    ], 1);
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const memory = exports.memory as WebAssembly.Memory;
    kernel = {
      memory,
      dense: exports.dense as DenseFunction,
      denseAfterRelu: exports.denseAfterRelu as DenseFunction,
      resident: null,
      view: new Float64Array(memory.buffer),
    };
  }
  return kernel;
}

/**
 * A stack of dense layers of widths `sizes` (sizes[0] inputs, then each layer's outputs) with
 * parameters `params` = W₀, b₀, W₁, b₁, … (float32, each W row-major [fan_in, fan_out]), converted
 * to float64 once and kept: later changes to `params` do not reach it.
 *
 * @example
 * ```ts
 * import { DenseStackF64 } from "./dense_f64.ts";
 * // One layer: row 0 is 0.5 + 2·1 + 3·(−1) and 0 + 2·10 + 3·20; row 1's zero inputs are left
 * // out, so its outputs are the biases exactly.
 * const stack = new DenseStackF64([2, 2], [new Float32Array([1, 10, -1, 20]),
 *   new Float32Array([0.5, 0])]);
 * const out = stack.forward(new Float64Array([2, 3, 0, 0]), 2);
 * if (out.join() !== "-0.5,80,0.5,0") throw new Error(out.join());
 * ```
 */
export class DenseStackF64 {
  readonly #sizes: readonly number[];
  /** W₀, b₀, W₁, b₁, … in float64, contiguous. */
  readonly #weights: Float64Array;
  /** Byte offsets of each Wₖ and bₖ in memory. */
  readonly #at: readonly { w: number; b: number }[];
  readonly #widest: number;

  constructor(sizes: readonly number[], params: readonly Float32Array[]) {
    if (sizes.length < 2 || !sizes.every((n) => Number.isInteger(n) && n > 0)) {
      throw new RangeError(`DenseStackF64: sizes must be two or more positive integers`);
    }
    const at: { w: number; b: number }[] = [];
    let n = 0;
    for (let k = 0; k + 1 < sizes.length; k++) {
      const w = params[2 * k], b = params[2 * k + 1];
      if (w?.length !== sizes[k] * sizes[k + 1] || b?.length !== sizes[k + 1]) {
        throw new RangeError(
          `DenseStackF64: layer ${k} needs ${sizes[k]} × ${sizes[k + 1]} weights and ${
            sizes[k + 1]
          } biases`,
        );
      }
      at.push({ w: 8 * n, b: 8 * (n + w.length) });
      n += w.length + b.length;
    }
    this.#weights = new Float64Array(n);
    for (let k = 0; k < at.length; k++) {
      this.#weights.set(params[2 * k], at[k].w / 8);
      this.#weights.set(params[2 * k + 1], at[k].b / 8);
    }
    this.#sizes = [...sizes];
    this.#at = at;
    this.#widest = Math.max(...sizes);
  }

  /**
   * The outputs of the last layer for `rows` rows of `input` (row-major, rows × sizes[0]), with
   * `activation` between layers (not after the last): `"relu"`, done inside the kernel (the next
   * layer sums only the inputs whose ReLU is not zero), or a function that replaces layer k's
   * outputs in place (`activate(values, k)`); none by default.
   */
  forward(
    input: Float64Array,
    rows: number,
    activation: "relu" | ((values: Float64Array, layer: number) => void) = () => {},
  ): Float64Array {
    const sizes = this.#sizes;
    if (!Number.isInteger(rows) || rows < 0 || input.length < rows * sizes[0]) {
      throw new RangeError(`DenseStackF64: ${rows} rows of ${sizes[0]} inputs expected`);
    }
    const k0 = compiled();
    // Bytes: the weights; two layer buffers that alternate as input and output; every row's
    // gathered inputs (KEPT_BYTES each, 16-byte aligned) and the end of each row's list (i32).
    const widest = this.#widest;
    const ping = 8 * this.#weights.length, pong = ping + 8 * rows * widest;
    const keptAt = Math.ceil((pong + 8 * rows * widest) / 16) * 16;
    const endsAt = keptAt + KEPT_BYTES * rows * widest;
    const end = endsAt + 4 * rows;
    const memory = k0.memory;
    if (end > memory.buffer.byteLength) {
      memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
    }
    if (k0.view.buffer !== memory.buffer) k0.view = new Float64Array(memory.buffer);
    const view = k0.view;
    if (k0.resident !== this) {
      view.set(this.#weights, 0);
      k0.resident = this;
    }
    view.set(input.subarray(0, rows * sizes[0]), ping / 8);
    let from = ping, to = pong;
    for (let k = 0; k + 1 < sizes.length; k++) {
      const nOut = sizes[k + 1];
      const dense = activation === "relu" && k > 0 ? k0.denseAfterRelu : k0.dense;
      dense(from, rows, sizes[k], this.#at[k].w, this.#at[k].b, nOut, to, keptAt, endsAt);
      if (k + 2 < sizes.length && activation !== "relu") {
        activation(view.subarray(to / 8, to / 8 + rows * nOut), k);
      }
      [from, to] = [to, from];
    }
    return view.slice(from / 8, from / 8 + rows * sizes[sizes.length - 1]);
  }
}

/**
 * One dense layer, out[r, j] = b[j] + Σ_{i: x[r, i] ≠ 0} x[r, i]·w[i, j], for `rows` rows of
 * `input` (row-major, rows × nIn) with `w` row-major [nIn, nOut]: the bits of the plain float64
 * loop (module documentation).
 *
 * @example
 * ```ts
 * import { denseF64 } from "./dense_f64.ts";
 * const w = new Float32Array([1, 10, -1, 20]), b = new Float32Array([0.5, 0]);
 * const out = denseF64(new Float64Array([2, 3, 0, 0]), 2, 2, w, b, 2);
 * if (out.join() !== "-0.5,80,0.5,0") throw new Error(out.join());
 * ```
 */
export function denseF64(
  input: Float64Array,
  rows: number,
  nIn: number,
  w: Float32Array,
  b: Float32Array,
  nOut: number,
): Float64Array {
  return new DenseStackF64([nIn, nOut], [w, b]).forward(input, rows);
}
