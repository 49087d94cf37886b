/**
 * The physics engines a MuJoCo task family can step: `wasm` (MuJoCo 3.1.16 compiled to
 * WebAssembly, the default, whose bytes the committed results are) and `native` (Debian's MuJoCo
 * 2.2.2 through FFI, src/envs/native_mujoco.ts), behind one small interface so that the episodes
 * of src/envs/locomotion.ts do the same operations, in the same order, on either.
 *
 * A {@linkcode PhysicsModel} owns a compiled model and a pool of states that episodes borrow and
 * give back (a long run of resets allocates no more states than were ever in use at once).
 *
 * @module
 */
import type { CompiledModel, MjData } from "./mujoco.ts";
import { loadNativeMujoco, type NativeData, type NativeModel } from "./native_mujoco.ts";
import { InputError } from "../core/errors.ts";

/**
 * The engines, the default first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PHYSICS_ENGINES } from "./physics.ts";
 * assert.deepEqual([...PHYSICS_ENGINES], ["wasm", "native"]);
 * ```
 */
export const PHYSICS_ENGINES = ["wasm", "native"] as const;
/**
 * A physics engine: `config.physics`, absent for `wasm`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PhysicsEngine } from "./physics.ts";
 * const engine: PhysicsEngine = "native";
 * assert.equal(engine, "native");
 * ```
 */
export type PhysicsEngine = typeof PHYSICS_ENGINES[number];

/**
 * A simulation state as an episode uses it: positions, velocities and controls, and the three
 * operations on them.
 */
export interface PhysicsState {
  /** Generalised positions; written values take effect at `forward`. */
  readonly qpos: Float64Array;
  /** Generalised velocities; written values take effect at `forward`. */
  readonly qvel: Float64Array;
  /** Controls; written values take effect at `step`. */
  readonly ctrl: Float64Array;
  /** The model's initial state (`mj_resetData`). */
  reset(): void;
  /** Recompute what depends on qpos and qvel (`mj_forward`). */
  forward(): void;
  /** `steps` physics steps (`mj_step`) under `ctrl`. */
  step(steps: number): void;
}

/** A compiled model on one engine, with its pool of states. */
export interface PhysicsModel {
  readonly engine: PhysicsEngine;
  /** Where the MJCF came from (for messages). */
  readonly source: string;
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  /** `opt.timestep`: seconds per physics step. */
  readonly timestep: number;
  /** Borrow a state (reset it before use: a returned state keeps its last values). */
  acquire(): PhysicsState;
  /** Give a state back to the pool. */
  release(state: PhysicsState): void;
  /** States currently allocated (borrowed or pooled). */
  readonly allocated: number;
  /** Free the model and every pooled state; borrowed states must have been released. */
  free(): void;
}

/**
 * The WebAssembly engine's compiled model behind {@linkcode PhysicsModel}: each operation is the
 * one call the episodes made on it before (qpos, qvel and ctrl are views into its heap).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wasmPhysics } from "./physics.ts";
 * import { compileModelFile } from "./mujoco.ts";
 * import { modelUrl } from "./locomotion.ts";
 * const physics = wasmPhysics(await compileModelFile(modelUrl("half_cheetah.xml")));
 * const state = physics.acquire();
 * state.reset();
 * state.ctrl.fill(0.5);
 * state.step(5);
 * assert.equal(physics.engine, "wasm");
 * assert.ok(state.qpos[0] !== 0);
 * physics.release(state);
 * physics.free();
 * ```
 */
export function wasmPhysics(compiled: CompiledModel): PhysicsModel {
  const { mujoco, model } = compiled;
  return wrappedPhysics(
    {
      engine: "wasm",
      source: compiled.source,
      nq: model.nq,
      nv: model.nv,
      nu: model.nu,
      timestep: model.opt.timestep,
      allocated: () => compiled.allocated,
      free: () => compiled.free(),
    },
    () => compiled.acquire(),
    (data) => compiled.release(data),
    (data: MjData) =>
      stateView(data, {
        reset: () => mujoco.mj_resetData(model, data),
        forward: () => mujoco.mj_forward(model, data),
        step: (steps) => {
          for (let k = 0; k < steps; k++) mujoco.mj_step(model, data);
        },
      }),
  );
}

/** What {@linkcode wrappedPhysics} takes as is: the model's description, its count and its end. */
export type PhysicsModelBase =
  & Pick<PhysicsModel, "engine" | "source" | "nq" | "nv" | "nu" | "timestep" | "free">
  & {
    /** The states currently allocated. */
    allocated(): number;
  };

/**
 * A {@linkcode PhysicsState} over `arrays`' current qpos, qvel and ctrl (read at each access:
 * a WebAssembly heap's views are made again when it grows) with the operations `operations`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stateView } from "./physics.ts";
 * const arrays = { qpos: new Float64Array(1), qvel: new Float64Array(1), ctrl: new Float64Array(1) };
 * const state = stateView(arrays, {
 *   reset: () => arrays.qpos.fill(0), forward: () => {}, step: (n) => void (arrays.qpos[0] += n),
 * });
 * state.step(3);
 * assert.equal(state.qpos[0], 3);
 * arrays.qpos = new Float64Array([7]);
 * assert.equal(state.qpos[0], 7);
 * ```
 */
