/**
 * An own MuJoCo task family: a cart-pole (a cart on a rail with a hinged pole, the cart driven by a
 * motor) from this file's own MJCF model, with its own reward: −|cart velocity − target| −
 * 0.01·force². Tasks differ in the target velocity, drawn uniformly from [−1, 1]. The observation
 * is the pole's angle and both velocities (the cart's position is left out, as the locomotion
 * tasks leave out the root's).
 *
 * The model is inlined in the module, so the digest that pins the task module also covers the
 * model. Use it as any environment: `{"env": "examples/cart_pole_velocity.ts"}`. Each thread that
 * imports the module compiles the model once.
 *
 * @module
 */
import {
  compileModelXml,
  loadMujoco,
  locomotionFamily,
  type LocomotionSpec,
} from "../src/envs/mod.ts";

/** The MJCF model: a 1 kg cart on a slide joint, a 0.1 kg pole on a hinge, one motor. */
export const CART_POLE_MJCF = `<mujoco model="cart-pole">
  <option timestep="0.01"/>
  <worldbody>
    <geom type="plane" size="20 1 0.1"/>
    <body name="cart" pos="0 0 0.1">
      <joint name="slider" type="slide" axis="1 0 0" damping="0.1"/>
      <geom type="box" size="0.2 0.1 0.05" mass="1"/>
      <body name="pole" pos="0 0 0.05">
        <joint name="hinge" type="hinge" axis="0 1 0" damping="0.01"/>
        <geom type="capsule" fromto="0 0 0 0 0 0.6" size="0.02" mass="0.1"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor joint="slider" gear="10" ctrllimited="true" ctrlrange="-1 1"/>
  </actuator>
</mujoco>`;

const CONTROL_COST = 0.01;

/** How the family is built from the model: observation layout, tasks and the reward. */
export const CART_POLE_VELOCITY: LocomotionSpec = {
  id: "cart-pole-velocity",
  model: "cart_pole_velocity.ts",
  frameSkip: 2,
  obsDim: 3,
  actDim: 1,
  qposStart: 1,
  goalName: "targetVelocity",
  sampleGoal: (rng) => rng.uniformIn(-1, 1),
  reward: (velocity, target, controlSquared) =>
    -Math.abs(velocity - target) - CONTROL_COST * controlSquared,
  resetNoise: "swimmer",
};

const compiled = compileModelXml(
  await loadMujoco(),
  CART_POLE_MJCF,
  "examples/cart_pole_velocity.ts",
);

/** The family: its default export is what `config.env` names. */
export default locomotionFamily(CART_POLE_VELOCITY, compiled);
