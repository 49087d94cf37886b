/**
 * Environments and task families (`@sgmrl/sgmrl/envs`): the {@linkcode TaskFamily} contract,
 * 2D navigation, the MuJoCo locomotion tasks and their models, and task modules of your own pinned
 * to their files.
 *
 * @example Sample a 2D-navigation goal and take one step
 * ```ts
 * import assert from "node:assert/strict";
 * import { stream } from "../core/mod.ts";
 * import { nav2d } from "./mod.ts";
 * const task = nav2d.sampleTask(stream({ seed: 0, purpose: "task", iteration: 0, task: 0 }));
 * const episode = nav2d.reset(task, stream({ seed: 0, purpose: "reset", iteration: 0, task: 0 }));
 * assert.deepEqual([...episode.observation], [0, 0]);
 * assert.equal(episode.step(new Float64Array([0, 0])).done, false);
 * ```
 *
 * @module
 */
export { type Episode, scaleAction, type TaskFamily } from "./env.ts";
export { environmentName, pinTaskModule } from "./task_module.ts";
export { nav2d, type Nav2dTask } from "./nav2d.ts";
export { environmentDims, type EnvironmentId, ENVIRONMENTS, loadTaskFamily } from "./registry.ts";
export {
  loadLocomotionFamily,
  LOCOMOTION_TASKS,
  locomotionFamily,
  type LocomotionId,
  type LocomotionSpec,
  type LocomotionTask,
} from "./locomotion.ts";
export {
  type CompiledModel,
  compileModelFile,
  compileModelXml,
  loadMujoco,
  ModelCompileError,
} from "./mujoco.ts";
export { checkPhysicsAvailable, PHYSICS_ENGINES, type PhysicsEngine } from "./physics.ts";
