/**
 * Where the learner's time goes: one meta-gradient on the 2D-navigation paper batch, as the
 * learner computes it on the active backend (per task; on webgpu the meta-batch as one graph), its
 * matrix products counted from TensorFlow.js' own kernel profile, beside the same backend's rate
 * on one large matrix product measured in the same run.
 *
 * @module
 */
import { tf } from "../kernels/backend.ts";
import { learnerBatch } from "../estimators/batch.ts";
import type { ExperimentConfig } from "../training/config.ts";
import { loadTaskFamily } from "../envs/registry.ts";
import type { TaskBatches } from "../estimators/meta_gradient.ts";
import { initPolicyParams } from "../estimators/policy.ts";
import { localLearner } from "../threads/parallel_learner.ts";
import { stream } from "../core/rng.ts";
import { allJobs, gaussianSampling, samplePaths } from "../estimators/sampler.ts";
import { policySpec, surrogateConfig } from "../training/trainer.ts";
import { median } from "../core/stats.ts";

/** Time and floating-point work of one kind of kernel in a profile. */
export interface KernelShare {
  readonly kernel: string;
  readonly calls: number;
  readonly milliseconds: number;
}

/** What {@linkcode benchLearner} measures. */
export interface LearnerBench {
  /** Median wall-clock seconds of one meta-gradient (unprofiled). */
  readonly seconds: number;
  /** Floating-point operations of its matrix products (2·m·k·n each, from the kernel profile). */
  readonly matmulFlops: number;
  /** matmulFlops / seconds, in GFLOP/s. */
  readonly gflops: number;
  /** The backend's rate on one m = k = n = 1024 product, in GFLOP/s. */
  readonly matmulGflops: number;
  /** Kernels executed, by total kernel time, longest first. */
  readonly kernels: readonly KernelShare[];
  /** Peak bytes of tensor memory during the meta-gradient. */
  readonly peakTensorBytes: number;
}

/**
 * Floating-point operations of one matrix-product kernel from its input and output shapes:
 * 2·|C|·k with the contraction length k = √(|A|·|B| / (|C|·batch)), which holds for every
 * combination of transposes; for a kernel of several products into one output (the native
 * backend's `SgmrlMatMulSum`), the sum over its inputs taken in pairs (a trailing single input, a
 * mask, is no product).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matmulFlops } from "./learner_bench.ts";
 * // [2000 × 100]ᵀ · [2000 × 2] → [100 × 2]: k = 2000.
 * assert.equal(matmulFlops([[2000, 100], [2000, 2]], [100, 2]), 2 * 100 * 2 * 2000);
 * // [5 × 3]·[3 × 4] + [5 × 7]·[7 × 4], masked by a [5 × 4].
 * const sum = matmulFlops([[5, 3], [3, 4], [5, 7], [7, 4], [5, 4]], [5, 4]);
 * assert.equal(sum, 2 * 20 * 3 + 2 * 20 * 7);
 * ```
 */
export function matmulFlops(
  inputShapes: readonly number[][],
  outputShape: readonly number[],
): number {
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const batch = size(outputShape.slice(0, -2));
  let flops = 0;
  for (let i = 0; i + 1 < inputShapes.length; i += 2) {
    const [a, b] = [inputShapes[i], inputShapes[i + 1]];
    const k = Math.round(Math.sqrt(size(a) * size(b) / (size(outputShape) * batch)));
    flops += 2 * size(outputShape) * k;
  }
  return flops;
}

/** The backend's GFLOP/s on one n × n × n product (median of `repeats` after a warm-up). */
export async function backendMatmulGflops(n = 1024, repeats = 5): Promise<number> {
  const a = tf.randomNormal([n, n]), b = tf.randomNormal([n, n]);
  try {
    const times: number[] = [];
    for (let r = 0; r <= repeats; r++) {
      const start = performance.now();
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
      if (r > 0) times.push((performance.now() - start) / 1000);
    }
    return 2 * n ** 3 / median(times) / 1e9;
  } finally {
    a.dispose();
    b.dispose();
  }
}

/**
 * The meta-batch of `config`'s size for timing: trajectories sampled from the initial policy, used
 * for every inner and the outer batch (the shapes, hence the work, are those of training).
 */
