/**
 * Try a task family before training on it: {@linkcode checkTaskFamily} exercises it for a few tasks
 * and episodes and reports every way in which it breaks the {@linkcode TaskFamily} contract, or
 * would make results irreproducible, in one list.
 *
 * @module
 */
import { POLICY_ACTION_BOUND, scaleAction, type TaskFamily } from "../envs/env.ts";
import { type RandomStream, stream } from "../core/rng.ts";
import { checkedFamily, familyMetadata, metadataProblems, show } from "./task_family_checks.ts";

/**
 * Options of {@linkcode checkTaskFamily}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTaskFamily, type CheckTaskFamilyOptions } from "./check_task_family.ts";
 * import { nav2d } from "../envs/nav2d.ts";
 * // Longer episodes, more of them, other streams.
 * const options: CheckTaskFamilyOptions = { tasks: 5, episodes: 3, steps: 100, seed: 7 };
 * assert.equal(checkTaskFamily(nav2d, options).length, 0, "nav2d keeps the contract");
 * ```
 */
export interface CheckTaskFamilyOptions {
  /** Tasks drawn (default 3). */
  readonly tasks?: number;
  /** Episodes run per task (default 2). */
  readonly episodes?: number;
  /** Steps per episode at most (default 50). */
  readonly steps?: number;
  /** The seed of the streams the check draws from (default 0). */
  readonly seed?: number;
}

interface Trace {
  readonly values: number[];
  readonly problem?: string;
}

/**
 * Exercise `family` (the value a task module exports) and return every problem found, each one
 * line naming where (empty when none): its shape (dimensions, bounds, functions); tasks that are
 * not a function of their stream or whose `describeTask` is not a record of finite numbers;
 * episodes whose observations, rewards or `done` break the contract; episodes that are not a
 * function of their task, their reset stream and the actions (run twice, compared bit for bit);
 * draws from `Math.random`, which no stream controls; and errors thrown by any call. Actions are
 * drawn uniformly over the policy's range [−10, 10] and scaled to the family's bounds, as training
 * does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTaskFamily } from "./check_task_family.ts";
 * import type { TaskFamily } from "../envs/env.ts";
 * // A well-behaved family: targets on a line, every draw from the streams passed in.
 * const line: TaskFamily<{ target: number }> = {
 *   id: "line", obsDim: 1, actDim: 1, actionLow: [-1], actionHigh: [1],
 *   sampleTask: (rng) => ({ target: rng.uniformIn(-1, 1) }),
 *   describeTask: (task) => ({ target: task.target }),
 *   reset: (task, rng) => {
 *     const observation = new Float64Array([rng.uniformIn(-0.1, 0.1)]);
 *     return { observation, step: (a) => {
 *       observation[0] += a[0];
 *       return { reward: -Math.abs(observation[0] - task.target), done: false };
 *     } };
 *   },
 * };
 * assert.equal(checkTaskFamily(line).length, 0, checkTaskFamily(line).join("\n"));
 * // The same family drawing its start from Math.random and returning NaN rewards off the line.
 * const broken: TaskFamily<{ target: number }> = {
 *   ...line,
 *   reset: (task) => {
 *     const observation = new Float64Array([Math.random()]);
 *     return { observation, step: (a) => {
 *       observation[0] += a[0];
 *       return { reward: Math.abs(observation[0]) > 1 ? NaN : 0, done: false };
 *     } };
 *   },
 * };
 * const problems = checkTaskFamily(broken);
 * assert.ok(problems.some((p) => p.includes("Math.random")), problems.join("\n"));
 * assert.ok(problems.some((p) => p.includes("not a finite number")), problems.join("\n"));
 * ```
 */