export function stateView(
  arrays: Pick<PhysicsState, "qpos" | "qvel" | "ctrl">,
  operations: Pick<PhysicsState, "reset" | "forward" | "step">,
): PhysicsState {
  return {
    get qpos() {
      return arrays.qpos;
    },
    get qvel() {
      return arrays.qvel;
    },
    get ctrl() {
      return arrays.ctrl;
    },
    reset: operations.reset,
    forward: operations.forward,
    step: operations.step,
  };
}

/**
 * A {@linkcode PhysicsModel} whose states are `wrap(inner)` of the inner states that `acquire`
 * borrows, each given back through `release` with the state it wraps (a state this model did not
 * lend is refused).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wrappedPhysics } from "./physics.ts";
 * let steps = 0;
 * const qpos = new Float64Array(1), qvel = new Float64Array(1), ctrl = new Float64Array(1);
 * const physics = wrappedPhysics(
 *   { engine: "wasm", source: "counter", nq: 1, nv: 1, nu: 1, timestep: 0.01,
 *     allocated: () => 1, free: () => {} },
 *   () => "inner",
 *   (inner) => assert.equal(inner, "inner"),
 *   () => ({ qpos, qvel, ctrl, reset: () => {}, forward: () => {}, step: (n) => void (steps += n) }),
 * );
 * const state = physics.acquire();
 * state.step(5);
 * physics.release(state);
 * assert.equal(steps, 5);
 * assert.throws(() => physics.release(state), /counter: not a state of this model/);
 * ```
 */
export function wrappedPhysics<Inner>(
  base: PhysicsModelBase,
  acquire: () => Inner,
  release: (inner: Inner) => void,
  wrap: (inner: Inner) => PhysicsState,
): PhysicsModel {
  const states = new Map<PhysicsState, Inner>();
  return {
    engine: base.engine,
    source: base.source,
    nq: base.nq,
    nv: base.nv,
    nu: base.nu,
    timestep: base.timestep,
    acquire: () => {
      const inner = acquire();
      const state = wrap(inner);
      states.set(state, inner);
      return state;
    },
    release: (state) => {
      const inner = states.get(state);
      if (inner === undefined) throw new Error(`${base.source}: not a state of this model`);
      states.delete(state);
      release(inner);
    },
    get allocated() {
      return base.allocated();
    },
    free: () => base.free(),
  };
}

/**
 * The native engine's compiled model behind {@linkcode PhysicsModel}, with a pool of states.
 *
 * @example
 * ```ts ignore
 * import { nativePhysics } from "./physics.ts";
 * import { loadNativeMujoco } from "./native_mujoco.ts";
 * // Needs Debian's libmujoco2.2.2 and --allow-ffi=/usr/lib,/usr/lib64.
 * const xml = await Deno.readTextFile("src/envs/models/half_cheetah.xml");
 * const physics = nativePhysics(loadNativeMujoco().compile(xml, "half_cheetah.xml"), "half_cheetah.xml");
 * const state = physics.acquire();
 * state.reset();
 * state.step(5);
 * physics.release(state);
 * physics.free();
 * ```
 */
export function nativePhysics(model: NativeModel, source: string): PhysicsModel {
  const pool: NativeData[] = [];
  const borrowed = new Set<PhysicsState>();
  let allocated = 0;
  let freed = false;
  return {
    engine: "native",
    source,
    nq: model.nq,
    nv: model.nv,
    nu: model.nu,
    timestep: model.option.timestep,
    acquire: () => {
      if (freed) throw new Error(`${source}: the model was freed`);
      let data = pool.pop();
      if (data === undefined) {
        data = model.makeData();
        allocated++;
      }
      borrowed.add(data);
      return data;
    },
    release: (state) => {
      if (!borrowed.delete(state)) throw new Error(`${source}: not a borrowed state of this model`);
      pool.push(state as NativeData);
    },
    get allocated() {
      return allocated;
    },
    free: () => {
      if (freed) return;
      if (borrowed.size > 0) {
        throw new Error(`${source}: ${borrowed.size} state(s) still borrowed`);
      }
      for (const data of pool.splice(0)) data.free();
      model.free();
      freed = true;
    },
  };
}

/**
 * Check, before anything runs or is written, that every engine that `configs` name can run here:
 * for `native`, that MuJoCo 2.2.2 loads (with FFI permission). Throws an {@linkcode InputError}
 * whose one line starts with `what` and names the first experiment that needs it and what to
 * install or allow.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPhysicsAvailable } from "./physics.ts";
 * // The default engine always can.
 * assert.doesNotThrow(() => checkPhysicsAvailable([{ id: "a", physics: undefined }], "physics"));
 * ```
 */
export function checkPhysicsAvailable(
  configs: readonly { readonly id: string; readonly physics?: PhysicsEngine }[],
  what: string,
): void {
  const native = configs.find((c) => c.physics === "native");
  if (native === undefined) return;
  try {
    loadNativeMujoco();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError(`${what}: experiment ${native.id} steps native physics; ${e.message}`);
  }
}

/**
 * Compile the MJCF text `xml` on the native engine (loading the library on first use).
 *
 * @example
 * ```ts ignore
 * import { compileNativePhysics } from "./physics.ts";
 * const xml = await Deno.readTextFile("src/envs/models/swimmer.xml");
 * const physics = compileNativePhysics(xml, "swimmer.xml"); // needs libmujoco2.2.2 and FFI
 * physics.free();
 * ```
 */
export function compileNativePhysics(xml: string, source: string): PhysicsModel {
  return nativePhysics(loadNativeMujoco().compile(xml, source), source);
}
