/**
 * The native MuJoCo library (Debian's `libmujoco2.2.2`, MuJoCo 2.2.2) through Deno's foreign
 * function interface: the same MJCF models as the WebAssembly engine (src/envs/mujoco.ts), stepped
 * by the compiled C library.
 *
 * Foreign memory is read and written only by the library's and libc's own functions (`memcpy`),
 * never through pointer views, so that a path-scoped `--allow-ffi=/usr/lib,/usr/lib64` is enough.
 * The fields read from `mjModel` and `mjData` are at the offsets of MuJoCo 2.2.2's headers
 * ({@linkcode MUJOCO_222_LAYOUT}); the library's version is checked when it is loaded, and a test
 * re-derives every offset with a C compiler where the headers are installed (`libmujoco-dev`).
 *
 * A {@linkcode NativeModel} owns its `mjModel`, and each {@linkcode NativeData} its `mjData`; both
 * live outside the garbage collector and are freed by `free()`.
 *
 * Constraint rows: MuJoCo 2.2.2 sizes every `mjData` for `njmax` constraint rows, 500 unless the
 * model's `<size njmax>` says otherwise, and `mj_resetData` clears the whole buffer, about 3.2 MB
 * of it the 500² matrix `efc_AR`: 100 µs per reset, 5% of a HalfCheetah sampling run. Where the
 * model leaves `njmax` unset, this module sizes its states for {@linkcode NATIVE_NJMAX} rows
 * instead (the package's models used at most 25); the dynamics do not depend on the size, only a
 * step that needs more rows than there are would (MuJoCo drops that step's constraints with a
 * warning), and such a step throws here instead, for any model.
 *
 * @module
 */
import { InputError } from "../core/errors.ts";

/** The Debian package that provides the library. */
export const NATIVE_MUJOCO_PACKAGE = "libmujoco2.2.2";
/** `mj_version()` of the library whose layout this module knows. */
export const NATIVE_MUJOCO_VERSION = 222;

/**
 * The constraint rows (`njmax`) a native state holds when the model does not set `<size njmax>`
 * (MuJoCo 2.2.2's own default is 500). In 300 episodes of saturated random controls, measured once
 * against the C library, HalfCheetah used at most 25 rows and the swimmer 13; the tests step both
 * models under strong controls within these rows, bit for bit as with 500.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NATIVE_NJMAX } from "./native_mujoco.ts";
 * assert.equal(NATIVE_NJMAX, 100);
 * ```
 */
export const NATIVE_NJMAX = 100;

/**
 * Byte offsets of the fields this module reads, in MuJoCo 2.2.2's `mjModel`, `mjOption` (inside
 * `mjModel` at `model.opt`), `mjData` and `mjVFS` (x86_64 and aarch64 Linux).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MUJOCO_222_LAYOUT } from "./native_mujoco.ts";
 * // mjModel begins with its sizes: nq, nv, nu (ints).
 * assert.deepEqual([MUJOCO_222_LAYOUT.model.nq, MUJOCO_222_LAYOUT.model.nv], [0, 4]);
 * ```
 */
export const MUJOCO_222_LAYOUT = {
  model: {
    nq: 0,
    nv: 4,
    nu: 8,
    nbody: 16,
    njnt: 20,
    ngeom: 24,
    opt: 232,
    body_mass: 1240,
    body_inertia: 1256,
    body_pos: 1208,
    body_quat: 1216,
    body_ipos: 1224,
    body_iquat: 1232,
    jnt_type: 1280,
    jnt_range: 1368,
    jnt_limited: 1320,
    jnt_stiffness: 1360,
    jnt_axis: 1352,
    jnt_pos: 1344,
    qpos0: 1096,
    dof_damping: 1464,
    dof_armature: 1456,
    dof_frictionloss: 1448,
    geom_type: 1488,
    geom_size: 1592,
    geom_pos: 1608,
    geom_quat: 1616,
    geom_friction: 1624,
    geom_contype: 1496,
    geom_conaffinity: 1504,
    geom_condim: 1512,
    geom_solref: 1576,
    geom_solimp: 1584,
    jnt_solref: 1328,
    jnt_solimp: 1336,
    actuator_gear: 2816,
    actuator_ctrlrange: 2792,
    actuator_ctrllimited: 2744,
    actuator_trnid: 2728,
    njmax: 208,
  },
  option: {
    timestep: 0,
    tolerance: 24,
    gravity: 48,
    density: 120,
    viscosity: 128,
    integrator: 200,
    cone: 208,
    jacobian: 212,
    solver: 216,
    iterations: 220,
  },
  data: {
    time: 40336,
    qpos: 40376,
    qvel: 40384,
    ctrl: 40408,
    "warning[mjWARN_CNSTRFULL].number": 44,
  },
  vfs: { size: 2024008, filedata: 2008008 },
} as const;

