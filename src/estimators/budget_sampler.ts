/**
 * The published code's sampler (maml_zoo's `MAMLSampler`), whose batches are a step budget rather
 * than a fixed number of trajectories.
 *
 * Each of T tasks has E environment slots (E = trajectories per task). All T·E slots step in
 * lockstep from global step 0; a slot whose episode ends (done, or H steps) is reset at once and
 * starts its next path. Sampling stops after the first global step K* at which the completed paths
 * of all tasks together hold at least the budget B = T·E·H steps; the paths still running then are
 * dropped. Every slot's first path completes by step H ≤ K*, so each task gets at least E paths, and
 * a task whose episodes end early gets more. When no episode ends early, K* = H and the batch is
 * exactly E full paths per task.
 *
 * Determinism: the g-th path of slot e is the job {task, trajectory: g·E + e}, with action and reset
 * streams of its own (src/estimators/sampler.ts), so its bytes do not depend on when it starts or on
 * any other slot; the first generation (g = 0) is exactly the fixed sampler's trajectories 0 … E − 1.
 * A path's content is therefore sampled as a whole job, and only its completion time, the sum of its
 * slot's path lengths so far, decides whether it is kept. Since a running path is shorter than H,
 * the completed steps at global step k are more than T·E·(k − H), so K* ≤ 2H − 1: a slot needs another
 * path only while its paths so far end before 2H − 1, and only until K* is decided.
 * {@linkcode sampleWithBudget} samples generation after generation, each round one call over every
 * slot that still needs a path, so a parallel sampler that keeps job order gives the same batch for
 * any number of workers.
 *
 * @module
 */
import type { Path, SampleJob } from "./sampler.ts";

/**
 * The trajectory key of the `generation`-th path of environment slot `slot` when each task has
 * `slots` slots.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { budgetTrajectory } from "./budget_sampler.ts";
 * // Slot 3 of 20: its first path is the fixed sampler's trajectory 3, its second trajectory 23.
 * assert.equal(budgetTrajectory(3, 0, 20), 3, "keys");
 * assert.equal(budgetTrajectory(3, 1, 20), 23, "keys");
 * ```
 */
export function budgetTrajectory(slot: number, generation: number, slots: number): number {
  return generation * slots + slot;
}

/** What {@linkcode budgetDecision} decides from the path lengths known so far. */
export type BudgetDecision =
  /** K*: the global step at which sampling stops (every path completed by then is kept). */
  | { readonly stop: number }
  /** The slots (indices task·E + e) that need their next path before K* can be decided. */
  | { readonly extend: readonly number[] };

/**
 * Decide the stop step K* from the lengths of the paths sampled so far, slot by slot
 * (`lengths[s][g]`: the g-th path of slot s, slots indexed task·E + e), or name the slots whose next
 * path is needed. Completions are known up to the earliest time a slot still running before 2H − 1
 * could complete an unsampled path; K* is decided once the completed steps reach `budget` by then.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { budgetDecision } from "./budget_sampler.ts";
 * // H = 4, two slots, budget 8. Slot 0's first path ends at step 2, slot 1's at 4: only 6 steps are
 * // complete by step 4, and slot 0's second path could end before then: both slots' next paths
 * // (either could end before 2H − 1 = 7) are needed.
 * const first = budgetDecision([[2], [4]], 4, 8);
 * assert.ok("extend" in first, JSON.stringify(first));
 * assert.equal(first.extend.join(), "0,1", JSON.stringify(first));
 * // Slot 0's second path ends at step 2 + 3 = 5 and slot 1's at 4 + 4 = 8: by step 5, 2 + 4 + 3 = 9 ≥ 8.
 * const second = budgetDecision([[2, 3], [4, 4]], 4, 8);
 * assert.ok("stop" in second, JSON.stringify(second));
 * assert.equal(second.stop, 5, JSON.stringify(second));
 * ```
 */
export function budgetDecision(
  lengths: readonly (readonly number[])[],
  horizon: number,
  budget: number,
): BudgetDecision {
  const limit = 2 * horizon - 1;
  // Completion events up to the limit, and the time up to which every completion is known.
  const events: [number, number][] = [];
  let known = Infinity;
  const ends = lengths.map((paths) => {
    let t = 0;
    for (const length of paths) {
      t += length;
      if (t <= limit) events.push([t, length]);
    }
    return t;
  });
  for (const t of ends) if (t < limit) known = Math.min(known, t);
  events.sort((a, b) => a[0] - b[0]);
  let done = 0;
  for (let i = 0; i < events.length; i++) {
    const [t] = events[i];
    if (t > known) break;
    done += events[i][1];
    const last = i + 1 === events.length || events[i + 1][0] !== t;
    if (last && done >= budget) return { stop: t };
  }
  const extend: number[] = [];
  ends.forEach((t, s) => {
    if (t < limit) extend.push(s);
  });
  if (extend.length === 0) {
    throw new RangeError(
      `the budget ${budget} is not reached by step ${limit} (paths longer than H?)`,
    );
  }
  return { extend };
}

