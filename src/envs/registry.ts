/**
 * The task families by id: the one place that maps an experiment's `env` to its
 * {@linkcode TaskFamily}. Sampling workers resolve families through it too, so a family is named
 * by its id wherever it has to cross a thread.
 *
 * @module
 */
import { InputError } from "../core/errors.ts";
import type { TaskFamily } from "./env.ts";
import { loadLocomotionFamily, LOCOMOTION_TASKS } from "./locomotion.ts";
import { nav2d } from "./nav2d.ts";

/** Every environment id an experiment may name. */
export const ENVIRONMENTS = [
  "nav2d",
  "half-cheetah-dir",
  "half-cheetah-vel",
  "swimmer-vel",
  "swimmer-vel-goal",
] as const;

/** One of {@linkcode ENVIRONMENTS}. */
export type EnvironmentId = typeof ENVIRONMENTS[number];

/** Whether `value` names a known environment. */
export function isEnvironmentId(value: string): value is EnvironmentId {
  return (ENVIRONMENTS as readonly string[]).includes(value);
}

/** Observation and action widths of an environment, known without loading its physics. */
export function environmentDims(env: EnvironmentId): { obsDim: number; actDim: number } {
  if (env === "nav2d") return { obsDim: nav2d.obsDim, actDim: nav2d.actDim };
  const { obsDim, actDim } = LOCOMOTION_TASKS[env];
  return { obsDim, actDim };
}

const loaded = new Map<EnvironmentId, Promise<TaskFamily>>();

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
  if (!isEnvironmentId(env)) {
    throw new InputError(`env must be one of ${ENVIRONMENTS.join(", ")}, got "${env}"`);
  }
  let family = loaded.get(env);
  if (family === undefined) {
    family = env === "nav2d"
      ? Promise.resolve(nav2d as TaskFamily)
      : loadLocomotionFamily(env) as Promise<TaskFamily>;
    loaded.set(env, family);
    family.catch(() => loaded.delete(env));
  }
  return await family;
}
