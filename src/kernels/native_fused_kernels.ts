/**
 * The `native` backend's fused kernels (see `fused_ops.ts` for the ops and their definitions).
 *
 * `SgmrlReluWithOnes` is one pass of WebAssembly SIMD over its input, run on the WebAssembly
 * backend's own memory (the module imports it), where the composed ops take three (relu, the
 * concatenation with ones, step); `SgmrlMatMulSum` is one or two OpenBLAS products into one
 * output, the second added by the product itself (β = 1) instead of by a separate addition, then
 * multiplied by a mask in place; the three Gaussian-head kernels are one loop over the N × act
 * values each, in float64 rounded once to float32, where the composed ops take 6 to 17 kernels.
 * Their bytes are the native backend's: the ReLU pass computes what `tf.relu`, `tf.step` and
 * `tf.concat` compute, bit for bit (a NaN's payload aside), and so does the mask what `tf.mul`
 * computes; a sum of two
 * products rounds as OpenBLAS accumulates, and the head as float64 does.
 *
 * @module
 */
import type * as tfType from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { OpenBlas } from "./openblas.ts";
import {
  type Code,
  F32,
  f32Const,
  f32Gt,
  f32Load,
  f32Max,
  f32Mul,
  f32Ne,
  f32Store,
  f32x4Gt,
  f32x4Max,
  f32x4Mul,
  f32x4Ne,
  f32x4Splat,
  forRange,
  I32,
  i32Add,
  i32Const,
  i32Shl,
  localGet,
  localSet,
  scaledAddress,
  select,
  V128,
  v128And,
  v128Bitselect,
  v128Load,
  v128Store,
  wasmModule,
} from "./wasm_assembler.ts";

/** The kernel name of {@linkcode reluWithOnes} (`fused_ops.ts`). */
export const RELU_WITH_ONES = "SgmrlReluWithOnes";
/** The kernel name of {@linkcode matMulSum} (`fused_ops.ts`): one or two products, a mask. */
export const MAT_MUL_SUM = "SgmrlMatMulSum";
/** The kernel name of {@linkcode gaussianHead} (`fused_ops.ts`). */
export const GAUSSIAN_HEAD = "SgmrlGaussianHead";
/** The kernel name of {@linkcode gaussianScore} (`fused_ops.ts`). */
export const GAUSSIAN_SCORE = "SgmrlGaussianScore";
/** The kernel name of {@linkcode gaussianScoreR} (`fused_ops.ts`). */
export const GAUSSIAN_SCORE_R = "SgmrlGaussianScoreR";

// reluWithOnes(src, dst, slope, rows, cols): byte addresses of a rows × cols input, the
// rows × (cols + 1) output and the rows × cols slope.
const [SRC, DST, SLOPE, ROWS, COLS] = [0, 1, 2, 3, 4];
const [ROW, COL, X, ZERO, ONE, XS] = [5, 6, 7, 8, 9, 10];

/** The address of float `index` (a local) from `base` (a local). */
const at = (base: number, index: number): Code => scaledAddress(localGet(base), localGet(index), 2);
const advance = (local: number, bytesPerRow: Code): Code => [
  ...localGet(local),
  ...bytesPerRow,
  ...i32Add,
  ...localSet(local),
];

/**
 * ReLU as `tf.relu` computes it (max(x, 0): NaN for NaN, x above 0, else +0), the step as `tf.step`
 * (NaN for NaN, 1 above 0, else 0): four lanes at a time, then single columns.
 */
const RELU_WITH_ONES_BODY: Code = [
  ...f32Const(0),
  ...f32x4Splat,
  ...localSet(ZERO),
  ...f32Const(1),
  ...f32x4Splat,
  ...localSet(ONE),
  ...forRange(ROW, i32Const(0), localGet(ROWS), 1, [
    ...forRange(COL, i32Const(0), localGet(COLS), 4, [
      ...at(SRC, COL),
      ...v128Load(),
      ...localSet(X),
      ...at(DST, COL),
      ...localGet(X),
      ...localGet(ZERO),
      ...f32x4Max,
      ...v128Store(),
      ...at(SLOPE, COL),
      ...localGet(X),
      ...localGet(X),
      ...localGet(ZERO),
      ...f32x4Gt,
      ...localGet(ONE),
      ...v128And,
      ...localGet(X),
      ...localGet(X),
      ...f32x4Ne,
      ...v128Bitselect,
      ...v128Store(),
    ]),
    ...forRange(COL, localGet(COL), localGet(COLS), 1, [
      ...at(SRC, COL),
      ...f32Load(),
      ...localSet(XS),
      ...at(DST, COL),
      ...localGet(XS),
      ...f32Const(0),
      ...f32Max,
      ...f32Store(),
      ...at(SLOPE, COL),
      ...f32Const(1),
      ...localGet(XS),
      ...f32Const(0),
      ...localGet(XS),
      ...localGet(XS),
      ...f32Ne,
      ...select,
      ...localGet(XS),
      ...f32Const(0),
      ...f32Gt,
      ...select,
      ...f32Store(),
    ]),
    ...at(DST, COLS),
    ...f32Const(1),
    ...f32Store(),
    ...advance(SRC, [...localGet(COLS), ...i32Const(2), ...i32Shl]),
    ...advance(SLOPE, [...localGet(COLS), ...i32Const(2), ...i32Shl]),
    ...advance(DST, [...localGet(COLS), ...i32Const(1), ...i32Add, ...i32Const(2), ...i32Shl]),
  ]),
];

