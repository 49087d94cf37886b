/**
 * 2D navigation (the reference's point_env_2d_v2): a point in [−0.5, 0.5]² starts at the origin and
 * moves towards a goal drawn uniformly from [−0.5, 0.5]².
 *
 * Step: s ← clip(s + clip(a, −0.1, 0.1), −0.5, 0.5); reward −‖goal − s‖ (Euclidean, after the
 * move); the episode ends when |s − goal| < 0.01 in both coordinates; the observation is s.
 *
 * @module
 */
import type { Episode, TaskFamily } from "./env.ts";
import type { RandomStream } from "../core/rng.ts";

/**
 * A 2D-navigation task: the goal position.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nav2d, type Nav2dTask } from "./nav2d.ts";
 * import { stream } from "../core/rng.ts";
 * const task: Nav2dTask = nav2d.sampleTask(stream({ seed: 0, purpose: "task" }));
 * assert.ok(task.goal.every((g) => g >= -0.5 && g <= 0.5), "goals in [−0.5, 0.5]²");
 * ```
 */
export interface Nav2dTask {
  readonly goal: readonly [number, number];
}

const STEP_BOUND = 0.1;
const STATE_BOUND = 0.5;
const GOAL_TOLERANCE = 0.01;

const clip = (v: number, lo: number, hi: number) => v < lo ? lo : v > hi ? hi : v;

class Nav2dEpisode implements Episode {
  readonly observation = new Float64Array(2);
  constructor(private readonly goal: readonly [number, number]) {}

  step(action: Float64Array): { reward: number; done: boolean } {
    const s = this.observation;
    s[0] = clip(s[0] + clip(action[0], -STEP_BOUND, STEP_BOUND), -STATE_BOUND, STATE_BOUND);
    s[1] = clip(s[1] + clip(action[1], -STEP_BOUND, STEP_BOUND), -STATE_BOUND, STATE_BOUND);
    const dx = this.goal[0] - s[0], dy = this.goal[1] - s[1];
    return {
      reward: -Math.sqrt(dx * dx + dy * dy),
      done: Math.abs(dx) < GOAL_TOLERANCE && Math.abs(dy) < GOAL_TOLERANCE,
    };
  }
}

/**
 * The 2D-navigation task family.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nav2d } from "./nav2d.ts";
 * import { stream } from "../core/rng.ts";
 * const task = { goal: [0.05, 0] as [number, number] };
 * const ep = nav2d.reset(task, stream({ seed: 0, purpose: "reset" }));
 * const { reward, done } = ep.step(new Float64Array([0.05, 0]));
 * assert.equal(reward, -0, "the goal was reached in one step (−0: minus a zero distance)");
 * assert.ok(done, "the goal was reached in one step");
 * ```
 */
export const nav2d: TaskFamily<Nav2dTask> = {
  id: "nav2d",
  obsDim: 2,
  actDim: 2,
  actionLow: [-STEP_BOUND, -STEP_BOUND],
  actionHigh: [STEP_BOUND, STEP_BOUND],
  sampleTask(rng: RandomStream): Nav2dTask {
    const x = rng.uniformIn(-STATE_BOUND, STATE_BOUND);
    const y = rng.uniformIn(-STATE_BOUND, STATE_BOUND);
    return { goal: [x, y] };
  },
  describeTask(task: Nav2dTask) {
    return { goal: [task.goal[0], task.goal[1]] };
  },
  reset(task: Nav2dTask): Episode {
    return new Nav2dEpisode(task.goal);
  },
};
