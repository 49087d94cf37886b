/**
 * The task sandbox (`@sgmrl/sgmrl/sandbox`): task modules of your own run in a Worker with no
 * write, FFI, subprocess, network or environment access; {@linkcode checkTaskFamily} tries one
 * first and lists every problem it has.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nav2d } from "../envs/mod.ts";
 * import { checkTaskFamily } from "./mod.ts";
 * assert.deepEqual(checkTaskFamily(nav2d, { tasks: 1, episodes: 1, steps: 3 }), []);
 * ```
 *
 * @module
 */
export { configureTaskSandbox, type SandboxSettings, TaskModuleError } from "./task_sandbox.ts";
export { checkTaskFamily, type CheckTaskFamilyOptions } from "./check_task_family.ts";
