// The budget sampler (the published code's MAMLSampler): the stop step, the kept and dropped paths
// and their order against a literal transcription of the published lockstep loop; path counts and
// resets on 2D navigation; the same bytes for 1 and 2 workers; exactly the fixed sampler's batch
// when no episode ends early; and training with it.
import assert from "node:assert/strict";
import { budgetTrajectory, sampleWithBudget } from "../src/estimators/budget_sampler.ts";
import { allJobs, type Path, type SampleJob } from "../src/estimators/sampler.ts";
import { localSampler, type Sampler, workerSampler } from "../src/threads/parallel_sampler.ts";
import { initPolicyParams, type PolicySpec } from "../src/estimators/policy.ts";
import { stream } from "../src/core/rng.ts";
import { train } from "../src/training/trainer.ts";
import { tinyConfig } from "./helpers.ts";
import { useBackend } from "../src/kernels/backend.ts";

/** A fake path whose only content is its identity (task, trajectory) and its length. */
function fakePath(job: SampleJob, length: number): Path {
  const rewards = new Float64Array(length).fill(job.task * 1000 + job.trajectory);
  return {
    observations: new Float64Array(length),
    actions: new Float64Array(length),
    rewards,
    length,
  };
}

/**
 * The published loop (maml_zoo/samplers/maml_sampler.py, obtain_samples, with the vectorised
 * executor's reset at done or max_path_length), transcribed step by step: `lengthOf(task, slot,
 * generation)` is how long that path runs. Returns per task the (slot, generation) of the kept
 * paths in the order the published code appends them, the stop step, and the unfinished paths.
 */
function publishedLoop(
  tasks: number,
  slots: number,
  horizon: number,
  lengthOf: (task: number, slot: number, generation: number) => number,
) {
  const total = tasks * slots * horizon;
  const running = Array.from({ length: tasks * slots }, () => ({ steps: 0, generation: 0 }));
  const paths: [number, number][][] = Array.from({ length: tasks }, () => []);
  let samples = 0, step = 0;
  while (samples < total) {
    step++;
    let fresh = 0;
    running.forEach((run, idx) => {
      const task = Math.floor(idx / slots), slot = idx % slots;
      run.steps++;
      const done = run.steps >= lengthOf(task, slot, run.generation) || run.steps >= horizon;
      if (done) {
        paths[task].push([slot, run.generation]);
        fresh += run.steps;
        run.steps = 0;
        run.generation++;
      }
    });
    samples += fresh;
  }
  const unfinished = running.filter((r) => r.steps > 0).length;
  return { paths, stop: step, unfinished };
}

Deno.test("budget sampler: stop step, kept paths, their order and the dropped ones equal the published loop's", async () => {
  for (let trial = 0; trial < 300; trial++) {
    const rng = stream({ seed: trial, purpose: "test" });
    const tasks = 1 + Math.floor(rng.uniform() * 4);
    const slots = 1 + Math.floor(rng.uniform() * 5);
    const horizon = 1 + Math.floor(rng.uniform() * 12);
    // Per path a length in 1 … H, often shorter than H (early ends), sometimes all full.
    const full = rng.uniform() < 0.2;
    const table = new Map<string, number>();
    const lengthOf = (task: number, slot: number, generation: number) => {
      const key = `${task}.${slot}.${generation}`;
      if (!table.has(key)) {
        table.set(key, full ? horizon : 1 + Math.floor(rng.uniform() * horizon));
      }
      return table.get(key)!;
    };
    const expected = publishedLoop(tasks, slots, horizon, lengthOf);
    const batch = await sampleWithBudget(
      (jobs) =>
        Promise.resolve(jobs.map((job) => {
          const generation = Math.floor(job.trajectory / slots), slot = job.trajectory % slots;
          assert.equal(budgetTrajectory(slot, generation, slots), job.trajectory);
          return fakePath(job, lengthOf(job.task, slot, generation));
        })),
      tasks,
      slots,
      horizon,
    );
    const what = `trial ${trial} (T ${tasks}, E ${slots}, H ${horizon})`;
    assert.equal(batch.stop, expected.stop, `${what}: stop step`);
    assert.equal(batch.dropped, expected.unfinished, `${what}: dropped paths`);
    assert.ok(batch.stop >= horizon && batch.stop <= 2 * horizon - 1, `${what}: H ≤ K* ≤ 2H − 1`);
    batch.paths.forEach((paths, task) => {
      assert.ok(paths.length >= slots, `${what}: task ${task} has at least E paths`);
      assert.deepEqual(
        paths.map((p) => p.rewards[0] - task * 1000),
        expected.paths[task].map(([slot, g]) => budgetTrajectory(slot, g, slots)),
        `${what}: task ${task}'s paths in the published order`,
      );
    });
    if (full) assert.equal(batch.rounds, 1, `${what}: no early end, one round`);
  }
});

