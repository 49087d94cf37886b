/**
 * The paper's MuJoCo locomotion tasks (Table 2), as the reference implementations define them:
 *
 * | id | model, frame skip | task | reward per step | observation | reset noise |
 * | --- | --- | --- | --- | --- | --- |
 * | `half-cheetah-dir` | half_cheetah, 5 | d ∈ {−1, +1} uniformly | d·v − 0.05‖a‖² | qpos[1:] ⊕ qvel (17) | qpos += U(−0.1, 0.1), qvel += 0.1·N(0, 1) |
 * | `half-cheetah-vel` | half_cheetah, 5 | v* ~ U[0, 3] | −\|v − v*\| − 0.05‖a‖² | the same | the same |
 * | `swimmer-vel` | swimmer, 4 | v* ~ U[0.1, 0.2] | +\|v − v*\| − 1e-4‖a‖² (as published) | qpos[2:] ⊕ qvel (8) | qpos, qvel += U(−0.1, 0.1) |
 * | `swimmer-vel-goal` | swimmer, 4 | v* ~ U[0.1, 0.2] | −\|v − v*\| − 1e-4‖a‖² (corrected) | the same | the same |
 *
 * v = Δx/dt is the root's forward speed over one frame-skipped step (dt = timestep × frame skip),
 * a the actuator controls in [−1, 1] (the policy's action scaled from [−10, 10]). The observation is
 * taken after the step. No task terminates early. Either physics engine steps the same model
 * (src/envs/physics.ts; `wasm` by default).
 *
 * `swimmer-vel` keeps the published code's reward, which pays for being far from the goal speed;
 * `swimmer-vel-goal` is the reward the paper's text describes, for comparison.
 *
 * @module
 */
import type { Episode, TaskFamily } from "./env.ts";
import { type CompiledModel, compileModelFile } from "./mujoco.ts";
import {
  compileNativePhysics,
  type PhysicsEngine,
  type PhysicsModel,
  type PhysicsState,
  wasmPhysics,
} from "./physics.ts";
import type { RandomStream } from "../core/rng.ts";

/**
 * The ids of the locomotion task families.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LOCOMOTION_TASKS, type LocomotionId } from "./locomotion.ts";
 * const id: LocomotionId = "swimmer-vel-goal";
 * assert.equal(LOCOMOTION_TASKS[id].model, "swimmer.xml", "the swimmer's model");
 * ```
 */
export type LocomotionId =
  | "half-cheetah-dir"
  | "half-cheetah-vel"
  | "swimmer-vel"
  | "swimmer-vel-goal";

/**
 * A locomotion task: a running direction (±1) or a goal speed, depending on the family.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadLocomotionFamily, type LocomotionTask } from "./locomotion.ts";
 * import { stream } from "../core/rng.ts";
 * const family = await loadLocomotionFamily("half-cheetah-dir");
 * const task: LocomotionTask = family.sampleTask(stream({ seed: 1, purpose: "task" }));
 * assert.equal(Math.abs(task.goal), 1, "a running direction, ±1");
 * ```
 */
export interface LocomotionTask {
  readonly goal: number;
}

/**
 * How one locomotion family is built from its model: the package's four, or one of your own
 * (with {@linkcode locomotionFamily} over a model compiled by `compileModelXml`; examples/).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LOCOMOTION_TASKS, type LocomotionSpec } from "./locomotion.ts";
 * // HalfCheetah-Vel rewarding speed towards the goal twice as much, as an own family.
 * const spec: LocomotionSpec = {
 *   ...LOCOMOTION_TASKS["half-cheetah-vel"],
 *   id: "half-cheetah-vel-x2",
 *   reward: (velocity, goal, control) => -2 * Math.abs(velocity - goal) - 0.05 * control,
 * };
 * assert.equal(spec.reward(1, 1, 0), -0, "reward (−0: minus a zero speed error)");
 * assert.equal(spec.reward(0, 1, 2), -2.1, "reward");
 * ```
 */
export interface LocomotionSpec {
  readonly id: string;
  /** MJCF file name under `models/` for the package's families; a label for others. */
  readonly model: string;
  readonly frameSkip: number;
  readonly obsDim: number;
  readonly actDim: number;
  /** The observation starts at qpos[qposStart] (the root's position coordinates are left out). */
  readonly qposStart: number;
  /** Name of the task's one parameter in artefacts. */
  readonly goalName: string;
  readonly sampleGoal: (rng: RandomStream) => number;
  /** Reward from the forward speed, the goal and ‖a‖². */
  readonly reward: (velocity: number, goal: number, controlSquared: number) => number;
  /** Reset noise: "cheetah" = qpos U(±0.1), qvel 0.1·N(0,1); "swimmer" = both U(±0.1). */
  readonly resetNoise: "cheetah" | "swimmer";
}

