/**
 * The task families by id: the one place that maps an experiment's `env` to its
 * {@linkcode TaskFamily}. Sampling workers resolve families through it too, so a family is named
 * by its id wherever it has to cross a thread.
 *
 * @module
 */
import { InputError } from "../core/errors.ts";
import type { TaskFamily } from "./env.ts";
import { loadLocomotionFamily, LOCOMOTION_TASKS, type LocomotionId } from "./locomotion.ts";
import type { PhysicsEngine } from "./physics.ts";
import { nav2d } from "./nav2d.ts";
import { isPinnedTaskModule } from "./task_module.ts";

/**
 * Every environment id an experiment may name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ENVIRONMENTS } from "./registry.ts";
 * assert.equal(ENVIRONMENTS.length, 5, "five built-ins");
 * assert.equal(ENVIRONMENTS[0], "nav2d", "five built-ins");
 * ```
 */
export const ENVIRONMENTS = [
  "nav2d",
  "half-cheetah-dir",
  "half-cheetah-vel",
  "swimmer-vel",
  "swimmer-vel-goal",
] as const;

/**
 * One of {@linkcode ENVIRONMENTS}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { environmentDims, type EnvironmentId } from "./registry.ts";
 * const env: EnvironmentId = "swimmer-vel";
 * assert.equal(environmentDims(env).actDim, 2, "the swimmer has two joints");
 * ```
 */
export type EnvironmentId = typeof ENVIRONMENTS[number];

/** Whether `value` names a known environment. */
export function isEnvironmentId(value: string): value is EnvironmentId {
  return (ENVIRONMENTS as readonly string[]).includes(value);
}

/** Dimensions of the task modules prepared in this thread, by pinned reference. */
const moduleDims = new Map<string, { obsDim: number; actDim: number }>();

/**
 * Observation and action widths of an environment: a built-in one's known without loading its
 * physics; a task module's once `prepareTaskModules` (src/sandbox/task_sandbox.ts) has read them
 * from the module's sandbox in this thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { environmentDims } from "./registry.ts";
 * const { obsDim, actDim } = environmentDims("half-cheetah-dir");
 * assert.equal(obsDim, 17, "HalfCheetah: 17 observations, 6 controls");
 * assert.equal(actDim, 6, "HalfCheetah: 17 observations, 6 controls");
 * ```
 */
export function environmentDims(env: string): { obsDim: number; actDim: number } {
  if (env === "nav2d") return { obsDim: nav2d.obsDim, actDim: nav2d.actDim };
  if (isEnvironmentId(env)) {
    const { obsDim, actDim } = LOCOMOTION_TASKS[env as LocomotionId];
    return { obsDim, actDim };
  }
  const dims = moduleDims.get(env);
  if (dims === undefined) {
    throw new Error(`${env}: task module not prepared in this thread (prepareTaskModules first)`);
  }
  return dims;
}

const loaded = new Map<string, Promise<TaskFamily>>();

/**
 * The task family of a built-in environment id, loaded on first use and shared afterwards (once
 * per thread and physics engine: the engine, the compiled model and the family; `physics` matters
 * only for the MuJoCo environments). An unknown id is an
 * {@linkcode InputError} listing the known ones. A task module is never loaded here: its code runs
 * only in the task sandbox (src/sandbox/task_sandbox.ts), and asking for it is an error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTaskFamily } from "./registry.ts";
 * const family = await loadTaskFamily("nav2d");
 * assert.equal(family.obsDim, 2, "nav2d observes a point in the plane");
 * ```
 */
export async function loadTaskFamily(
  env: string,
  physics: PhysicsEngine = "wasm",
): Promise<TaskFamily> {
  if (!isEnvironmentId(env) && !isPinnedTaskModule(env)) {
    throw new InputError(
      `env must be one of ${ENVIRONMENTS.join(", ")} or a pinned task module, got "${env}"`,
    );
  }
  if (!isEnvironmentId(env)) {
    throw new Error(
      `${env}: a task module runs only in the task sandbox (src/sandbox/task_sandbox.ts), never in this thread`,
    );
  }
  // 2D navigation has no physics engine: one family whatever `physics` says.
  const key = env === "nav2d" ? env : `${env}@${physics}`;
  let family = loaded.get(key);
  if (family === undefined) {
    family = env === "nav2d"
      ? Promise.resolve(nav2d as TaskFamily)
      : loadLocomotionFamily(env as LocomotionId, physics) as Promise<TaskFamily>;
    loaded.set(key, family);
    family.catch(() => loaded.delete(key));
  }
  return await family;
}

/**
 * Remember, in this thread, the dimensions of a task module (read from its sandbox by
 * `prepareTaskModules`, src/sandbox/task_sandbox.ts), for {@linkcode environmentDims}.
 */
export function rememberTaskModuleDims(
  env: string,
  dims: { readonly obsDim: number; readonly actDim: number },
): void {
  moduleDims.set(env, { obsDim: dims.obsDim, actDim: dims.actDim });
}

/** Whether {@linkcode environmentDims} knows `env` in this thread (a built-in one always). */
export function knowsEnvironmentDims(env: string): boolean {
  return isEnvironmentId(env) || moduleDims.has(env);
}
