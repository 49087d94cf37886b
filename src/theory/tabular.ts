/**
 * Tabular MDPs and the tabular softmax policy, with exact (enumerated, float64) objectives.
 *
 * A task is a finite-horizon MDP: initial distribution μ over S states, transitions P[s][a][s'],
 * rewards r[s][a]; a trajectory has steps h = 0..H (H + 1 actions) and return
 * R(τ) = Σ_h γ^h r(s_h, a_h). The policy is π(a | s; θ) = softmax(θ[s, ·])(a) with logits θ stored
 * row-major (state, then action).
 *
 * Everything here is float64 JavaScript and independent of the estimators: it is the yardstick the
 * estimators' exact expectations are compared with.
 *
 * @module
 */
import type * as tfType from "@tensorflow/tfjs";
import { tf } from "../kernels/backend.ts";
import type { Episode, TaskFamily } from "../envs/env.ts";
import type { BatchedPolicy } from "../estimators/batched_meta_gradient.ts";
import type { SamplingPolicy } from "../estimators/sampler.ts";
import { exp } from "../kernels/tensor_ops.ts";

/** One task of a tabular problem. */
export interface TabularTask {
  /** Probability of this task in the task distribution. */
  readonly weight: number;
  /** Initial state distribution, length S. */
  readonly mu: readonly number[];
  /** Transition probabilities P[s][a][s']. */
  readonly P: readonly (readonly (readonly number[])[])[];
  /** Rewards r[s][a]. */
  readonly r: readonly (readonly number[])[];
}

/**
 * A tabular meta-RL problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exactReturn, type TabularProblem } from "./tabular.ts";
 * // One state, two actions, one step; action 0 pays 1. Under the uniform policy V = ½.
 * const problem: TabularProblem = { states: 1, actions: 2, horizon: 0, gamma: 1,
 *   tasks: [{ weight: 1, mu: [1], P: [[[1], [1]]], r: [[1, 0]] }] };
 * assert.equal(exactReturn(problem, problem.tasks[0], [0, 0]), 0.5, "V = ½");
 * ```
 */
export interface TabularProblem {
  readonly states: number;
  readonly actions: number;
  /** Last step index: steps are h = 0..horizon. */
  readonly horizon: number;
  readonly gamma: number;
  readonly tasks: readonly TabularTask[];
}

/** One trajectory with its probability under a policy. */
export interface WeightedTrajectory {
  readonly states: readonly number[];
  readonly actions: readonly number[];
  readonly rewards: readonly number[];
  readonly probability: number;
}

/** π(· | s; θ) for every state: softmax of each row of the logits, in float64. */
export function softmaxRows(theta: ArrayLike<number>, states: number, actions: number): number[][] {
  const rows: number[][] = [];
  for (let s = 0; s < states; s++) {
    let m = -Infinity;
    for (let a = 0; a < actions; a++) m = Math.max(m, theta[s * actions + a]);
    const e = Array.from({ length: actions }, (_, a) => Math.exp(theta[s * actions + a] - m));
    const z = e.reduce((x, y) => x + y, 0);
    rows.push(e.map((v) => v / z));
  }
  return rows;
}

/**
 * Every trajectory of `task` with non-zero probability under π_θ, in a fixed order (depth first:
 * initial state, then action, then next state, …, each ascending).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { enumerateTrajectories } from "./tabular.ts";
 * const task = { weight: 1, mu: [1, 0], P: [[[0, 1], [1, 0]], [[1, 0], [0, 1]]], r: [[1, 0], [0, 1]] };
 * const problem = { states: 2, actions: 2, horizon: 1, gamma: 0.5, tasks: [task] };
 * const all = enumerateTrajectories(problem, task, [0, 0, 0, 0]);
 * const total = all.reduce((s, t) => s + t.probability, 0);
 * assert.equal(all.length, 4, "4 paths of probability 1/4");
 * assert.ok(Math.abs(total - 1) <= 1e-15, "4 paths of probability 1/4");
 * ```
 */
