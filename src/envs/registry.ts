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
import { nav2d } from "./nav2d.ts";
import { importTaskModule, isPinnedTaskModule } from "./task_module.ts";

/**
 * Every environment id an experiment may name.
 *
 * @example
 * ```ts
 * import { ENVIRONMENTS } from "./registry.ts";
 * if (ENVIRONMENTS.length !== 5 || ENVIRONMENTS[0] !== "nav2d") throw new Error("five built-ins");
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
 * import { environmentDims, type EnvironmentId } from "./registry.ts";
 * const env: EnvironmentId = "swimmer-vel";
 * if (environmentDims(env).actDim !== 2) throw new Error("the swimmer has two joints");
 * ```
 */
export type EnvironmentId = typeof ENVIRONMENTS[number];

/** Whether `value` names a known environment. */
export function isEnvironmentId(value: string): value is EnvironmentId {
  return (ENVIRONMENTS as readonly string[]).includes(value);
}

/** Dimensions of the task modules loaded in this thread, by pinned reference. */
const moduleDims = new Map<string, { obsDim: number; actDim: number }>();

/**
 * Observation and action widths of an environment: a built-in one's known without loading its
 * physics; a task module's once {@linkcode loadTaskFamily} (or {@linkcode prepareTaskModules})
 * has loaded it in this thread.
 *
 * @example
 * ```ts
 * import { environmentDims } from "./registry.ts";
 * const { obsDim, actDim } = environmentDims("half-cheetah-dir");
 * if (obsDim !== 17 || actDim !== 6) throw new Error("HalfCheetah: 17 observations, 6 controls");
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
    throw new Error(`${env}: task module not loaded in this thread (loadTaskFamily first)`);
  }
  return dims;
}

const loaded = new Map<string, Promise<TaskFamily>>();

/**
 * The task family of an environment id, loaded on first use and shared afterwards (once per
 * thread: the physics engine, the compiled model and the family). An unknown id is an
 * {@linkcode InputError} listing the known ones.
 *
 * @example
 * ```ts
 * import { loadTaskFamily } from "./registry.ts";
 * const family = await loadTaskFamily("nav2d");
 * if (family.obsDim !== 2) throw new Error("nav2d observes a point in the plane");
 * ```
 */
export async function loadTaskFamily(env: string): Promise<TaskFamily> {
  if (!isEnvironmentId(env) && !isPinnedTaskModule(env)) {
    throw new InputError(
      `env must be one of ${ENVIRONMENTS.join(", ")} or a pinned task module, got "${env}"`,
    );
  }
  let family = loaded.get(env);
  if (family === undefined) {
    family = env === "nav2d"
      ? Promise.resolve(nav2d as TaskFamily)
      : isEnvironmentId(env)
      ? loadLocomotionFamily(env as LocomotionId) as Promise<TaskFamily>
      : importTaskModule(env).then((f) => {
        moduleDims.set(env, { obsDim: f.obsDim, actDim: f.actDim });
        return f;
      });
    loaded.set(env, family);
    family.catch(() => loaded.delete(env));
  }
  return await family;
}

/**
 * Load, in this thread, every task module that `envs` name (checking each file against its pin),
 * so that {@linkcode environmentDims} knows their dimensions; built-in ids are left alone.
 */
export async function prepareTaskModules(envs: Iterable<string>): Promise<void> {
  for (const env of new Set(envs)) {
    if (!isEnvironmentId(env)) await loadTaskFamily(env);
  }
}
