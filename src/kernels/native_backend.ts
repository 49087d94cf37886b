/**
 * The `native` TensorFlow.js backend: the WebAssembly backend with its matrix products on OpenBLAS.
 *
 * Registered under its own name in TensorFlow.js' backend and kernel registries, it shares the
 * WebAssembly backend's instance (tensors live in the same WebAssembly memory) and every kernel of
 * it but one: `BatchMatMul`, which calls OpenBLAS' `cblas_sgemm` on views of that memory. It adds
 * the fused kernels of the explicit derivatives (`native_fused_kernels.ts`, `fused_ops.ts`). Products
 * of the learner's shapes run several times faster than XNNPACK in WebAssembly; the bytes are
 * OpenBLAS' own, repeatable on one machine and not across processor models (see `openblas.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-wasm";
import { loadOpenBlas, type OpenBlas } from "./openblas.ts";
import { nativeFusedKernels } from "./native_fused_kernels.ts";

/** The name the native backend is registered under. */
export const NATIVE_BACKEND = "native";

/** Row-major strides of `shape`. */
function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

/**
 * For each matrix of a broadcast batch product, the index of the matrix of `a` and of `b` it
 * takes: `outer` is the output's batch shape, `aOuter`/`bOuter` the operands' (right-aligned,
 * size-1 dimensions broadcast).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { broadcastBatchIndices } from "./native_backend.ts";
 * const { a, b } = broadcastBatchIndices([2, 3], [2, 1], [3]);
 * assert.equal(a.join(), "0,0,0,1,1,1", "broadcast");
 * assert.equal(b.join(), "0,1,2,0,1,2", "broadcast");
 * ```
 */
export function broadcastBatchIndices(
  outer: readonly number[],
  aOuter: readonly number[],
  bOuter: readonly number[],
): { a: number[]; b: number[] } {
  const count = outer.reduce((p, d) => p * d, 1);
  const outStrides = strides(outer);
  const map = (operand: readonly number[]) => {
    const opStrides = strides(operand);
    const offset = outer.length - operand.length;
    const indices = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      let index = 0;
      for (let d = 0; d < operand.length; d++) {
        const coordinate = Math.floor(i / outStrides[d + offset]) % outer[d + offset];
        if (operand[d] !== 1) index += coordinate * opStrides[d];
      }
      indices[i] = index;
    }
    return indices;
  };
  return { a: map(aOuter), b: map(bOuter) };
}

type MatMulArgs = {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean };
};

/** The `BatchMatMul` kernel on OpenBLAS, with tfjs' shape rules (transposes, broadcast batches). */
function batchMatMulKernel(blas: OpenBlas) {
  return ({ inputs: { a, b }, backend, attrs: { transposeA, transposeB } }: MatMulArgs) => {
    if (a.dtype !== "float32" || b.dtype !== "float32") {
      throw new Error(
        `BatchMatMul on the native backend takes float32, got ${a.dtype}, ${b.dtype}`,
      );
    }
    const ra = a.shape.length, rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (k !== kb) {
      throw new Error(
        `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ` +
          `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
      );
    }
    const aOuter = a.shape.slice(0, -2), bOuter = b.shape.slice(0, -2);
    const outer = tf.backend_util.assertAndGetBroadcastShape(aOuter, bOuter);
    const out = backend.makeOutput([...outer, m, n], "float32");
    // Views are taken after the allocation: growing WebAssembly memory detaches older ones.
    const av = backend.typedArrayFromHeap(a) as Float32Array;
    const bv = backend.typedArrayFromHeap(b) as Float32Array;
    const cv = backend.typedArrayFromHeap(out) as Float32Array;
    if (cv.length === 0) return out;
    if (k === 0) {
      cv.fill(0);
      return out;
    }
    const { a: ai, b: bi } = broadcastBatchIndices(outer, aOuter, bOuter);
    const aSize = m * k, bSize = k * n, cSize = m * n;
    for (let i = 0; i < ai.length; i++) {
      blas.sgemm(
        transposeA,
        transposeB,
        m,
        n,
        k,
        av.subarray(ai[i] * aSize, (ai[i] + 1) * aSize),
        bv.subarray(bi[i] * bSize, (bi[i] + 1) * bSize),
        cv.subarray(i * cSize, (i + 1) * cSize),
      );
    }
    return out;
  };
}

let registered: OpenBlas | undefined;

/**
 * Register the `native` backend (once per thread) and return the OpenBLAS it runs on. The
 * WebAssembly backend is initialised first, since `native` shares its instance.
 *
 * Throws the one-line error of {@linkcode loadOpenBlas} when OpenBLAS is missing or FFI is not
 * allowed.
 *
 * @example
 * ```ts ignore
 * import { registerNativeBackend } from "./native_backend.ts";
 * const blas = await registerNativeBackend(); // needs OpenBLAS and --allow-ffi
 * console.log(blas.config);
 * ```
 */
export async function registerNativeBackend(): Promise<OpenBlas> {
  if (registered) return registered;
  const blas = loadOpenBlas();
  const previous = tf.getBackend();
  if (!(await tf.setBackend("wasm"))) throw new Error(`backend "wasm" failed to initialise`);
  const wasm = tf.backend();
  if (previous && previous !== "wasm") await tf.setBackend(previous);
  tf.registerBackend(NATIVE_BACKEND, () => wasm, -1);
  for (const kernel of tf.getKernelsForBackend("wasm")) {
    if (kernel.kernelName === tf.BatchMatMul) continue;
    tf.registerKernel({ ...kernel, backendName: NATIVE_BACKEND });
  }
  tf.registerKernel({
    kernelName: tf.BatchMatMul,
    backendName: NATIVE_BACKEND,
    kernelFunc: batchMatMulKernel(blas) as unknown as tf.KernelFunc,
  });
  for (const kernel of nativeFusedKernels(NATIVE_BACKEND, wasm as BackendWasm, blas)) {
    tf.registerKernel(kernel);
  }
  registered = blas;
  return blas;
}