export function enumerateTrajectories(
  problem: TabularProblem,
  task: TabularTask,
  theta: ArrayLike<number>,
): WeightedTrajectory[] {
  const { states, actions, horizon } = problem;
  const pi = softmaxRows(theta, states, actions);
  const out: WeightedTrajectory[] = [];
  const ss: number[] = [], as: number[] = [], rs: number[] = [];
  const visit = (s: number, h: number, p: number) => {
    for (let a = 0; a < actions; a++) {
      const pa = p * pi[s][a];
      if (pa === 0) continue;
      ss.push(s), as.push(a), rs.push(task.r[s][a]);
      if (h === horizon) {
        out.push({ states: [...ss], actions: [...as], rewards: [...rs], probability: pa });
      } else {
        for (let s2 = 0; s2 < states; s2++) {
          const q = task.P[s][a][s2];
          if (q > 0) visit(s2, h + 1, pa * q);
        }
      }
      ss.pop(), as.pop(), rs.pop();
    }
  };
  for (let s = 0; s < states; s++) if (task.mu[s] > 0) visit(s, 0, task.mu[s]);
  return out;
}

/** R(τ) = Σ_h γ^h r_h. */
export function trajectoryReturn(rewards: readonly number[], gamma: number): number {
  let total = 0, g = 1;
  for (const r of rewards) (total += g * r, g *= gamma);
  return total;
}

/** J(θ) = E_τ[R(τ)] for one task, exactly. */
export function exactReturn(
  problem: TabularProblem,
  task: TabularTask,
  theta: ArrayLike<number>,
): number {
  return enumerateTrajectories(problem, task, theta)
    .reduce((s, t) => s + t.probability * trajectoryReturn(t.rewards, problem.gamma), 0);
}

/**
 * ĝ(θ, D) of eq. 5 in float64: mean over the batch of Σ_h ∇log π(a_h|s_h; θ)·R^h(τ), with the
 * reward-to-go R^h = Σ_{t≥h} γ^t r_t and ∇_θ[s,·] log π(a|s) = e_a − π(·|s).
 */
export function policyGradient64(
  problem: TabularProblem,
  theta: ArrayLike<number>,
  batch: readonly WeightedTrajectory[],
): Float64Array {
  const { states, actions, gamma } = problem;
  const pi = softmaxRows(theta, states, actions);
  const g = new Float64Array(states * actions);
  for (const tau of batch) {
    const n = tau.rewards.length;
    const rtg = new Float64Array(n);
    let acc = 0;
    for (let h = n - 1; h >= 0; h--) (acc += Math.pow(gamma, h) * tau.rewards[h], rtg[h] = acc);
    for (let h = 0; h < n; h++) {
      const s = tau.states[h];
      for (let a = 0; a < actions; a++) {
        g[s * actions + a] += ((a === tau.actions[h] ? 1 : 0) - pi[s][a]) * rtg[h] / batch.length;
      }
    }
  }
  return g;
}

/**
 * Visit every ordered batch of `size` trajectories drawn with replacement (paper eq. 18), with its
 * probability Π p(τ).
 */
export function forEachBatch(
  trajectories: readonly WeightedTrajectory[],
  size: number,
  visit: (batch: WeightedTrajectory[], probability: number) => void,
): void {
  const batch: WeightedTrajectory[] = [];
  const rec = (p: number) => {
    if (batch.length === size) return visit([...batch], p);
    for (const t of trajectories) {
      batch.push(t);
      rec(p * t.probability);
      batch.pop();
    }
  };
  rec(1);
}

/**
 * Visit every multiset of `size` trajectories once, as the batch that lists its trajectories in
 * enumeration order, with the probability that an ordered draw with replacement (paper eq. 18)
 * gives it: size! / Π kᵢ! · Π p(τᵢ)^kᵢ. Every quantity that is a sum or mean over a batch's
 * trajectories has the same expectation over these as over {@linkcode forEachBatch}'s ordered
 * batches, with C(T + size − 1, size) visits instead of T^size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forEachMultiset } from "./tabular.ts";
 * const ts = [{ states: [0], actions: [0], rewards: [1], probability: 0.25 },
 *   { states: [0], actions: [1], rewards: [0], probability: 0.75 }];
 * const seen: string[] = [];
 * forEachMultiset(ts, 2, (b, p) => seen.push(`${b.map((t) => t.actions[0]).join("")}:${p}`));
 * // {0,0}: 0.25², {0,1}: 2 · 0.25 · 0.75, {1,1}: 0.75².
 * assert.equal(seen.join(), "00:0.0625,01:0.375,11:0.5625", seen.join());
 * ```
 */
