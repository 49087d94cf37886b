/**
 * The interface every task family implements, and the reference implementation's action scaling.
 *
 * @module
 */
import type { RandomStream } from "../core/rng.ts";

/**
 * One running episode of one task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Episode } from "./env.ts";
 * // A one-dimensional episode whose reward is minus the distance travelled from 1.
 * class Walk implements Episode {
 *   readonly observation = new Float64Array(1);
 *   step(action: Float64Array) {
 *     this.observation[0] += action[0];
 *     return { reward: -Math.abs(this.observation[0] - 1), done: false };
 *   }
 * }
 * const walk = new Walk();
 * assert.equal(walk.step(new Float64Array([0.25])).reward, -0.75, "reward");
 * ```
 */
export interface Episode {
  /** The current observation (the episode may reuse this array between steps). */
  readonly observation: Float64Array;
  /** Apply an environment-scale action; returns the reward and whether the episode ended. */
  step(action: Float64Array): { reward: number; done: boolean };
  /** Release resources held outside the JavaScript heap (MuJoCo data, say). */
  close?(): void;
}

/**
 * A distribution over tasks, and how to run an episode of one of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Episode, TaskFamily } from "./env.ts";
 * import { stream } from "../core/rng.ts";
 * // Tasks are target points on a line; every random draw comes from the streams passed in.
 * const line: TaskFamily<{ target: number }> = {
 *   id: "line", obsDim: 1, actDim: 1, actionLow: [-1], actionHigh: [1],
 *   sampleTask: (rng) => ({ target: rng.uniformIn(-1, 1) }),
 *   describeTask: (task) => ({ target: task.target }),
 *   reset: (task, rng): Episode => {
 *     const observation = new Float64Array([rng.uniformIn(-0.1, 0.1)]);
 *     return {
 *       observation,
 *       step: (a) => {
 *         observation[0] += a[0];
 *         return { reward: -Math.abs(observation[0] - task.target), done: false };
 *       },
 *     };
 *   },
 * };
 * const task = line.sampleTask(stream({ seed: 0, purpose: "task" }));
 * const episode = line.reset(task, stream({ seed: 0, purpose: "reset" }));
 * assert.ok(episode.step(new Float64Array([0.5])).reward <= 0, "a distance");
 * ```
 */
export interface TaskFamily<Task = unknown> {
  /** Stable identifier, used in configs and artefacts. */
  readonly id: string;
  readonly obsDim: number;
  readonly actDim: number;
  /**
   * True when actions are indices (a discrete action space): the sampler passes them to the
   * environment as they are, without the box scaling of {@linkcode scaleAction}.
   */
  readonly discreteActions?: boolean;
  /** Lower bounds of the environment's action space. */
  readonly actionLow: readonly number[];
  /** Upper bounds of the environment's action space. */
  readonly actionHigh: readonly number[];
  /** Draw one task from the family's distribution. */
  sampleTask(rng: RandomStream): Task;
  /** A JSON-serialisable description of a task (for logs and artefacts). */
  describeTask(task: Task): Record<string, number | number[]>;
  /** Start an episode; `rng` is the episode's reset-noise stream. */
  reset(task: Task, rng: RandomStream): Episode;
}

/** Bound of the policy's action range in the reference implementation. */
export const POLICY_ACTION_BOUND = 10;

/**
 * Map a policy action in [−10, 10] to the environment's box [low, high] as the reference
 * implementation does: low + (a + 10)(high − low)/20, clipped to [low, high].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scaleAction } from "./env.ts";
 * const out = new Float64Array(2);
 * scaleAction(new Float64Array([5, 30]), [-0.1, -0.1], [0.1, 0.1], out);
 * assert.ok(Math.abs(out[0] - 0.05) <= 1e-15, "bad scaling");
 * assert.equal(out[1], 0.1, "bad scaling");
 * ```
 */
export function scaleAction(
  action: ArrayLike<number>,
  low: readonly number[],
  high: readonly number[],
  out: Float64Array,
): Float64Array {
  const b = POLICY_ACTION_BOUND;
  for (let j = 0; j < low.length; j++) {
    const v = low[j] + (action[j] + b) * (high[j] - low[j]) / (2 * b);
    out[j] = v < low[j] ? low[j] : v > high[j] ? high[j] : v;
  }
  return out;
}