/** A compiled array's element type, the size it is indexed by, and its width per index. */
export type ArraySpec = readonly [
  "f64" | "i32" | "u8",
  "nbody" | "njnt" | "ngeom" | "nq" | "nv" | "nu",
  number,
];

/** The names of {@linkcode DYNAMICS_ARRAYS}. */
export type DynamicsArray = Exclude<
  keyof typeof MUJOCO_222_LAYOUT.model,
  "nq" | "nv" | "nu" | "nbody" | "njnt" | "ngeom" | "opt" | "njmax"
>;

/**
 * The compiled arrays that shape the dynamics (those the MJCF conformance check compares), with
 * their element type and shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DYNAMICS_ARRAYS } from "./native_mujoco.ts";
 * assert.deepEqual(DYNAMICS_ARRAYS.body_inertia, ["f64", "nbody", 3]);
 * assert.deepEqual(DYNAMICS_ARRAYS.jnt_limited, ["u8", "njnt", 1]);
 * ```
 */
export const DYNAMICS_ARRAYS: Readonly<Record<DynamicsArray, ArraySpec>> = Object.freeze(
  {
    body_mass: ["f64", "nbody", 1],
    body_inertia: ["f64", "nbody", 3],
    body_pos: ["f64", "nbody", 3],
    body_quat: ["f64", "nbody", 4],
    body_ipos: ["f64", "nbody", 3],
    body_iquat: ["f64", "nbody", 4],
    jnt_type: ["i32", "njnt", 1],
    jnt_range: ["f64", "njnt", 2],
    jnt_limited: ["u8", "njnt", 1],
    jnt_stiffness: ["f64", "njnt", 1],
    jnt_axis: ["f64", "njnt", 3],
    jnt_pos: ["f64", "njnt", 3],
    qpos0: ["f64", "nq", 1],
    dof_damping: ["f64", "nv", 1],
    dof_armature: ["f64", "nv", 1],
    dof_frictionloss: ["f64", "nv", 1],
    geom_type: ["i32", "ngeom", 1],
    geom_size: ["f64", "ngeom", 3],
    geom_pos: ["f64", "ngeom", 3],
    geom_quat: ["f64", "ngeom", 4],
    geom_friction: ["f64", "ngeom", 3],
    geom_contype: ["i32", "ngeom", 1],
    geom_conaffinity: ["i32", "ngeom", 1],
    geom_condim: ["i32", "ngeom", 1],
    geom_solref: ["f64", "ngeom", 2],
    geom_solimp: ["f64", "ngeom", 5],
    jnt_solref: ["f64", "njnt", 2],
    jnt_solimp: ["f64", "njnt", 5],
    actuator_gear: ["f64", "nu", 6],
    actuator_ctrlrange: ["f64", "nu", 2],
    actuator_ctrllimited: ["u8", "nu", 1],
    actuator_trnid: ["i32", "nu", 2],
  },
);

const MUJOCO_SYMBOLS = {
  mj_version: { parameters: [], result: "i32" },
  mj_defaultVFS: { parameters: ["buffer"], result: "void" },
  mj_makeEmptyFileVFS: { parameters: ["buffer", "buffer", "i32"], result: "i32" },
  mj_deleteVFS: { parameters: ["buffer"], result: "void" },
  mj_loadXML: { parameters: ["buffer", "buffer", "buffer", "i32"], result: "u64" },
  mj_deleteModel: { parameters: ["u64"], result: "void" },
  mj_makeData: { parameters: ["u64"], result: "u64" },
  mj_deleteData: { parameters: ["u64"], result: "void" },
  mj_resetData: { parameters: ["u64", "u64"], result: "void" },
  mj_forward: { parameters: ["u64", "u64"], result: "void" },
  mj_step: { parameters: ["u64", "u64"], result: "void" },
} as const;