export function checkTaskFamily(family: unknown, options: CheckTaskFamilyOptions = {}): string[] {
  const shape = metadataProblems(family);
  if (shape.length > 0) return shape;
  const meta = familyMetadata(family);
  const checked = checkedFamily(family as TaskFamily, meta);
  const { tasks = 3, episodes = 2, steps = 50, seed = 0 } = options;
  const problems = new Set<string>();
  const random = Math.random;
  let randomCalls = 0;
  Math.random = () => (randomCalls++, random());
  try {
    for (let t = 0; t < tasks; t++) {
      const key = { seed, purpose: "test" as const, task: t };
      const task = attempt(
        problems,
        `task ${t}: sampleTask`,
        () => checked.sampleTask(stream(key)),
      );
      if (task === undefined) continue;
      checkDescription(problems, t, checked, task, () => checked.sampleTask(stream(key)));
      for (let e = 0; e < episodes; e++) {
        const where = `task ${t}, episode ${e}`;
        const run = () => runEpisode(checked, meta, task, seed, t, e, steps);
        const first = run();
        if (first.problem !== undefined) {
          problems.add(`${where}: ${first.problem}`);
          continue;
        }
        const again = run();
        const k = first.values.findIndex((v, i) => !Object.is(v, again.values[i]));
        if (again.problem !== undefined || k >= 0 || again.values.length !== first.values.length) {
          problems.add(
            `${where}: not a function of its task, its reset stream and the actions: a second run from the same streams differs${
              k >= 0 ? ` at value ${k}` : ""
            } (keep every random draw on the streams passed to sampleTask and reset)`,
          );
        }
      }
    }
  } finally {
    Math.random = random;
  }
  if (randomCalls > 0) {
    problems.add(
      `draws from Math.random (${randomCalls} calls): no stream controls them, so results do not repeat; draw from the RandomStream passed to sampleTask and reset`,
    );
  }
  return [...problems];
}

/** `f()`, or undefined with its error added to `problems` as `where: message`. */
function attempt<T>(problems: Set<string>, where: string, f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    problems.add(`${where} threw: ${(e as Error)?.message ?? show(e)}`);
    return undefined;
  }
}

/** describeTask must give a record of finite numbers or arrays of them, the same for the same stream. */
function checkDescription(
  problems: Set<string>,
  t: number,
  family: TaskFamily,
  task: unknown,
  redraw: () => unknown,
): void {
  const describe = (x: unknown) =>
    attempt(problems, `task ${t}: describeTask`, () => family.describeTask(x));
  const description = describe(task);
  if (description === undefined) return;
  const finite = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  const valid = typeof description === "object" && description !== null &&
    Object.values(description).every((v) => finite(v) || (Array.isArray(v) && v.every(finite)));
  if (!valid) {
    problems.add(
      `task ${t}: describeTask must return a record of finite numbers or arrays of them, got ${
        show(description)
      }`,
    );
    return;
  }
  const again = describe(redraw());
  if (again !== undefined && JSON.stringify(again) !== JSON.stringify(description)) {
    problems.add(
      `task ${t}: sampleTask is not a function of its stream: the same stream gave ${
        show(JSON.stringify(description))
      } and ${show(JSON.stringify(again))}`,
    );
  }
}

/** One episode: every observation and reward in order, or the first problem. */
function runEpisode(
  family: TaskFamily,
  meta: ReturnType<typeof familyMetadata>,
  task: unknown,
  seed: number,
  t: number,
  e: number,
  steps: number,
): Trace {
  const values: number[] = [];
  let episode;
  try {
    episode = family.reset(
      task,
      stream({ seed, purpose: "test", task: t, trajectory: e, phase: 1 }),
    );
    values.push(...episode.observation);
  } catch (error) {
    return { values, problem: `reset: ${(error as Error).message}` };
  }
  const actions: RandomStream = stream({ seed, purpose: "test", task: t, trajectory: e, phase: 2 });
  const raw = new Float64Array(meta.actDim), scaled = new Float64Array(meta.actDim);
  let problem: string | undefined;
  try {
    for (let h = 0; h < steps; h++) {
      for (let j = 0; j < meta.actDim; j++) {
        raw[j] = meta.discreteActions
          ? Math.floor(actions.uniformIn(meta.actionLow[j], meta.actionHigh[j] + 1))
          : actions.uniformIn(-POLICY_ACTION_BOUND, POLICY_ACTION_BOUND);
      }
      const action = meta.discreteActions
        ? raw
        : scaleAction(raw, meta.actionLow, meta.actionHigh, scaled);
      const { reward, done } = episode.step(action);
      values.push(reward, ...episode.observation);
      if (done) break;
    }
  } catch (error) {
    problem = (error as Error).message;
  }
  try {
    episode.close?.();
  } catch (error) {
    problem ??= `close() threw: ${(error as Error).message}`;
  }
  return problem === undefined ? { values } : { values, problem };
}