const spec: PolicySpec = { obsDim: 2, actDim: 2, hidden: [8], activation: "tanh", initStd: 1 };

/** A 2D-navigation request whose goals lie at or near the start: episodes end early and often. */
function nearGoals(goals: [number, number][], horizon: number) {
  return {
    env: "nav2d",
    policy: spec,
    tasks: goals.map((goal) => ({ goal })),
    params: goals.map((_, i) => initPolicyParams(spec, i)),
    horizon,
    seed: 3,
    purpose: "action",
    iteration: 1,
    phase: 0,
  } as const;
}

const bytes = (p: Path) =>
  [p.observations, p.actions, p.rewards].map((a) => new Uint8Array(a.buffer).join()).join("|");

Deno.test("budget sampler on 2D navigation: counts, resets from each slot's own streams, and the same bytes for 1 and 2 workers", async () => {
  const slots = 4, horizon = 10;
  const request = nearGoals([[0, 0], [0.01, 0], [0.3, 0.3]], horizon);
  const run = async (sampler: Sampler) => {
    try {
      return await sampleWithBudget((jobs) => sampler.sample(request, jobs), 3, slots, horizon);
    } finally {
      sampler.close();
    }
  };
  const one = await run(localSampler());
  const two = await run(workerSampler(2));
  assert.deepEqual(two.paths.map((ps) => ps.map(bytes)), one.paths.map((ps) => ps.map(bytes)));
  assert.deepEqual([two.stop, two.dropped, two.rounds], [one.stop, one.dropped, one.rounds]);
  // Early ends: the goal at the start is reached within a few steps, so task 0 has more paths
  // than slots (every task has at least E).
  assert.ok(one.paths[0].length > slots, `task 0: ${one.paths[0].length} paths`);
  assert.ok(one.rounds > 1, "more than one generation");
  const kept = one.paths.flat().reduce((s, p) => s + p.length, 0);
  assert.ok(
    kept >= 3 * slots * horizon,
    `kept ${kept} steps, the budget is ${3 * slots * horizon}`,
  );
  // Every kept path is one job sampled alone with its own streams: trajectory g·E + e.
  const sampler = localSampler();
  try {
    for (let task = 0; task < 3; task++) {
      const generations = 2 * horizon; // paths of at least 1 step end by 2H − 1
      const alone = await sampler.sample(
        request,
        Array.from({ length: generations * slots }, (_, trajectory) => ({ task, trajectory })),
      );
      const known = new Set(alone.map(bytes));
      for (const p of one.paths[task]) {
        assert.ok(known.has(bytes(p)), `task ${task}: a path of its own streams`);
      }
    }
  } finally {
    sampler.close();
  }
});

Deno.test("budget sampler: with no early end it is the fixed sampler's batch, byte for byte", async () => {
  // Goals 0.5 away in both coordinates with H = 4 and steps of at most 0.1: no episode ends early.
  const slots = 3, horizon = 4;
  const request = nearGoals([[0.5, 0.5], [-0.5, 0.5]], horizon);
  const sampler = localSampler();
  try {
    const budget = await sampleWithBudget(
      (jobs) => sampler.sample(request, jobs),
      2,
      slots,
      horizon,
    );
    const fixed = await sampler.sample(request, allJobs(2, slots));
    assert.deepEqual([budget.stop, budget.dropped, budget.rounds], [horizon, 0, 1]);
    assert.deepEqual(budget.paths.flat().map(bytes), fixed.map(bytes));
  } finally {
    sampler.close();
  }
});

Deno.test("training with the budget sampler: the same bytes for 1 and 2 workers; evaluation.json reports the pooled return only then", async () => {
  await useBackend("wasm");
  const config = tinyConfig("maml", "autodiff", 1, 0, { sampler: "budget" });
  const one = await train(config);
  const sampler = workerSampler(2);
  const two = await train(config, { sampler }).finally(() => sampler.close());
  assert.equal(two.finalStateDigest, one.finalStateDigest);
  assert.deepEqual(two.evaluation, one.evaluation);
  const pooled = one.evaluation.pooledReturnsByStep;
  assert.ok(pooled !== undefined && pooled.length === 2 && pooled.every(Number.isFinite));
  const fixed = await train(tinyConfig("maml", "autodiff", 1, 0));
  assert.equal("pooledReturnsByStep" in fixed.evaluation, false);
});