const LIBC_SYMBOLS = {
  // Declared twice: from foreign memory into a buffer, and from a buffer into foreign memory.
  memcpy: { name: "memcpy", parameters: ["buffer", "u64", "usize"], result: "u64" },
  memcpyOut: { name: "memcpy", parameters: ["u64", "buffer", "usize"], result: "u64" },
} as const;

type MujocoSymbols = Deno.DynamicLibrary<typeof MUJOCO_SYMBOLS>["symbols"];
type LibcSymbols = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

/** The loaded native library. */
export interface NativeMujoco {
  /** The absolute path of the library that was loaded. */
  readonly path: string;
  /** `mj_version()`: 222. */
  readonly version: number;
  /**
   * Compile MJCF text (`source` names it in errors); throws an {@linkcode InputError} quoting
   * MuJoCo when it cannot.
   */
  compile(xml: string, source: string): NativeModel;
}

/** The options of a compiled model that the conformance check compares (`mjOption`). */
export interface NativeOption {
  readonly timestep: number;
  readonly tolerance: number;
  readonly gravity: readonly number[];
  readonly density: number;
  readonly viscosity: number;
  readonly integrator: number;
  readonly cone: number;
  readonly jacobian: number;
  readonly solver: number;
  readonly iterations: number;
}

/** A compiled model: its sizes, options and dynamics arrays, and states made from it. */
export interface NativeModel {
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  readonly nbody: number;
  readonly njnt: number;
  readonly ngeom: number;
  /**
   * The constraint rows each state holds (`njmax`): the model's `<size njmax>`, or
   * {@linkcode NATIVE_NJMAX} where it sets none.
   */
  readonly njmax: number;
  /** `opt.timestep` and the other solver and environment options the conformance check reads. */
  readonly option: NativeOption;
  /** A compiled array of {@linkcode DYNAMICS_ARRAYS}, copied out. */
  array(name: DynamicsArray): Float64Array | Int32Array | Uint8Array;
  /** A fresh state (`mj_makeData`), reset. */
  makeData(): NativeData;
  /** `mj_deleteModel` (idempotent); its states must be freed first. */
  free(): void;
}

/**
 * A simulation state. `qpos`, `qvel` and `ctrl` are copies on the JavaScript side: `ctrl` is
 * written to the state before each `step`, and `qpos` and `qvel` are read back after `reset`,
 * `forward` and `step` (`time` is read from the state when asked).
 */
export interface NativeData {
  readonly qpos: Float64Array;
  readonly qvel: Float64Array;
  readonly ctrl: Float64Array;
  /** Simulated seconds since the last reset. */
  readonly time: number;
  /** `mj_resetData`: the model's initial state (qpos0, zero velocities and controls). */
  reset(): void;
  /**
   * Write `qpos` and `qvel` into the state and run `mj_forward`; throws where the state needed
   * more constraint rows than the model's `njmax`.
   */
  forward(): void;
  /** Write `ctrl`, then `mj_step` `steps` times (default 1); throws as `forward` does. */
  step(steps?: number): void;
  /** `mj_deleteData` (idempotent). */
  free(): void;
}

/**
 * Where this module looks for the library: Debian's multiarch directory, then the usual library
 * directories of other distributions. Absolute paths only, so that a path-scoped `--allow-ffi`
 * covers them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nativeMujocoCandidates } from "./native_mujoco.ts";
 * assert.equal(
 *   nativeMujocoCandidates("linux", "x86_64")[0],
 *   "/usr/lib/x86_64-linux-gnu/libmujoco.so.2.2.2",
 * );
 * assert.deepEqual(nativeMujocoCandidates("darwin", "aarch64"), []);
 * ```
 */
export function nativeMujocoCandidates(
  os: string = Deno.build.os,
  arch: string = Deno.build.arch,
): string[] {
  if (os !== "linux") return [];
  return [
    `/usr/lib/${arch}-linux-gnu/libmujoco.so.2.2.2`,
    "/usr/lib64/libmujoco.so.2.2.2",
    "/usr/lib/libmujoco.so.2.2.2",
  ];
}

