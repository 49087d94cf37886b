/**
 * The MuJoCo physics engine (DeepMind's WebAssembly bindings, npm package `mujoco`): loading it,
 * compiling MJCF models, and owning the simulation states that live on its heap.
 *
 * MjModel and MjData are C++ objects on the WebAssembly heap, outside the garbage collector: every
 * one made here is freed here. A {@linkcode CompiledModel} owns its MjModel and a pool of MjData
 * states that episodes borrow and give back, so a long run of resets and steps allocates no more
 * states than were ever in use at once.
 *
 * Compiling a model asks the runtime for the number of processors, so a program that compiles
 * models needs `--allow-sys=cpus`.
 *
 * @module
 */
import { DenoWorker } from "../core/deno_worker.ts";
import loadMujocoModule, { type MainModule, type MjData, type MjModel } from "mujoco";

// Loading MuJoCo's module replaced the global Worker with node:worker_threads' (see deno_worker.ts).
globalThis.Worker = DenoWorker;

/** The loaded MuJoCo module. */
export type Mujoco = MainModule;
export type { MjData, MjModel };

let loading: Promise<Mujoco> | undefined;

/**
 * The MuJoCo module of this thread, loaded on first use (about 0.1 s) and shared afterwards.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadMujoco } from "./mujoco.ts";
 * const mj = await loadMujoco();
 * assert.ok(mj.mj_versionString().startsWith("3."), "MuJoCo 3 expected");
 * ```
 */
export function loadMujoco(): Promise<Mujoco> {
  loading ??= loadMujocoModule();
  return loading;
}

/**
 * A model that MuJoCo could not compile: the message names the file and quotes MuJoCo.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileModelXml, loadMujoco, ModelCompileError } from "./mujoco.ts";
 * const mujoco = await loadMujoco();
 * assert.throws(
 *   () => compileModelXml(mujoco, "<mujoco><worldbody><geom/></mujoco>", "broken.xml"),
 *   (e) => e instanceof ModelCompileError && e.message.includes("broken.xml"),
 * );
 * ```
 */
export class ModelCompileError extends Error {
  override name = "ModelCompileError";
}

/**
 * A compiled model and the pool of simulation states run on it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CompiledModel, compileModelXml, loadMujoco } from "./mujoco.ts";
 * const compiled: CompiledModel = compileModelXml(await loadMujoco(),
 *   `<mujoco><worldbody><body><joint type="hinge"/><geom size=".1"/></body></worldbody></mujoco>`,
 *   "hinge.xml");
 * const data = compiled.acquire();
 * assert.equal(compiled.model.nq, 1, "one joint, one state");
 * assert.equal(compiled.allocated, 1, "one joint, one state");
 * compiled.release(data);
 * compiled.free();
 * ```
 */
export interface CompiledModel {
  readonly mujoco: Mujoco;
  readonly model: MjModel;
  /** Where the MJCF came from (for messages). */
  readonly source: string;
  /** Borrow a simulation state (reset it before use: a returned state keeps its last values). */
  acquire(): MjData;
  /** Give a state back to the pool. */
  release(data: MjData): void;
  /** States currently allocated (borrowed or pooled). */
  readonly allocated: number;
  /** Free the model and every pooled state; borrowed states must have been released. */
  free(): void;
}

let nextFile = 0;

/**
 * Compile MJCF text; `source` names it in errors. Throws {@linkcode ModelCompileError} with
 * MuJoCo's message on one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileModelXml, loadMujoco } from "./mujoco.ts";
 * const mj = await loadMujoco();
 * const box = compileModelXml(mj, `<mujoco><worldbody><body><freejoint/>
 *   <geom type="box" size=".1 .1 .1"/></body></worldbody></mujoco>`, "box.xml");
 * const data = box.acquire();
 * mj.mj_step(box.model, data);
 * assert.ok(data.qpos[2] < 0, "the box falls");
 * box.release(data);
 * box.free();
 * ```
 */
export function compileModelXml(mujoco: Mujoco, xml: string, source: string): CompiledModel {
  const path = `/model-${nextFile++}.xml`;
  mujoco.FS.writeFile(path, xml);
  let model: MjModel;
  try {
    model = mujoco.MjModel.mj_loadXML(path);
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim();
    throw new ModelCompileError(`${source}: MuJoCo could not compile the model: ${message}`);
  } finally {
    mujoco.FS.unlink(path);
  }
  return pooled(mujoco, model, source);
}

function pooled(mujoco: Mujoco, model: MjModel, source: string): CompiledModel {
  const idle: MjData[] = [];
  let allocated = 0;
  let freed = false;
  return {
    mujoco,
    model,
    source,
    acquire() {
      if (freed) throw new Error(`${source}: the model was freed`);
      const data = idle.pop();
      if (data !== undefined) return data;
      allocated++;
      return new mujoco.MjData(model);
    },
    release(data) {
      idle.push(data);
    },
    get allocated() {
      return allocated;
    },
    free() {
      if (freed) return;
      if (idle.length !== allocated) {
        throw new Error(`${source}: ${allocated - idle.length} simulation state(s) still in use`);
      }
      for (const data of idle.splice(0)) data.delete();
      model.delete();
      allocated = 0;
      freed = true;
    },
  };
}

/**
 * Read and compile an MJCF file (a path, or a `file:` or `https:` URL). Unreadable files and
 * models that fail to compile throw {@linkcode ModelCompileError} naming the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileModelFile } from "./mujoco.ts";
 * const cheetah = await compileModelFile(new URL("./models/half_cheetah.xml", import.meta.url));
 * assert.equal(cheetah.model.nv, 9, "9 dofs, 6 motors");
 * assert.equal(cheetah.model.nu, 6, "9 dofs, 6 motors");
 * cheetah.free();
 * ```
 */
export async function compileModelFile(file: string | URL): Promise<CompiledModel> {
  const source = file instanceof URL && file.protocol === "file:"
    ? decodeURIComponent(file.pathname)
    : String(file);
  let xml: string;
  try {
    xml = file instanceof URL && file.protocol !== "file:"
      ? await (await fetch(file)).text()
      : await Deno.readTextFile(file);
  } catch (e) {
    throw new ModelCompileError(
      `${source}: cannot read the model: ${(e as Error).message.split("\n")[0]}`,
    );
  }
  return compileModelXml(await loadMujoco(), xml, source);
}
