/**
 * OpenBLAS' single-precision matrix product through Deno's foreign-function interface.
 *
 * The `native` learner backend (see `native_backend.ts`) sends its matrix products here. The
 * library is the system's OpenBLAS (Debian: `libopenblas0-pthread`), found under `/usr/lib` or
 * `/usr/lib64` by absolute path so that `--allow-ffi=/usr/lib,/usr/lib64` is enough, and it runs on
 * one thread: a product's summation order then depends only on its shape and on the kernel
 * OpenBLAS picks for the processor, so results repeat on one machine and may differ between
 * processor models.
 *
 * A build with threading compiled in is required, pinned to one thread: the learner's worker
 * threads call it at the same time, and only such builds lock the buffers OpenBLAS packs matrices
 * into (a single-threaded build, such as Debian's `libopenblas0-serial`, does not, so concurrent
 * products could share a buffer).
 *
 * @module
 */
import { InputError } from "../core/errors.ts";

/** The Debian package that provides the OpenBLAS this module loads first. */
export const OPENBLAS_PACKAGE = "libopenblas0-pthread";

const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32", // order
      "i32", // transA
      "i32", // transB
      "i32", // m
      "i32", // n
      "i32", // k
      "f32", // alpha
      "buffer", // a
      "i32", // lda
      "buffer", // b
      "i32", // ldb
      "f32", // beta
      "buffer", // c
      "i32", // ldc
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_num_threads: { parameters: [], result: "i32" },
  openblas_get_config: { parameters: [], result: "pointer" },
  cblas_scopy: { parameters: ["i32", "pointer", "i32", "buffer", "i32"], result: "void" },
} as const;

/**
 * Single-precision GEMM on row-major matrices: `c ← op(a)·op(b)`, or `c ← c + op(a)·op(b)` with
 * `accumulate`, where `op(a)` is m × k, `op(b)` is k × n and `c` is m × n; `a`, `b`, `c` may be
 * views into any buffer (WebAssembly memory included).
 */
export interface Sgemm {
  (
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate?: boolean,
  ): void;
}

/**
 * A loaded OpenBLAS: its single-precision product, and what it says about itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type OpenBlas } from "./openblas.ts";
 * type Described = Pick<OpenBlas, "path" | "config" | "threads">;
 * const describe = (blas: Described) => `${blas.path}: ${blas.config}, ${blas.threads} thread`;
 * const blas = { path: "/usr/lib/libopenblas.so.0", config: "OpenBLAS 0.3.21", threads: 1 };
 * assert.equal(describe(blas), "/usr/lib/libopenblas.so.0: OpenBLAS 0.3.21, 1 thread");
 * ```
 */
export interface OpenBlas {
  /** `c ← op(a)·op(b)`, or `c ← c + op(a)·op(b)` (row-major, single-threaded). */
  readonly sgemm: Sgemm;
  /** The absolute path of the library that was loaded. */
  readonly path: string;
  /**
   * OpenBLAS' configuration: version, options and, for builds that pick their kernels at run time
   * (Debian's), the processor kernel chosen (for example `Haswell`), which fixes the bytes.
   */
  readonly config: string;
  /** Threads OpenBLAS uses: always 1. */
  readonly threads: number;
}

/**
 * Where this module looks for OpenBLAS, in order: Debian's pthread and OpenMP builds, then the
 * usual library directories of other Linux distributions (a single-threaded build found there is
 * refused when loaded). Absolute paths only, so that a path-scoped `--allow-ffi` covers them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openBlasCandidates } from "./openblas.ts";
 * const paths = openBlasCandidates("linux", "x86_64");
 * assert.equal(
 *   paths[0],
 *   "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
 *   "Debian's pthread build comes first",
 * );
 * ```
 */
