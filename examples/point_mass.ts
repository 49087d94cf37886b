/**
 * An own task family in a few lines: a point mass on a line that must hold a task-specific
 * velocity. The observation is (position, velocity); the action is a force in [−1, 1]; the reward
 * is −|velocity − target| − 0.01·force². Tasks differ in their target velocity, drawn uniformly
 * from [−1, 1], so a policy must identify the task from its first trajectories: what
 * meta-learning is for.
 *
 * Use it as any built-in environment, by its path: `{"env": "examples/point_mass.ts"}` (the
 * package pins it as `examples/point_mass.ts#sha256=…`, so that a changed file is refused by
 * verify). Every random draw comes from the streams the sampler hands over, so the results are the
 * same bytes for any number of worker threads.
 *
 * @module
 */
import type { Episode, RandomStream, TaskFamily } from "../mod.ts";

/** One task: the velocity to hold. */
export interface PointMassTask {
  readonly targetVelocity: number;
}

const DT = 0.1;
const CONTROL_COST = 0.01;

class PointMassEpisode implements Episode {
  readonly observation = new Float64Array(2);
  constructor(private readonly task: PointMassTask, rng: RandomStream) {
    // Start near rest: reset noise from the episode's own stream.
    this.observation[0] = rng.uniformIn(-0.1, 0.1);
    this.observation[1] = rng.uniformIn(-0.1, 0.1);
  }
  step(action: Float64Array): { reward: number; done: boolean } {
    const force = action[0];
    const velocity = this.observation[1] + force * DT;
    this.observation[0] += velocity * DT;
    this.observation[1] = velocity;
    const reward = -Math.abs(velocity - this.task.targetVelocity) - CONTROL_COST * force * force;
    return { reward, done: false };
  }
}

/** The family: its default export is what `config.env` names. */
const pointMass: TaskFamily<PointMassTask> = {
  id: "point-mass-velocity",
  obsDim: 2,
  actDim: 1,
  actionLow: [-1],
  actionHigh: [1],
  sampleTask: (rng) => ({ targetVelocity: rng.uniformIn(-1, 1) }),
  describeTask: (task) => ({ targetVelocity: task.targetVelocity }),
  reset: (task, rng) => new PointMassEpisode(task, rng),
};

export default pointMass;