const CHEETAH_CONTROL_COST = 0.05;
const SWIMMER_CONTROL_COST = 1e-4;

/** What the two HalfCheetah families share. */
const HALF_CHEETAH = {
  model: "half_cheetah.xml",
  frameSkip: 5,
  obsDim: 17,
  actDim: 6,
  qposStart: 1,
  resetNoise: "cheetah",
} as const;

/** What the two Swimmer families share: the task distribution too. */
const SWIMMER = {
  model: "swimmer.xml",
  frameSkip: 4,
  obsDim: 8,
  actDim: 2,
  qposStart: 2,
  resetNoise: "swimmer",
  goalName: "goalVelocity",
  sampleGoal: (rng: RandomStream) => rng.uniformIn(0.1, 0.2),
} as const;

/**
 * Every locomotion family's definition, by id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LOCOMOTION_TASKS } from "./locomotion.ts";
 * const { frameSkip, obsDim } = LOCOMOTION_TASKS["swimmer-vel"];
 * assert.equal(frameSkip, 4, "Swimmer: frame skip 4, 8 observations");
 * assert.equal(obsDim, 8, "Swimmer: frame skip 4, 8 observations");
 * ```
 */
export const LOCOMOTION_TASKS: Readonly<Record<LocomotionId, LocomotionSpec>> = {
  "half-cheetah-dir": {
    ...HALF_CHEETAH,
    id: "half-cheetah-dir",
    goalName: "direction",
    sampleGoal: (rng) => rng.uniform() < 0.5 ? -1 : 1,
    reward: (v, d, c) => d * v - CHEETAH_CONTROL_COST * c,
  },
  "half-cheetah-vel": {
    ...HALF_CHEETAH,
    id: "half-cheetah-vel",
    goalName: "goalVelocity",
    sampleGoal: (rng) => rng.uniformIn(0, 3),
    reward: (v, goal, c) => -Math.abs(v - goal) - CHEETAH_CONTROL_COST * c,
  },
  "swimmer-vel": {
    ...SWIMMER,
    id: "swimmer-vel",
    reward: (v, goal, c) => Math.abs(v - goal) - SWIMMER_CONTROL_COST * c,
  },
  "swimmer-vel-goal": {
    ...SWIMMER,
    id: "swimmer-vel-goal",
    reward: (v, goal, c) => -Math.abs(v - goal) - SWIMMER_CONTROL_COST * c,
  },
};

const RESET_SCALE = 0.1;

/**
 * Whether `env` names one of the MuJoCo task families (the environments a physics engine steps).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLocomotionId } from "./locomotion.ts";
 * assert.ok(isLocomotionId("swimmer-vel"));
 * assert.ok(!isLocomotionId("nav2d"));
 * ```
 */
export function isLocomotionId(env: string): env is LocomotionId {
  return Object.hasOwn(LOCOMOTION_TASKS, env);
}

/** The URL of one of the package's MJCF models. */
export function modelUrl(file: string): URL {
  return new URL(`./models/${file}`, import.meta.url);
}

const models = new Map<string, Promise<PhysicsModel>>();

/** The compiled model of a file on `engine`, compiled once per thread and engine. */
export function sharedModel(file: string, engine: PhysicsEngine = "wasm"): Promise<PhysicsModel> {
  const key = `${engine}:${file}`;
  let model = models.get(key);
  if (model === undefined) {
    model = engine === "wasm"
      ? compileModelFile(modelUrl(file)).then(wasmPhysics)
      : Deno.readTextFile(modelUrl(file)).then((xml) => compileNativePhysics(xml, file));
    models.set(key, model);
    model.catch(() => models.delete(key));
  }
  return model;
}

class LocomotionEpisode implements Episode {
  readonly observation: Float64Array;
  #data: PhysicsState | undefined;
  #step = 0;
  readonly #dt: number;

  constructor(
    private readonly spec: LocomotionSpec,
    private readonly physics: PhysicsModel,
    private readonly task: LocomotionTask,
    rng: RandomStream,
  ) {
    this.observation = new Float64Array(spec.obsDim);
    this.#dt = physics.timestep * spec.frameSkip;
    const data = physics.acquire();
    this.#data = data;
    data.reset();
    const qpos = data.qpos, qvel = data.qvel;
    for (let i = 0; i < qpos.length; i++) qpos[i] += rng.uniformIn(-RESET_SCALE, RESET_SCALE);
    for (let i = 0; i < qvel.length; i++) {
      qvel[i] += spec.resetNoise === "cheetah"
        ? RESET_SCALE * rng.normal()
        : rng.uniformIn(-RESET_SCALE, RESET_SCALE);
    }
    data.forward();
    this.#observe(data);
  }