export function forEachMultiset(
  trajectories: readonly WeightedTrajectory[],
  size: number,
  visit: (batch: WeightedTrajectory[], probability: number) => void,
): void {
  const batch: WeightedTrajectory[] = [];
  // coefficient: the number of ordered batches with this multiset, size! / Π kᵢ!, built as each
  // trajectory is appended (run: how many times the last one repeats so far).
  const rec = (start: number, p: number, coefficient: number, run: number) => {
    if (batch.length === size) return visit([...batch], coefficient === 1 ? p : coefficient * p);
    for (let i = start; i < trajectories.length; i++) {
      const repeats = i === start && batch.length > 0 && batch.at(-1) === trajectories[i]
        ? run + 1
        : 1;
      batch.push(trajectories[i]);
      rec(i, p * trajectories[i].probability, coefficient * batch.length / repeats, repeats);
      batch.pop();
    }
  };
  rec(0, 1, 1, 0);
}

/**
 * V_ζ(θ) = E_i E_{D_1..D_ζ}[J_i(θ^ζ)] with θᵗ = θᵗ⁻¹ + α ĝ(θᵗ⁻¹, D_t), |D_t| = `batchIn`, by exact
 * enumeration in float64.
 */
export function exactMetaObjective(
  problem: TabularProblem,
  theta: ArrayLike<number>,
  alpha: number,
  innerSteps: number,
  batchIn: number,
): number {
  let total = 0;
  for (const task of problem.tasks) {
    const rec = (th: Float64Array, t: number): number => {
      if (t === innerSteps) return exactReturn(problem, task, th);
      let v = 0;
      forEachBatch(enumerateTrajectories(problem, task, th), batchIn, (batch, p) => {
        const g = policyGradient64(problem, th, batch);
        v += p * rec(th.map((x, i) => x + alpha * g[i]), t + 1);
      });
      return v;
    };
    total += task.weight * rec(Float64Array.from(theta), 0);
  }
  return total;
}

/** ∇V_ζ(θ) by central differences of {@linkcode exactMetaObjective} (step 1e-5, float64). */
export function exactMetaGradient(
  problem: TabularProblem,
  theta: ArrayLike<number>,
  alpha: number,
  innerSteps: number,
  batchIn: number,
  step = 1e-5,
): Float64Array {
  const base = Float64Array.from(theta);
  return base.map((_, i) => {
    const plus = base.slice(), minus = base.slice();
    plus[i] += step;
    minus[i] -= step;
    return (exactMetaObjective(problem, plus, alpha, innerSteps, batchIn) -
      exactMetaObjective(problem, minus, alpha, innerSteps, batchIn)) / (2 * step);
  });
}

/**
 * The tabular softmax policy as a {@linkcode BatchedPolicy}: observations are one-hot
 * states (width S), actions are action indices (width 1), parameters one [S, A] logit table.
 *
 * log π(a|s) = θ[s,a] − log Σ_b exp θ[s,b], with the row maximum subtracted as a constant (the
 * value does not depend on it) and an `exp` that is differentiable to every order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tabularSoftmax } from "./tabular.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * const tf = await useBackend("wasm");
 * // Uniform logits: log π(a | s) = −log 2 for every state and action.
 * const lp = tabularSoftmax(2, 2).logProb([tf.zeros([2, 2])], tf.tensor2d([[0, 1]]),
 *   tf.tensor2d([[1]]));
 * assert.ok(Math.abs(lp.dataSync()[0] + Math.log(2)) <= 1e-6, "−log 2");
 * ```
 */
export function tabularSoftmax(states: number, actions: number): BatchedPolicy {
  return {
    obsDim: states,
    actDim: 1,
    shapes: [[states, actions]],
    logProb(params, obs, act) {
      const logits = tf.matMul(obs, params[0] as tfType.Tensor2D);
      return logSoftmaxAt(logits, act, actions) as tfType.Tensor1D;
    },
    logProbBatched(params, obs, act) {
      const logits = tf.matMul(obs, params[0] as tfType.Tensor3D);
      return logSoftmaxAt(logits, act, actions) as tfType.Tensor2D;
    },
  };
}