async function timingBatches(config: ExperimentConfig) {
  const family = await loadTaskFamily(config.env);
  const spec = policySpec(config);
  const params = initPolicyParams(spec, config.seed);
  const tasks = Array.from(
    { length: config.metaBatchSize },
    (_, task) => family.sampleTask(stream({ seed: config.seed, purpose: "task", task })),
  );
  const n = config.trajectoriesPerTask;
  const paths = samplePaths({
    family,
    policy: gaussianSampling(spec),
    tasks,
    params: tasks.map(() => params),
    horizon: config.horizon,
    seed: config.seed,
    purpose: "action",
    iteration: 0,
    phase: 0,
  }, allJobs(tasks.length, n));
  const batches = tasks.map((_, i) =>
    learnerBatch(paths.slice(i * n, (i + 1) * n), spec.obsDim, spec.actDim, surrogateConfig(config))
  );
  /** The tasks' batches for ζ inner steps. */
  const forInnerSteps = (innerSteps: number): TaskBatches[] =>
    batches.map((b) => ({
      inner: Array.from({ length: innerSteps }, () => b),
      outer: b,
      adapted: Array.from({ length: innerSteps }, () => params),
      explorationWeight: 0,
    }));
  return { spec, params, forInnerSteps };
}

/** Seconds of sgmrl's and maml's meta-gradient at one ζ, and their ratio. */
export interface EstimatorTiming {
  readonly sgmrlSeconds: number;
  readonly mamlSeconds: number;
  readonly sgmrlOverMaml: number;
}

/**
 * Median seconds of one second-order sgmrl and one maml meta-gradient on `config`'s batch for each
 * ζ in `innerSteps`, the two algorithms alternating (after one warm-up each) so that both see the
 * same machine state; keyed by ζ.
 */
export async function benchEstimators(
  config: ExperimentConfig,
  innerSteps: readonly number[],
  repeats = 3,
): Promise<Record<string, EstimatorTiming>> {
  const { spec, params, forInnerSteps } = await timingBatches(config);
  const learner = localLearner();
  const out: Record<string, EstimatorTiming> = {};
  for (const zeta of innerSteps) {
    const tasks = forInnerSteps(zeta);
    const run = async (algorithm: "sgmrl" | "maml") => {
      const start = performance.now();
      await learner.metaGradient(spec, params, tasks, {
        ...config,
        algorithm,
        hessian: "autodiff",
        innerSteps: zeta,
      });
      return (performance.now() - start) / 1000;
    };
    await run("sgmrl");
    await run("maml");
    const times = { sgmrl: [] as number[], maml: [] as number[] };
    for (let r = 0; r < repeats; r++) {
      times.sgmrl.push(await run("sgmrl"));
      times.maml.push(await run("maml"));
    }
    const sgmrlSeconds = median(times.sgmrl), mamlSeconds = median(times.maml);
    out[String(zeta)] = { sgmrlSeconds, mamlSeconds, sgmrlOverMaml: sgmrlSeconds / mamlSeconds };
  }
  return out;
}

/**
 * Profile one meta-gradient of `config` on a batch of its size:
 * trajectories sampled from the initial policy, used for every inner and the outer batch (the
 * shapes, hence the work, are those of training).
 */
export async function benchLearner(config: ExperimentConfig, repeats = 3): Promise<LearnerBench> {
  const { spec, params, forInnerSteps } = await timingBatches(config);
  const batches = forInnerSteps(config.innerSteps);
  const learner = localLearner();
  const run = () => learner.metaGradient(spec, params, batches, config);
  await run();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    await run();
    times.push((performance.now() - start) / 1000);
  }
  const profile = await tf.profile(async () => {
    await run();
  });
  let flops = 0;
  const byKernel = new Map<string, { calls: number; milliseconds: number }>();
  const backend = tf.getBackend();
  for (const k of profile.kernels) {
    // Custom gradients appear as "forward"/"backward" wrappers whose time includes the kernels
    // they run; only the backend's own kernels are counted.
    if (tf.getKernel(k.name, backend) === undefined) continue;
    const entry = byKernel.get(k.name) ?? { calls: 0, milliseconds: 0 };
    entry.calls++;
    entry.milliseconds += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    byKernel.set(k.name, entry);
    if (/MatMul/.test(k.name)) flops += matmulFlops(k.inputShapes, k.outputShapes[0]);
  }
  const seconds = median(times);
  return {
    seconds,
    matmulFlops: flops,
    gflops: flops / seconds / 1e9,
    matmulGflops: await backendMatmulGflops(),
    kernels: [...byKernel.entries()]
      .map(([kernel, e]) => ({ kernel, ...e }))
      .sort((x, y) => y.milliseconds - x.milliseconds),
    peakTensorBytes: profile.peakBytes,
  };
}