export function openBlasCandidates(
  os: string = Deno.build.os,
  arch: string = Deno.build.arch,
): string[] {
  if (os !== "linux") return [];
  const multiarch = `/usr/lib/${arch}-linux-gnu`;
  return [
    `${multiarch}/openblas-pthread/libopenblas.so.0`,
    `${multiarch}/openblas-openmp/libopenblas.so.0`,
    `${multiarch}/libopenblas.so.0`,
    "/usr/lib64/libopenblas.so.0",
    "/usr/lib/libopenblas.so.0",
  ];
}

/**
 * OpenBLAS' configuration string. `openblas_get_config` returns a static 256-byte buffer; it is
 * copied out with `cblas_scopy` (a bit-exact copy), since reading foreign memory directly needs
 * unscoped FFI permission.
 */
function configString(symbols: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"]): string {
  const buffer = new Float32Array(64);
  symbols.cblas_scopy(64, symbols.openblas_get_config(), 1, buffer, 1);
  const bytes = new Uint8Array(buffer.buffer);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end)).trim();
}

const loaded = new Map<string, OpenBlas>();

/**
 * Load OpenBLAS (once per path and thread), pin it to one thread and return its product.
 *
 * Throws an {@linkcode InputError} whose one line names the package to install when no candidate
 * exists or the one found is a single-threaded build, and the permission to add when FFI is not
 * allowed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadOpenBlas } from "./openblas.ts";
 * import { InputError } from "../core/errors.ts";
 * // Names the package to install, or (without FFI permission) the permission to add.
 * assert.throws(() => loadOpenBlas(["/usr/lib/nonexistent-openblas/libopenblas.so.0"]), InputError);
 * ```
 */
export function loadOpenBlas(candidates: readonly string[] = openBlasCandidates()): OpenBlas {
  for (const path of candidates) {
    const known = loaded.get(path);
    if (known) return known;
  }
  let opened: { path: string; lib: Deno.DynamicLibrary<typeof SYMBOLS> } | undefined;
  const denied: string[] = [];
  for (const path of candidates) {
    try {
      opened = { path, lib: Deno.dlopen(path, SYMBOLS) };
      break;
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        denied.push(path);
      }
    }
  }
  if (opened === undefined) {
    if (denied.length > 0 && denied.length === candidates.length) {
      throw new InputError(
        `backend "native" needs permission to load OpenBLAS: use deno task reproduce:native or verify:native (or run with --allow-ffi=/usr/lib,/usr/lib64)`,
      );
    }
    throw new InputError(
      `backend "native" needs OpenBLAS, found in none of ${candidates.join(", ") || "(none)"}: ` +
        `install the Debian package ${OPENBLAS_PACKAGE} (apt-get install ${OPENBLAS_PACKAGE})`,
    );
  }
  const { path, lib } = opened;
  const s = lib.symbols;
  const config = configString(s);
  if (/\bSINGLE_THREADED\b/.test(config)) {
    lib.close();
    throw new InputError(
      `backend "native" needs an OpenBLAS built with threading (called from several threads at once, it must lock its buffers): ${path} is a single-threaded build (${config}); install the Debian package ${OPENBLAS_PACKAGE}`,
    );
  }
  s.openblas_set_num_threads(1);
  const threads = s.openblas_get_num_threads();
  if (threads !== 1) {
    throw new Error(`backend "native": ${path} runs on ${threads} threads after asking for 1`);
  }
  const sgemm: Sgemm = (transA, transB, m, n, k, a, b, c, accumulate = false) => {
    s.cblas_sgemm(
      CBLAS_ROW_MAJOR,
      transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
      transB ? CBLAS_TRANS : CBLAS_NO_TRANS,
      m,
      n,
      k,
      1,
      a,
      transA ? m : k,
      b,
      transB ? k : n,
      accumulate ? 1 : 0,
      c,
      n,
    );
  };
  const blas: OpenBlas = {
    sgemm,
    path,
    config,
    threads,
  };
  loaded.set(path, blas);
  return blas;
}