function libcCandidates(arch: string = Deno.build.arch): string[] {
  return [`/usr/lib/${arch}-linux-gnu/libc.so.6`, "/usr/lib64/libc.so.6", "/usr/lib/libc.so.6"];
}

const PERMISSION_HINT =
  "use deno task reproduce:native or verify:native (or run with --allow-ffi=/usr/lib,/usr/lib64)";

/** dlopen the first candidate that opens; an InputError naming the package or the permission. */
function openFirst<S extends Deno.ForeignLibraryInterface>(
  candidates: readonly string[],
  symbols: S,
  what: string,
): { path: string; lib: Deno.DynamicLibrary<S> } {
  let denied = 0;
  for (const path of candidates) {
    try {
      return { path, lib: Deno.dlopen(path, symbols) };
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        denied++;
      }
    }
  }
  if (denied > 0 && denied === candidates.length) {
    throw new InputError(`physics "native" needs permission to load ${what}: ${PERMISSION_HINT}`);
  }
  throw new InputError(
    `physics "native" needs ${what}, found in none of ${candidates.join(", ") || "(none)"}` +
      (what === "MuJoCo 2.2.2"
        ? `: install the Debian package ${NATIVE_MUJOCO_PACKAGE} (apt-get install ${NATIVE_MUJOCO_PACKAGE})`
        : ""),
  );
}

let loaded: NativeMujoco | undefined;

/**
 * Load the native library (once per thread) and check its version; throws an
 * {@linkcode InputError} whose one line names the package to install, or the permission to add.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadNativeMujoco } from "./native_mujoco.ts";
 * import { InputError } from "../core/errors.ts";
 * // Without the library (or without FFI permission) the error says what to install or allow.
 * assert.throws(() => loadNativeMujoco(["/usr/lib/nonexistent/libmujoco.so.2.2.2"]), InputError);
 * ```
 */
export function loadNativeMujoco(
  candidates: readonly string[] = nativeMujocoCandidates(),
): NativeMujoco {
  if (loaded !== undefined && candidates.includes(loaded.path)) return loaded;
  const { path, lib } = openFirst(candidates, MUJOCO_SYMBOLS, "MuJoCo 2.2.2");
  const version = lib.symbols.mj_version();
  if (version !== NATIVE_MUJOCO_VERSION) {
    lib.close();
    throw new InputError(
      `physics "native" needs MuJoCo 2.2.2 (mj_version 222), ${path} is ${version}: install the Debian package ${NATIVE_MUJOCO_PACKAGE}`,
    );
  }
  const libc = openFirst(libcCandidates(), LIBC_SYMBOLS, "the C library").lib.symbols;
  const mujoco: NativeMujoco = {
    path,
    version,
    compile: (xml, source) => compile(lib.symbols, libc, xml, source),
  };
  loaded = mujoco;
  return mujoco;
}

/** Reads fields of a foreign struct at `base` by copying them into JavaScript memory. */
class ForeignReader {
  readonly #libc: LibcSymbols;
  readonly #scratch = new ArrayBuffer(8);
  readonly #view = new DataView(this.#scratch);
  readonly #bytes = new Uint8Array(this.#scratch);

  constructor(libc: LibcSymbols) {
    this.#libc = libc;
  }

  #word(address: bigint): DataView {
    this.#libc.memcpy(this.#bytes, address, 8n);
    return this.#view;
  }
  int(address: bigint): number {
    return this.#word(address).getInt32(0, true);
  }
  float64(address: bigint): number {
    return this.#word(address).getFloat64(0, true);
  }
  pointer(address: bigint): bigint {
    return this.#word(address).getBigUint64(0, true);
  }
  into(target: Float64Array | Int32Array | Uint8Array, address: bigint): void {
    this.#libc.memcpy(target, address, BigInt(target.byteLength));
  }
}