/**
 * One task's paths in a budget batch, and what was sampled and dropped.
 *
 * @example Every path runs the full horizon: the fixed sampler's batch, nothing dropped
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BudgetBatch, sampleWithBudget } from "./budget_sampler.ts";
 * import type { Path, SampleJob } from "./sampler.ts";
 * const path = (length: number): Path => ({ observations: new Float64Array(length),
 *   actions: new Float64Array(length), rewards: new Float64Array(length), length });
 * const sample = (jobs: readonly SampleJob[]) => Promise.resolve(jobs.map(() => path(4)));
 * const batch: BudgetBatch = await sampleWithBudget(sample, 2, 3, 4);
 * assert.deepEqual(batch.paths.map((p) => p.length), [3, 3]);
 * assert.equal(batch.stop, 4);
 * assert.equal(batch.dropped, 0);
 * ```
 */
export interface BudgetBatch {
  /** Per task, the kept paths ordered by completion step, then by slot (as the published code). */
  readonly paths: Path[][];
  /** K*: the global step at which sampling stopped. */
  readonly stop: number;
  /** Paths still running at K* (the published code drops them unfinished). */
  readonly dropped: number;
  /** Sampling rounds (generations) it took to decide K*. */
  readonly rounds: number;
}

/**
 * Sample `tasks` tasks × `slots` environment slots with the step budget tasks·slots·horizon, as
 * the published `MAMLSampler` does (module documentation). `sample` samples jobs and returns their
 * paths in job order (one call per generation).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleWithBudget } from "./budget_sampler.ts";
 * import type { Path, SampleJob } from "./sampler.ts";
 * // A fake environment whose path lengths are known: slot (task 0, slot 0) ends its paths after
 * // 1 step, every other path runs the full H = 3 steps. Budget 2 tasks × 2 slots × 3 = 12 steps.
 * const path = (length: number): Path => ({ observations: new Float64Array(length),
 *   actions: new Float64Array(length), rewards: new Float64Array(length).fill(1), length });
 * const sample = (jobs: readonly SampleJob[]) =>
 *   Promise.resolve(jobs.map((j) => path(j.task === 0 && j.trajectory % 2 === 0 ? 1 : 3)));
 * const batch = await sampleWithBudget(sample, 2, 2, 3);
 * // By step 3: task 0 slot 0 completed 3 one-step paths, the three other slots one 3-step path each:
 * // 3 + 9 = 12 steps, the budget. Task 0 has 4 paths, task 1 two.
 * assert.equal(batch.stop, 3);
 * assert.equal(batch.paths[0].length, 4);
 * assert.equal(batch.paths[1].length, 2);
 * ```
 */
export async function sampleWithBudget(
  sample: (jobs: readonly SampleJob[]) => Promise<Path[]>,
  tasks: number,
  slots: number,
  horizon: number,
): Promise<BudgetBatch> {
  const budget = tasks * slots * horizon;
  const sampled: Path[][] = Array.from({ length: tasks * slots }, () => []);
  let next: readonly number[] = sampled.map((_, s) => s);
  let rounds = 0;
  for (;;) {
    const jobs = next.map((s): SampleJob => ({
      task: Math.floor(s / slots),
      trajectory: budgetTrajectory(s % slots, sampled[s].length, slots),
    }));
    const paths = await sample(jobs);
    rounds++;
    next.forEach((s, k) => {
      const p = paths[k];
      if (!(p.length >= 1 && p.length <= horizon)) {
        throw new RangeError(`a path of ${p.length} steps where the horizon is ${horizon}`);
      }
      sampled[s].push(p);
    });
    const decision = budgetDecision(sampled.map((ps) => ps.map((p) => p.length)), horizon, budget);
    if ("stop" in decision) return select(sampled, tasks, slots, decision.stop, rounds);
    next = decision.extend;
  }
}

/** Keep the paths completed by `stop`, per task in order of completion, then slot. */
function select(
  sampled: readonly Path[][],
  tasks: number,
  slots: number,
  stop: number,
  rounds: number,
): BudgetBatch {
  const kept: { task: number; slot: number; end: number; path: Path }[] = [];
  let dropped = 0;
  sampled.forEach((paths, s) => {
    let end = 0;
    for (const path of paths) {
      const start = end;
      end += path.length;
      if (end <= stop) kept.push({ task: Math.floor(s / slots), slot: s % slots, end, path });
      // Running at K*: dropped unfinished. A path sampled to decide K* that would start only
      // after it is neither kept nor counted.
      else if (start < stop) dropped++;
    }
  });
  kept.sort((a, b) => a.end - b.end || a.slot - b.slot);
  const paths: Path[][] = Array.from({ length: tasks }, () => []);
  for (const k of kept) paths[k.task].push(k.path);
  return { paths, stop, dropped, rounds };
}