// multiplyInPlace(dst, src, count): dst[i] ← dst[i]·src[i] for count floats at byte addresses.
const [M_DST, M_SRC, M_COUNT, M_I] = [0, 1, 2, 3];
const MULTIPLY_IN_PLACE_BODY: Code = [
  ...forRange(M_I, i32Const(0), localGet(M_COUNT), 4, [
    ...at(M_DST, M_I),
    ...at(M_DST, M_I),
    ...v128Load(),
    ...at(M_SRC, M_I),
    ...v128Load(),
    ...f32x4Mul,
    ...v128Store(),
  ]),
  ...forRange(M_I, localGet(M_I), localGet(M_COUNT), 1, [
    ...at(M_DST, M_I),
    ...at(M_DST, M_I),
    ...f32Load(),
    ...at(M_SRC, M_I),
    ...f32Load(),
    ...f32Mul,
    ...f32Store(),
  ]),
];

interface Passes {
  reluWithOnes(src: number, dst: number, slope: number, rows: number, cols: number): void;
  multiplyInPlace(dst: number, src: number, count: number): void;
}

/**
 * The WebAssembly module of the fused kernels' passes, as assembled (its text form is
 * src/kernels/wat/fused-passes.wat, which a test ties to these bytes); it imports its memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fusedPassesBytes } from "./native_fused_kernels.ts";
 * assert.ok(WebAssembly.validate(fusedPassesBytes()), "a valid module");
 * ```
 */
export function fusedPassesBytes(): Uint8Array<ArrayBuffer> {
  return wasmModule(
    [{
      name: "reluWithOnes",
      params: [I32, I32, I32, I32, I32],
      locals: [I32, I32, V128, V128, V128, F32],
      body: RELU_WITH_ONES_BODY,
    }, {
      name: "multiplyInPlace",
      params: [I32, I32, I32],
      locals: [I32],
      body: MULTIPLY_IN_PLACE_BODY,
    }],
    1,
    { importMemory: true },
  );
}

/** The passes compiled against `memory` (the WebAssembly backend's). */
function compilePasses(memory: WebAssembly.Memory): Passes {
  const bytes = fusedPassesBytes();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return instance.exports as unknown as Passes;
}

type KernelArgs<I> = { inputs: I; backend: BackendWasm; attrs: Record<string, unknown> };
type Inputs = Record<string, tfType.TensorInfo>;

/**
 * A tensor's values in the WebAssembly memory; taken after every output of a kernel is allocated,
 * since growing the memory detaches older views.
 */
const view = (backend: BackendWasm) => (t: tfType.TensorInfo) =>
  backend.typedArrayFromHeap(t) as Float32Array;

const offset = (backend: BackendWasm, t: tfType.TensorInfo) =>
  backend.dataIdMap.get(t.dataId)!.memoryOffset;

function assertMatrix(kernel: string, name: string, t: tfType.TensorInfo) {
  if (t.shape.length !== 2 || t.dtype !== "float32") {
    throw new Error(`${kernel}: ${name} must be a float32 matrix, got ${t.dtype} [${t.shape}]`);
  }
}

/**
 * The kernel configurations of the fused ops on the backend `backendName` that shares the
 * WebAssembly backend `wasm`'s memory, with products on `blas`.
 */