function compile(
  mj: MujocoSymbols,
  libc: LibcSymbols,
  xml: string,
  source: string,
): NativeModel {
  const vfs = new Uint8Array(MUJOCO_222_LAYOUT.vfs.size);
  mj.mj_defaultVFS(vfs);
  const text = new TextEncoder().encode(xml);
  const name = new TextEncoder().encode("model.xml\0");
  if (mj.mj_makeEmptyFileVFS(vfs, name, text.length) !== 0) {
    throw new InputError(`${source}: the native MuJoCo could not hold the model in memory`);
  }
  const error = new Uint8Array(1000);
  let model: bigint;
  try {
    const file = new DataView(vfs.buffer).getBigUint64(MUJOCO_222_LAYOUT.vfs.filedata, true);
    libc.memcpyOut(file, text, BigInt(text.length));
    model = mj.mj_loadXML(name, vfs, error, error.length);
  } finally {
    mj.mj_deleteVFS(vfs);
  }
  if (model === 0n) {
    const end = error.indexOf(0);
    const message = new TextDecoder().decode(error.subarray(0, end < 0 ? error.length : end));
    throw new InputError(`${source}: the native MuJoCo could not compile the model: ${message}`);
  }
  if (!setsNjmax(xml)) {
    const rows = new Int32Array([NATIVE_NJMAX]);
    libc.memcpyOut(model + BigInt(MUJOCO_222_LAYOUT.model.njmax), rows, BigInt(rows.byteLength));
  }
  return new Model(mj, new ForeignReader(libc), libc, model, source);
}

/**
 * Whether MJCF text sets `njmax` on a `<size>` element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setsNjmax } from "./native_mujoco.ts";
 * assert.equal(setsNjmax(`<mujoco><size nstack="1000" njmax = "800"/></mujoco>`), true);
 * assert.equal(setsNjmax(`<mujoco><size nconmax="50"/><worldbody/></mujoco>`), false);
 * ```
 */
export function setsNjmax(xml: string): boolean {
  return /<size\b[^>]*\snjmax\s*=/.test(xml.replace(/<!--[\s\S]*?-->/g, ""));
}

class Model implements NativeModel {
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  readonly nbody: number;
  readonly njnt: number;
  readonly ngeom: number;
  readonly njmax: number;
  readonly option: NativeOption;
  readonly source: string;
  readonly #mj: MujocoSymbols;
  readonly #read: ForeignReader;
  readonly #libc: LibcSymbols;
  #address: bigint;

  constructor(
    mj: MujocoSymbols,
    read: ForeignReader,
    libc: LibcSymbols,
    address: bigint,
    source: string,
  ) {
    this.#mj = mj;
    this.#read = read;
    this.#libc = libc;
    this.#address = address;
    this.source = source;
    const m = MUJOCO_222_LAYOUT.model;
    const int = (offset: number) => read.int(address + BigInt(offset));
    this.nq = int(m.nq);
    this.nv = int(m.nv);
    this.nu = int(m.nu);
    this.nbody = int(m.nbody);
    this.njnt = int(m.njnt);
    this.ngeom = int(m.ngeom);
    this.njmax = int(m.njmax);
    const o = MUJOCO_222_LAYOUT.option;
    const opt = address + BigInt(m.opt);
    const f64 = (offset: number) => read.float64(opt + BigInt(offset));
    const i32 = (offset: number) => read.int(opt + BigInt(offset));
    this.option = Object.freeze({
      timestep: f64(o.timestep),
      tolerance: f64(o.tolerance),
      gravity: [0, 1, 2].map((k) => f64(o.gravity + 8 * k)),
      density: f64(o.density),
      viscosity: f64(o.viscosity),
      integrator: i32(o.integrator),
      cone: i32(o.cone),
      jacobian: i32(o.jacobian),
      solver: i32(o.solver),
      iterations: i32(o.iterations),
    });
  }

  #live(): bigint {
    if (this.#address === 0n) throw new Error("the native model was freed");
    return this.#address;
  }

  array(name: DynamicsArray): Float64Array | Int32Array | Uint8Array {
    const spec = DYNAMICS_ARRAYS[name];
    if (spec === undefined) throw new RangeError(`${name}: not a dynamics array`);
    const [type, size, width] = spec;
    const n = this[size] * width;
    const out = type === "f64"
      ? new Float64Array(n)
      : type === "i32"
      ? new Int32Array(n)
      : new Uint8Array(n);
    if (n > 0) {
      const base = this.#read.pointer(this.#live() + BigInt(MUJOCO_222_LAYOUT.model[name]));
      this.#read.into(out, base);
    }
    return out;
  }

