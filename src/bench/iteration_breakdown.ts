/**
 * Where one meta-iteration's time goes, stage by stage, in one thread: the physics engine, the
 * policy while sampling, returns and baselines (reward-to-go or GAE, the linear baseline,
 * normalisation), the inner adaptation steps, and the meta-gradient. The iteration is the
 * trainer's: ζ + 1 phases of sampling every task, with the learner's batches and inner steps
 * between them, then the meta-gradient of the meta-batch.
 *
 * @module
 */
import type { ExperimentConfig } from "../training/config.ts";
import { policySpec, surrogateConfig } from "../training/trainer.ts";
import { loadTaskFamily } from "../envs/registry.ts";
import { stream } from "../core/rng.ts";
import { allJobs, gaussianSampling, type Path, type SampleRequest } from "../estimators/sampler.ts";
import { gaussianMlp, initPolicyParams, type PolicyParams } from "../estimators/policy.ts";
import { type LearnerBatch, learnerBatch } from "../estimators/batch.ts";
import { innerStep, metaGradient, type TaskBatches } from "../estimators/meta_gradient.ts";
import { useBackend } from "../kernels/backend.ts";
import { profileSampling } from "./sampling_bench.ts";

/** Seconds per stage of one meta-iteration in one thread. */
export interface IterationBreakdown {
  /** Stepping the environments (sampling time less the policy's). */
  readonly physics: number;
  /** The policy's forward passes and action noise while sampling. */
  readonly policy: number;
  /** Paths into the learner's batches: returns, baselines, advantages. */
  readonly returns: number;
  /** The ζ inner adaptation steps of every task. */
  readonly inner: number;
  /** The meta-gradient of the meta-batch. */
  readonly metaGradient: number;
  /** The sum of the stages. */
  readonly total: number;
}

const seconds = (start: number) => (performance.now() - start) / 1000;

/**
 * One meta-iteration of `config` (iteration 0, from its initial parameters), timed stage by stage
 * in this thread on `config.backend`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { breakdownIteration } from "./iteration_breakdown.ts";
 * import { PAPER_NAV2D, validateConfig } from "../training/config.ts";
 * const config = validateConfig({ ...PAPER_NAV2D, id: "b", algorithm: "sgmrl",
 *   hessian: "autodiff", innerSteps: 2, seed: 0, metaBatchSize: 2, trajectoriesPerTask: 2,
 *   horizon: 10, policy: { hidden: [8], activation: "relu", initStd: 1 } });
 * const b = await breakdownIteration(config);
 * const stages = b.physics + b.policy + b.returns + b.inner + b.metaGradient;
 * assert.ok(Math.abs(b.total - stages) < 1e-9);
 * assert.ok(b.metaGradient > 0 && b.inner > 0);
 * ```
 */
export async function breakdownIteration(config: ExperimentConfig): Promise<IterationBreakdown> {
  await useBackend(config.backend);
  const family = await loadTaskFamily(config.env, config.physics);
  const spec = policySpec(config);
  const policy = gaussianMlp(spec);
  const surrogate = surrogateConfig(config);
  const theta = initPolicyParams(spec, config.seed);
  const T = config.metaBatchSize, N = config.trajectoriesPerTask;
  const tasks = Array.from(
    { length: T },
    (_, task) => family.sampleTask(stream({ seed: config.seed, purpose: "task", task })),
  );
  let physics = 0, policyTime = 0, returns = 0, inner = 0;
  let current: PolicyParams[] = tasks.map(() => theta);
  const innerBatches: LearnerBatch[][] = tasks.map(() => []);
  const adapted: PolicyParams[][] = tasks.map(() => []);
  let outer: LearnerBatch[] = [];
  for (let phase = 0; phase <= config.innerSteps; phase++) {
    const request: SampleRequest<unknown> = {
      family,
      policy: gaussianSampling(spec),
      tasks,
      params: current,
      horizon: config.horizon,
      seed: config.seed,
      purpose: "action",
      iteration: 0,
      phase,
    };
    const jobs = allJobs(T, N);
    let paths: Path[] = [];
    const profile = profileSampling(request, jobs, (sampled) => (paths = sampled));
    physics += profile.seconds - profile.policySeconds;
    policyTime += profile.policySeconds;
    let start = performance.now();
    const batches = tasks.map((_, t) =>
      learnerBatch(paths.slice(t * N, (t + 1) * N), spec.obsDim, spec.actDim, surrogate)
    );
    returns += seconds(start);
    if (phase === config.innerSteps) {
      outer = batches;
      break;
    }
    start = performance.now();
    current = tasks.map((_, t) => innerStep(policy, current[t], batches[t], config.innerLr));
    inner += seconds(start);
    tasks.forEach((_, t) => {
      innerBatches[t].push(batches[t]);
      adapted[t].push(current[t]);
    });
  }
  const taskBatches: TaskBatches[] = tasks.map((_, t) => ({
    inner: innerBatches[t],
    adapted: adapted[t],
    outer: outer[t],
    explorationWeight: 0,
  }));
  const start = performance.now();
  metaGradient(policy, theta, taskBatches, config);
  const meta = seconds(start);
  return {
    physics,
    policy: policyTime,
    returns,
    inner,
    metaGradient: meta,
    total: physics + policyTime + returns + inner + meta,
  };
}