/**
 * log softmax(logits)[a] along the last axis, for logits [..., A] and action indices [..., 1]:
 * the maximum is subtracted as a constant (read back, so not differentiated), and `exp` is
 * differentiable to every order.
 */
function logSoftmaxAt(logits: tfType.Tensor, act: tfType.Tensor, actions: number): tfType.Tensor {
  const rows = logits.shape.slice(0, -1);
  const shift = tf.tensor((tf.max(logits, -1, true).dataSync() as Float32Array).slice(), [
    ...rows,
    1,
  ]);
  const shifted = tf.sub(logits, shift);
  const lse = tf.log(tf.sum(exp(shifted), -1, true));
  const onehot = tf.reshape(
    tf.oneHot(tf.cast(tf.reshape(act, [-1]), "int32"), actions),
    logits.shape,
  );
  return tf.sum(tf.mul(onehot, tf.sub(shifted, lse)), -1);
}

/**
 * The tasks of a tabular problem as a {@linkcode TaskFamily}, so that the sampler draws its
 * trajectories like any other task's: observations are one-hot states, actions are indices, the
 * initial state and every transition come from the episode's own random stream. Run it with a
 * horizon of H + 1 steps (steps h = 0..H).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tabularFamily } from "./tabular.ts";
 * import { stream } from "../core/rng.ts";
 * // Two states; action a moves to state a, and being in state 1 pays 1.
 * const family = tabularFamily({ states: 2, actions: 2, horizon: 1, gamma: 1, tasks: [{
 *   weight: 1, mu: [1, 0], P: [[[1, 0], [0, 1]], [[1, 0], [0, 1]]], r: [[0, 0], [1, 1]] }] });
 * const task = family.sampleTask(stream({ seed: 0, purpose: "task" }));
 * const episode = family.reset(task, stream({ seed: 0, purpose: "reset" }));
 * assert.equal(episode.observation.join(), "1,0", "one-hot: state 0");
 * episode.step(new Float64Array([1]));
 * assert.equal(episode.observation.join(), "0,1", "action 1 moved to state 1");
 * ```
 */
export function tabularFamily(problem: TabularProblem): TaskFamily<TabularTask> {
  const { states, actions } = problem;
  const draw = (p: readonly number[], u: number) => {
    let acc = 0;
    for (let i = 0; i < p.length; i++) if (u < (acc += p[i])) return i;
    return p.length - 1;
  };
  return {
    id: "tabular",
    obsDim: states,
    actDim: 1,
    discreteActions: true,
    actionLow: [0],
    actionHigh: [actions - 1],
    sampleTask: (rng) => problem.tasks[draw(problem.tasks.map((t) => t.weight), rng.uniform())],
    describeTask: (task) => ({ weight: task.weight, mu: [...task.mu] }),
    reset(task, rng): Episode {
      const observation = new Float64Array(states);
      let s = draw(task.mu, rng.uniform());
      observation[s] = 1;
      return {
        observation,
        step(action) {
          const a = action[0];
          const reward = task.r[s][a];
          observation[s] = 0;
          s = draw(task.P[s][a], rng.uniform());
          observation[s] = 1;
          return { reward, done: false };
        },
      };
    },
  };
}

/**
 * The tabular softmax policy while sampling: the row's state is read from its one-hot observation
 * and the action drawn from softmax(θ[s, ·]) by inverting the CDF at one uniform of the row's stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tabularSampling } from "./tabular.ts";
 * import { stream } from "../core/rng.ts";
 * // Logits that make action 1 all but certain in state 0.
 * const out = new Float64Array(1);
 * tabularSampling(2, 2).act([new Float32Array([-50, 50, 0, 0])], new Float64Array([1, 0]), 1,
 *   [stream({ seed: 0, purpose: "action" })], out);
 * assert.equal(out[0], 1, "action 1");
 * ```
 */
export function tabularSampling(states: number, actions: number): SamplingPolicy {
  return {
    actDim: 1,
    act(params, obs, rows, noise, out) {
      const pi = softmaxRows(params[0], states, actions);
      for (let k = 0; k < rows; k++) {
        let s = 0;
        while (s < states - 1 && obs[k * states + s] !== 1) s++;
        const u = noise[k].uniform();
        let acc = 0, a = 0;
        while (a < actions - 1 && u >= (acc += pi[s][a])) a++;
        out[k] = a;
      }
    },
  };
}