export function nativeFusedKernels(
  backendName: string,
  wasm: BackendWasm,
  blas: OpenBlas,
): tfType.KernelConfig[] {
  // deno-lint-ignore no-explicit-any
  const memory = (wasm.wasm as any).asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error(
      `backend "${backendName}": the WebAssembly backend's memory is not where this version of ` +
        `@tensorflow/tfjs-backend-wasm was expected to keep it (Module.asm.memory)`,
    );
  }
  const passes = compilePasses(memory);
  return [
    {
      kernelName: RELU_WITH_ONES,
      backendName,
      kernelFunc: (({ inputs: { x }, backend }: KernelArgs<{ x: tfType.TensorInfo }>) => {
        assertMatrix(RELU_WITH_ONES, "x", x);
        const [rows, cols] = x.shape;
        const output = backend.makeOutput([rows, cols + 1], "float32");
        const slope = backend.makeOutput([rows, cols], "float32");
        if (rows > 0) {
          passes.reluWithOnes(
            offset(backend, x),
            offset(backend, output),
            offset(backend, slope),
            rows,
            cols,
          );
        }
        return [output, slope];
      }) as unknown as tfType.KernelFunc,
    },
    {
      kernelName: MAT_MUL_SUM,
      backendName,
      kernelFunc: (({ inputs, backend, attrs }: KernelArgs<Inputs>) => {
        const transposeA = attrs.transposeA === true, transposeB = attrs.transposeB === true;
        const { mask } = inputs;
        const terms: [tfType.TensorInfo, tfType.TensorInfo][] = [[inputs.a1, inputs.b1]];
        if (inputs.a2 !== undefined) terms.push([inputs.a2, inputs.b2]);
        for (const [name, t] of Object.entries(inputs)) assertMatrix(MAT_MUL_SUM, name, t);
        const dims = terms.map(([a, b]) => ({
          m: transposeA ? a.shape[1] : a.shape[0],
          k: transposeA ? a.shape[0] : a.shape[1],
          kb: transposeB ? b.shape[1] : b.shape[0],
          n: transposeB ? b.shape[0] : b.shape[1],
        }));
        const [{ m, n }] = dims;
        if (
          dims.some((d) => d.k !== d.kb || d.m !== m || d.n !== n) ||
          (mask !== undefined && (mask.shape[0] !== m || mask.shape[1] !== n))
        ) {
          throw new Error(
            `${MAT_MUL_SUM}: shapes ${
              terms.map(([a, b]) => `[${a.shape}]·[${b.shape}]`).join(" + ")
            }` +
              `${mask === undefined ? "" : ` ⊙ [${mask.shape}]`} (transposeA=${transposeA}, ` +
              `transposeB=${transposeB}) do not make one sum`,
          );
        }
        const out = backend.makeOutput([m, n], "float32");
        const values = view(backend);
        const c = values(out);
        if (c.length === 0) return out;
        let written = false;
        for (const [i, [a, b]] of terms.entries()) {
          const { k } = dims[i];
          if (k === 0) continue;
          blas.sgemm(transposeA, transposeB, m, n, k, values(a), values(b), c, written);
          written = true;
        }
        if (!written) c.fill(0);
        if (mask !== undefined) {
          passes.multiplyInPlace(offset(backend, out), offset(backend, mask), m * n);
        }
        return out;
      }) as unknown as tfType.KernelFunc,
    },
    {
      kernelName: GAUSSIAN_HEAD,
      backendName,
      kernelFunc: (({ inputs: { mean, actions, logStd }, backend }: KernelArgs<Inputs>) => {
        const [rows, act] = mean.shape;
        const z = backend.makeOutput([rows, act], "float32");
        const invStd = backend.makeOutput([act], "float32");
        const logProbs = backend.makeOutput([rows, 1], "float32");
        const [m, a, s, zv, e, lp] = [mean, actions, logStd, z, invStd, logProbs].map(
          view(backend),
        );
        const constant = 0.5 * act * Math.log(2 * Math.PI);
        let logStdSum = 0;
        for (let j = 0; j < act; j++) {
          e[j] = Math.exp(-s[j]);
          logStdSum += s[j];
        }
        for (let n = 0, i = 0; n < rows; n++) {
          let sum = 0;
          for (let j = 0; j < act; j++, i++) {
            zv[i] = (a[i] - m[i]) * e[j];
            sum += zv[i] * zv[i];
          }
          lp[n] = -0.5 * sum - logStdSum - constant;
        }
        return [z, invStd, logProbs];
      }) as unknown as tfType.KernelFunc,
    },
    {
      kernelName: GAUSSIAN_SCORE,
      backendName,
      kernelFunc: (({ inputs: { z, invStd, c }, backend }: KernelArgs<Inputs>) => {
        const [rows, act] = z.shape;
        const mean = backend.makeOutput([rows, act], "float32");
        const logStd = backend.makeOutput([act], "float32");
        const [zv, e, cv, g, gs] = [z, invStd, c, mean, logStd].map(view(backend));
        const sums = new Float64Array(act);
        for (let n = 0, i = 0; n < rows; n++) {
          for (let j = 0; j < act; j++, i++) {
            g[i] = zv[i] * e[j] * cv[n];
            sums[j] += cv[n] * (zv[i] * zv[i] - 1);
          }
        }
        gs.set(sums);
        return [mean, logStd];
      }) as unknown as tfType.KernelFunc,
    },
    {
      kernelName: GAUSSIAN_SCORE_R,
      backendName,
      kernelFunc: (({ inputs, backend, attrs }: KernelArgs<Inputs>) => {
        const { z, invStd, c, rMean, vLogStd } = inputs;
        const kappa = attrs.kappa as number;
        const [rows, act] = z.shape;
        const mean = backend.makeOutput([rows, act], "float32");
        const logStd = backend.makeOutput([act], "float32");
        const [zv, e, cv, rm, vs, rg, rs] = [z, invStd, c, rMean, vLogStd, mean, logStd].map(
          view(backend),
        );
        const sums = new Float64Array(act);
        for (let n = 0, i = 0; n < rows; n++) {
          for (let j = 0; j < act; j++, i++) {
            const zi = zv[i], zs = zi * vs[j];
            const rz = -rm[i] * e[j] - zs;
            rg[i] = (rz - zs) * e[j] * cv[n] + kappa * zi * e[j];
            sums[j] += 2 * cv[n] * zi * rz + kappa * (zi * zi - 1);
          }
        }
        rs.set(sums);
        return [mean, logStd];
      }) as unknown as tfType.KernelFunc,
    },
  ];
}