  makeData(): NativeData {
    const data = this.#mj.mj_makeData(this.#live());
    if (data === 0n) throw new Error("mj_makeData: out of memory");
    return new Data(this.#mj, this.#read, this.#libc, this, this.#address, data);
  }

  free(): void {
    if (this.#address === 0n) return;
    this.#mj.mj_deleteModel(this.#address);
    this.#address = 0n;
  }
}

class Data implements NativeData {
  readonly qpos: Float64Array;
  readonly qvel: Float64Array;
  readonly ctrl: Float64Array;
  readonly #mj: MujocoSymbols;
  readonly #read: ForeignReader;
  readonly #libc: LibcSymbols;
  readonly #model: bigint;
  #data: bigint;
  readonly #qposAt: bigint;
  readonly #qvelAt: bigint;
  readonly #ctrlAt: bigint;
  /** Where MuJoCo counts the steps whose constraints did not fit in njmax rows. */
  readonly #constraintsFullAt: bigint;
  readonly #source: string;
  readonly #njmax: number;

  constructor(
    mj: MujocoSymbols,
    read: ForeignReader,
    libc: LibcSymbols,
    model: Model,
    modelAddress: bigint,
    data: bigint,
  ) {
    this.#mj = mj;
    this.#read = read;
    this.#libc = libc;
    this.#model = modelAddress;
    this.#data = data;
    this.#source = model.source;
    this.#njmax = model.njmax;
    const d = MUJOCO_222_LAYOUT.data;
    this.#constraintsFullAt = data + BigInt(d["warning[mjWARN_CNSTRFULL].number"]);
    this.#qposAt = read.pointer(data + BigInt(d.qpos));
    this.#qvelAt = read.pointer(data + BigInt(d.qvel));
    this.#ctrlAt = read.pointer(data + BigInt(d.ctrl));
    this.qpos = new Float64Array(model.nq);
    this.qvel = new Float64Array(model.nv);
    this.ctrl = new Float64Array(model.nu);
    this.reset();
  }

  get time(): number {
    return this.#read.float64(this.#live() + BigInt(MUJOCO_222_LAYOUT.data.time));
  }

  #live(): bigint {
    if (this.#data === 0n) throw new Error("the native state was freed");
    return this.#data;
  }

  #readBack(): void {
    this.#read.into(this.qpos, this.#qposAt);
    this.#read.into(this.qvel, this.#qvelAt);
  }

  reset(): void {
    this.#mj.mj_resetData(this.#model, this.#live());
    this.ctrl.fill(0);
    this.#readBack();
  }

  forward(): void {
    const data = this.#live();
    this.#libc.memcpyOut(this.#qposAt, this.qpos, BigInt(this.qpos.byteLength));
    this.#libc.memcpyOut(this.#qvelAt, this.qvel, BigInt(this.qvel.byteLength));
    this.#mj.mj_forward(this.#model, data);
    this.#checkConstraints();
    this.#readBack();
  }

  step(steps = 1): void {
    const data = this.#live();
    this.#libc.memcpyOut(this.#ctrlAt, this.ctrl, BigInt(this.ctrl.byteLength));
    for (let k = 0; k < steps; k++) this.#mj.mj_step(this.#model, data);
    this.#checkConstraints();
    this.#readBack();
  }

  /** Throw where MuJoCo dropped a step's constraints for want of rows (its count since reset). */
  #checkConstraints(): void {
    if (this.#read.int(this.#constraintsFullAt) === 0) return;
    throw new RangeError(
      `${this.#source}: a step needed more than njmax = ${this.#njmax} constraint rows, and MuJoCo ` +
        `2.2.2 would have dropped its constraints: set <size njmax="…"/> in the model higher, or ` +
        `use physics "wasm"`,
    );
  }

  free(): void {
    if (this.#data === 0n) return;
    this.#mj.mj_deleteData(this.#data);
    this.#data = 0n;
  }
}