  step(action: Float64Array): { reward: number; done: boolean } {
    const data = this.#data;
    if (data === undefined) throw new Error(`${this.spec.id}: step after close`);
    const ctrl = data.ctrl;
    let controlSquared = 0;
    for (let j = 0; j < this.spec.actDim; j++) {
      const a = action[j];
      if (!Number.isFinite(a)) {
        throw new RangeError(
          `${this.spec.id} (${this.spec.goalName} ${this.task.goal}): non-finite action at step ${this.#step}`,
        );
      }
      ctrl[j] = a;
      controlSquared += a * a;
    }
    const before = data.qpos[0];
    data.step(this.spec.frameSkip);
    const velocity = (data.qpos[0] - before) / this.#dt;
    this.#observe(data);
    this.#step++;
    return { reward: this.spec.reward(velocity, this.task.goal, controlSquared), done: false };
  }

  close(): void {
    if (this.#data !== undefined) this.physics.release(this.#data);
    this.#data = undefined;
  }

  #observe(data: PhysicsState): void {
    const qpos = data.qpos, qvel = data.qvel, obs = this.observation;
    const skip = this.spec.qposStart;
    for (let i = skip; i < qpos.length; i++) obs[i - skip] = qpos[i];
    obs.set(qvel, qpos.length - skip);
  }
}

/**
 * A locomotion task family over an already compiled model (see {@linkcode loadLocomotionFamily}).
 * Checks that the model's dimensions fit the spec. The forward velocity that `spec.reward` gets is
 * that of qpos[0] (the root's first coordinate) over each step of `frameSkip` physics steps.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { locomotionFamily, LOCOMOTION_TASKS } from "./locomotion.ts";
 * import { compileModelXml, loadMujoco } from "./mujoco.ts";
 * const xml = `<mujoco><worldbody><body><joint name="s" type="slide" axis="1 0 0"/>
 *   <geom type="box" size="0.1 0.1 0.1" mass="1"/></body></worldbody>
 *   <actuator><motor joint="s"/></actuator></mujoco>`;
 * const family = locomotionFamily(
 *   { ...LOCOMOTION_TASKS["swimmer-vel-goal"], id: "slider", frameSkip: 1, obsDim: 1, actDim: 1,
 *     qposStart: 1 },
 *   compileModelXml(await loadMujoco(), xml, "slider"),
 * );
 * assert.equal(family.obsDim, 1, "an own model");
 * assert.equal(family.id, "slider", "an own model");
 * ```
 */
export function locomotionFamily(
  spec: LocomotionSpec,
  compiled: CompiledModel | PhysicsModel,
): TaskFamily<LocomotionTask> {
  const model = "engine" in compiled ? compiled : wasmPhysics(compiled);
  if (model.nq - spec.qposStart + model.nv !== spec.obsDim || model.nu !== spec.actDim) {
    throw new Error(
      `${model.source}: ${spec.id} needs ${spec.obsDim} observations and ${spec.actDim} controls, the model gives ${
        model.nq - spec.qposStart + model.nv
      } and ${model.nu}`,
    );
  }
  return {
    id: spec.id,
    obsDim: spec.obsDim,
    actDim: spec.actDim,
    actionLow: Array.from({ length: spec.actDim }, () => -1),
    actionHigh: Array.from({ length: spec.actDim }, () => 1),
    sampleTask: (rng) => ({ goal: spec.sampleGoal(rng) }),
    describeTask: (task) => ({ [spec.goalName]: task.goal }),
    reset: (task, rng) => new LocomotionEpisode(spec, model, task, rng),
  };
}

/**
 * The task family `id`, on the package's model stepped by `engine` (compiled once per thread and
 * engine; `native` needs Debian's libmujoco2.2.2 and FFI permission).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadLocomotionFamily } from "./locomotion.ts";
 * import { stream } from "../core/rng.ts";
 * const family = await loadLocomotionFamily("half-cheetah-vel");
 * const task = family.sampleTask(stream({ seed: 0, purpose: "task" }));
 * const episode = family.reset(task, stream({ seed: 0, purpose: "reset" }));
 * const { reward, done } = episode.step(new Float64Array(6));
 * episode.close?.();
 * assert.ok(Number.isFinite(reward), "a finite reward, no termination");
 * assert.ok(!done, "a finite reward, no termination");
 * ```
 */
export async function loadLocomotionFamily(
  id: LocomotionId,
  engine: PhysicsEngine = "wasm",
): Promise<TaskFamily<LocomotionTask>> {
  const spec = LOCOMOTION_TASKS[id];
  return locomotionFamily(spec, await sharedModel(spec.model, engine));
}
