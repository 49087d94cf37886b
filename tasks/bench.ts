/**
 * `deno task bench`: wall-clock figures of the pipeline, as medians and ratios measured in one run.
 *
 * @module
 */
import {
  backendDevice,
  type BackendName,
  BACKENDS,
  checkBackendAvailable,
  tf,
  useBackend,
} from "../src/kernels/backend.ts";
import {
  backendOption,
  DEFAULT_WORKERS,
  HELP_OPTION,
  optionsHelp,
  type OptionTable,
  parseOptionTable,
  positiveInt,
  runMain,
  samplingPrecisionOption,
  workersOption,
} from "../src/cli.ts";
import {
  type ExperimentConfig,
  InputError,
  PAPER_LOCOMOTION,
  PAPER_NAV2D,
  validateConfig,
} from "../src/training/config.ts";
import { LOCOMOTION_TASKS, type LocomotionId, modelUrl } from "../src/envs/locomotion.ts";
import type { PhysicsEngine } from "../src/envs/physics.ts";
import { loadNativeMujoco } from "../src/envs/native_mujoco.ts";
import type { Algorithm } from "../src/estimators/meta_gradient.ts";
import {
  benchEstimators,
  benchLearner,
  type EstimatorTiming,
  type LearnerBench,
} from "../src/bench/learner_bench.ts";
import { benchMemory, type MemoryBench } from "../src/bench/memory_bench.ts";
import {
  benchPhysics,
  NATIVE_TESTSPEED,
  type NativeComparison,
  nativeStepsPerSecond,
  type PhysicsBenchResult,
} from "../src/bench/physics_bench.ts";
import { breakdownIteration, type IterationBreakdown } from "../src/bench/iteration_breakdown.ts";
import {
  type BackendRow,
  compareBackends,
  type StageMedians,
  stageMedians,
  timeIteration,
} from "../src/bench/backend_bench.ts";
import { createThreads, type IterationTiming, train } from "../src/training/trainer.ts";
import { median } from "../src/core/stats.ts";
import {
  benchNav2dSampling,
  type Nav2dSamplingBench,
  type SamplingProfile,
} from "../src/bench/sampling_bench.ts";
import { DENSE_PRECISIONS, type DensePrecision } from "../src/kernels/dense_simd.ts";
import {
  findTorchPython,
  PYTHON_CANDIDATES,
  runTorchAnchor,
  TORCH_ANCHOR_SCRIPT,
  type TorchAnchorTimings,
} from "../src/bench/torch_anchor.ts";

const PARTS = [
  "all",
  "nav2d",
  "learner",
  "mujoco",
  "memory",
  "anchor",
  "backends",
  "table2",
  "breakdown",
] as const;

const OPTIONS = {
  part: { type: "string", value: "P", help: `${PARTS.join(" | ")} (default: all)` },
  iterations: {
    type: "string",
    value: "N",
    help: "timed nav2d, anchor and backends rounds per algorithm (default 3)",
  },
  "memory-iterations": {
    type: "string",
    value: "N",
    help: "iterations of the memory measurement (default 2) and of each table2 row (default 3)",
  },
  workers: {
    type: "string",
    value: "N",
    help:
      `nav2d, backends and memory: sampling and learner threads; mujoco: the largest sampling thread count timed (default: the number of cores, here ${DEFAULT_WORKERS})`,
  },
  backend: {
    type: "string",
    value: "B",
    help: `${BACKENDS.join(" | ")} (default: wasm; native needs OpenBLAS, webgpu an adapter)`,
  },
  "sampling-precision": {
    type: "string",
    value: "P",
    help: `nav2d, learner, backends and mujoco: sample in ${
      DENSE_PRECISIONS.join(" | ")
    } (default: float64; the anchor reports native in both)`,
  },
  json: { type: "boolean", help: "print exactly one JSON object on stdout (the report)" },
  render: {
    type: "string",
    value: "FILE",
    help: "print the tables of a report saved from --json, measuring nothing",
  },
  ...HELP_OPTION,
} as const satisfies OptionTable;

const HELP = `Usage: deno task bench [options]

nav2d: time meta-iterations of the 2D-navigation paper configuration (20 tasks × 20 trajectories,
H = 100, 100-100 ReLU policy, ζ = 1, second order) for sgmrl and maml: median seconds per
iteration, split into sampling (including the inner adaptation steps) and learning (meta-gradient
and Adam step), and the ratio sgmrl / maml, with N sampling and N learner threads (--workers, as
deno task reproduce uses them). Each timed iteration is the second of a two-iteration run (the
first is a warm-up); the two algorithms alternate, --iterations rounds of one run each. A paper
experiment's time is projected as 500 × the slower algorithm's median iteration. Then one phase
of the batch sampled in this thread, alternating the sampler's forward pass with the plain loop it
replaced (the same bits), and the forward pass in float32 (other trajectories): seconds, the
policy's share, and the ratios (--iterations of each).

mujoco: for each locomotion task and physics engine (wasm, and native where Debian's MuJoCo 2.2.2
loads), physics steps per second (environment steps × frame skip) while sampling 8 tasks × 20
trajectories × 200 steps with the paper's 100-100 policy in the loop, with 1 … N sampling workers
(median of 5 batches after a warm-up); the native MuJoCo library's rate on the same model file
(\`${NATIVE_TESTSPEED} MODEL 100000 1 CTRLNOISE\`, from Debian's libmujoco-samples, run before
each one-worker batch; reported as null when it is not installed) with the median of the paired
ratios, twice: at testspeed's default control noise 0.01, and at the noise whose controls are as
large as the policy's in the batch (root mean square; the engine's cost per step grows with the
controls); and where single-thread sampling time goes: the engine's physics steps (with the
engine's own rate there over testspeed), the episodes' resets, the policy, and the rest.

learner: one second-order sgmrl meta-gradient (ζ = 1) on the 2D-navigation paper batch, in one
thread: its matrix-product FLOPs (from TensorFlow.js' kernel profile) per second of wall time,
beside the backend's rate on one 1024 × 1024 × 1024 product measured in the same run, and the
kernel time by kernel; then sgmrl's and maml's second-order meta-gradients on the same batch at
ζ = 1, 2, 3, alternating (median of 3 after a warm-up), and their ratio.

anchor: this package against PyTorch on the same machine, one thread each: the second-order
sgmrl and maml meta-gradients on the 2D-navigation paper batch (ζ = 1) and whole paper
meta-iterations (sampling, adaptation, meta-gradient, Adam), for the wasm, native and webgpu
backends sampling in float64 and for native sampling in float32 as PyTorch does (native where
OpenBLAS loads, webgpu where an adapter may be used; otherwise the row says why), and
${TORCH_ANCHOR_SCRIPT} (float32, torch.set_num_threads(1)) with the first Python of
${PYTHON_CANDIDATES.join(", ")} that imports torch (reported as absent otherwise). Round by round,
every row and then PyTorch (one repeat after its own warm-up), so that the machine's drift reaches
all alike; medians of --iterations rounds after a warm-up round, and beside each time the median
over rounds of its ratio to PyTorch's time in the same round. Not part of "all".

backends: --backend beside wasm in the same run (--backend must not be wasm): whole
meta-iterations of the 2D-navigation paper configuration (sgmrl and maml, second order, ζ = 1) and
of the HalfCheetah (direction) paper configuration (sgmrl, second order, ζ = 3: 40 tasks × 20
trajectories × 200 steps), with N sampling and N learner threads, the two backends alternating:
median seconds per iteration, sampling (including the inner adaptation steps) and learning, each as
wasm's time over the backend's; and a 2D-navigation paper experiment projected on each (500 × the
slower algorithm's median). In "all" when --backend is not wasm. Each HalfCheetah iteration takes
minutes on a few cores.

table2: a paper HalfCheetah (direction) iteration (40 tasks × 20 trajectories × 200 steps, sgmrl
second order) at ζ = 1 and 3 on every combination of physics engine (wasm; native where Debian's
MuJoCo 2.2.2 loads) and learner backend (wasm; native where OpenBLAS loads), with N sampling and N
learner threads: median seconds of iterations 2 … --memory-iterations (default 3), split into
sampling and learning, and a 500-iteration run's projected hours. Not part of "all": several
minutes per combination.

breakdown: where a paper HalfCheetah (direction) iteration goes, in one thread: physics, the policy
while sampling, returns and baselines, the inner steps and the meta-gradient, at ζ = 1 and 3, for
each learner backend and physics engine measured by table2; beside it the physics rate against
\`${NATIVE_TESTSPEED}\` on the same model. Not part of "all": minutes per row.

memory: peak resident memory of paper-scale HalfCheetah training (40 tasks × 20 trajectories ×
200 steps, ζ = 3, sgmrl second order; --memory-iterations iterations, default 2), and the resident
size after each iteration (flat when nothing accumulates). Several minutes per iteration.

Options:
${optionsHelp(OPTIONS)}
`;

/**
 * The 2D-navigation paper configuration, second order, ζ = 1, minimal evaluation; sampling in
 * `samplingPrecision` (float64, the configuration's default, when absent).
 */
function paperNav2d(
  algorithm: Algorithm,
  backend: string,
  samplingPrecision?: DensePrecision,
): ExperimentConfig {
  return validateConfig({
    ...PAPER_NAV2D,
    id: `bench-${algorithm}`,
    algorithm,
    hessian: "autodiff",
    innerSteps: 1,
    seed: 0,
    evaluation: { tasks: 1, trajectoriesPerTask: 1 },
    backend,
    ...(samplingPrecision === undefined ? {} : { samplingPrecision }),
  });
}

/**
 * HalfCheetah (direction) in the paper's configuration: sgmrl second order, ζ = 3, little
 * evaluation; sampling in `samplingPrecision` where given.
 */
function paperHalfCheetah(
  id: string,
  iterations: number,
  samplingPrecision?: DensePrecision,
  overrides: Partial<ExperimentConfig> = {},
): ExperimentConfig {
  return validateConfig({
    ...PAPER_LOCOMOTION,
    env: "half-cheetah-dir",
    id,
    algorithm: "sgmrl",
    hessian: "autodiff",
    innerSteps: 3,
    seed: 0,
    iterations,
    evaluation: { tasks: 1, trajectoriesPerTask: 1 },
    ...(samplingPrecision === undefined ? {} : { samplingPrecision }),
    ...overrides,
  });
}

/** One row of the breakdown part. */
interface BreakdownRow extends IterationBreakdown {
  readonly innerSteps: number;
  readonly physicsEngine: PhysicsEngine;
  readonly backend: BackendName;
  /** Physics steps per second of the physics stage. */
  readonly physicsRate: number;
  /** `mujoco-testspeed` on the same model, or null when it is not installed. */
  readonly testspeed: number | null;
}

async function benchBreakdown(): Promise<BreakdownRow[]> {
  const rows: BreakdownRow[] = [];
  const engines = benchEngines(), backends = await table2Backends();
  const model = LOCOMOTION_TASKS["half-cheetah-dir"];
  const testspeed = await nativeStepsPerSecond(modelUrl(model.model));
  for (const innerSteps of [1, 3]) {
    for (const physicsEngine of engines) {
      for (const backend of backends) {
        const config = paperHalfCheetah("bench-breakdown", 1, undefined, {
          innerSteps,
          backend,
          ...(physicsEngine === "wasm" ? {} : { physics: physicsEngine }),
        });
        const b = await breakdownIteration(config);
        const steps = (innerSteps + 1) * config.metaBatchSize * config.trajectoriesPerTask *
          config.horizon * model.frameSkip;
        rows.push({
          ...b,
          innerSteps,
          physicsEngine,
          backend,
          physicsRate: steps / b.physics,
          testspeed,
        });
        console.error(`breakdown: ζ = ${innerSteps}, ${physicsEngine} physics, ${backend}: done`);
      }
    }
  }
  return rows;
}

function printBreakdown(rows: readonly BreakdownRow[]): void {
  console.log(
    "\nPaper HalfCheetah iteration in one thread (40 × 20 × 200, sgmrl second order), seconds (share)\n",
  );
  console.log(
    "| ζ | physics | learner | physics | policy | returns and baselines | inner steps | meta-gradient | total | physics rate / testspeed |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    const cell = (x: number) => `${x.toFixed(1)} (${(100 * x / r.total).toFixed(0)}%)`;
    console.log(
      `| ${r.innerSteps} | ${r.physicsEngine} | ${r.backend} | ${cell(r.physics)} | ${
        cell(r.policy)
      } | ${cell(r.returns)} | ${cell(r.inner)} | ${cell(r.metaGradient)} | ${
        r.total.toFixed(1)
      } | ${(r.physicsRate / 1000).toFixed(1)}k${
        r.testspeed === null
          ? ""
          : ` / ${(r.testspeed / 1000).toFixed(1)}k (${(r.physicsRate / r.testspeed).toFixed(2)})`
      } |`,
    );
  }
}

/** One row of the table2 part. */
interface Table2Row {
  readonly innerSteps: number;
  readonly physics: PhysicsEngine;
  readonly backend: BackendName;
  /** Medians over the timed iterations (all but the first), seconds. */
  readonly iterationSeconds: number;
  readonly samplingSeconds: number;
  readonly learningSeconds: number;
}

/** The learner backends the table2 part measures: wasm, and native where OpenBLAS loads. */
async function table2Backends(): Promise<BackendName[]> {
  try {
    await checkBackendAvailable("native");
    return ["wasm", "native"];
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    console.error(`table2: the native backend not measured (${e.message})`);
    return ["wasm"];
  }
}

async function benchTable2(iterations: number, workers: number): Promise<Table2Row[]> {
  if (iterations < 2) throw new InputError("memory-iterations: table2 needs at least 2");
  const rows: Table2Row[] = [];
  const engines = benchEngines(), backends = await table2Backends();
  for (const innerSteps of [1, 3]) {
    for (const physics of engines) {
      for (const backend of backends) {
        const config = paperHalfCheetah("bench-table2", iterations, undefined, {
          innerSteps,
          backend,
          ...(physics === "wasm" ? {} : { physics }),
        });
        const sampling: number[] = [], learning: number[] = [];
        await useBackend(backend);
        const threads = createThreads(workers);
        try {
          await train(config, {
            ...threads,
            onIteration: (_, timing) => {
              sampling.push(timing.samplingSeconds);
              learning.push(timing.learningSeconds);
            },
          });
        } finally {
          threads.close();
        }
        const timed = (xs: number[]) => median(xs.slice(1));
        rows.push({
          innerSteps,
          physics,
          backend,
          samplingSeconds: timed(sampling),
          learningSeconds: timed(learning),
          iterationSeconds: timed(sampling.map((s, i) => s + learning[i])),
        });
        console.error(`table2: ζ = ${innerSteps}, ${physics} physics, ${backend}: done`);
      }
    }
  }
  return rows;
}

function printTable2(rows: readonly Table2Row[]): void {
  console.log(
    "\nPaper HalfCheetah iteration (40 × 20 × 200, sgmrl second order), seconds, by physics and learner\n",
  );
  console.log("| ζ | physics | learner | iteration | sampling | learning | 500 iterations |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    console.log(
      `| ${r.innerSteps} | ${r.physics} | ${r.backend} | ${r.iterationSeconds.toFixed(1)} | ${
        r.samplingSeconds.toFixed(1)
      } | ${r.learningSeconds.toFixed(1)} | ${(500 * r.iterationSeconds / 3600).toFixed(2)} h |`,
    );
  }
}

/**
 * The rows of the anchor table: each backend sampling in float64, and native sampling in float32
 * as PyTorch does (the like-for-like comparison of a whole iteration).
 */
const ANCHOR_ROWS: readonly { label: string; backend: BackendName; precision?: DensePrecision }[] =
  [
    { label: "wasm", backend: "wasm" },
    { label: "native", backend: "native" },
    { label: "native, float32 sampling", backend: "native", precision: "float32" },
    { label: "webgpu", backend: "webgpu" },
  ];

async function main(): Promise<number> {
  const o = parseOptionTable(Deno.args, OPTIONS);
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  if (o.render !== undefined) {
    printReport(await readReport(o.render));
    return 0;
  }
  const part = o.part ?? "all";
  if (!(PARTS as readonly string[]).includes(part)) {
    throw new InputError(`part must be one of ${PARTS.join(", ")}, got "${part}"`);
  }
  const iterations = positiveInt("iterations", o.iterations) ?? 3;
  const maxWorkers = workersOption(o.workers);
  const memoryIterations = positiveInt("memory-iterations", o["memory-iterations"]) ?? 2;
  const backend = backendOption(o.backend ?? "wasm");
  const precisionOption = o["sampling-precision"];
  const samplingPrecision = precisionOption === undefined
    ? undefined
    : samplingPrecisionOption(precisionOption);
  if (part === "backends" && backend === "wasm") {
    throw new InputError(
      "part backends times --backend beside wasm: give --backend cpu, native or webgpu",
    );
  }
  await useBackend(backend);
  const device = await backendDevice(backend);
  const result: Report = {
    machine: { cores: navigator.hardwareConcurrency, backend, device, deno: Deno.version.deno },
    settings: { iterations, samplingPrecision: samplingPrecision ?? "float64" },
  };
  const wanted = (p: string) => part === p || (part === "all" && p !== "anchor");
  if (wanted("nav2d")) {
    result.nav2d = await benchNav2d(iterations, backend, maxWorkers, samplingPrecision);
  }
  if (wanted("learner")) {
    const config = paperNav2d("sgmrl", backend, samplingPrecision);
    result.learner = {
      ...await benchLearner(config),
      estimators: await benchEstimators(config, [1, 2, 3]),
    };
  }
  if (wanted("mujoco")) result.mujoco = await benchMujoco(maxWorkers, samplingPrecision);
  if (wanted("memory")) result.memory = await memoryOfHalfCheetah(memoryIterations, maxWorkers);
  if (part === "breakdown") result.breakdown = await benchBreakdown();
  if (part === "table2") {
    result.table2 = await benchTable2(
      o["memory-iterations"] === undefined ? 3 : memoryIterations,
      maxWorkers,
    );
  }
  if (wanted("anchor")) result.anchor = await benchAnchor(iterations);
  if (part === "backends" || (part === "all" && backend !== "wasm")) {
    result.backends = await benchBackends(backend, iterations, maxWorkers, samplingPrecision);
  }
  if (o.json) console.log(JSON.stringify(result));
  else printReport(result);
  return 0;
}

/** What one run measured: what `--json` prints and `--render` reads back. */
interface Report {
  machine: { cores: number; backend: string; device?: string; deno: string };
  /** samplingPrecision: what nav2d, learner, backends and mujoco sampled in (anchor reports both). */
  settings: { iterations: number; samplingPrecision?: DensePrecision };
  nav2d?: Nav2dBench;
  learner?: LearnerReport;
  mujoco?: Record<string, PhysicsBenchResult>;
  memory?: MemoryBench;
  anchor?: AnchorBench;
  backends?: BackendsBench;
  table2?: Table2Row[];
  breakdown?: BreakdownRow[];
}

/** A report printed earlier with `--json`, read back for `--render`. */
async function readReport(path: string): Promise<Report> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new InputError(`render: cannot read "${path}": ${(e as Error).message}`);
  }
  let report: Report;
  try {
    report = JSON.parse(text);
  } catch {
    throw new InputError(`render: "${path}" is not JSON (expected what --json prints)`);
  }
  if (
    typeof report?.machine?.backend !== "string" ||
    typeof report?.settings?.iterations !== "number"
  ) {
    throw new InputError(`render: "${path}" is not a report of deno task bench --json`);
  }
  return report;
}

/** The tables of a report, as a run without `--json` prints them. */
function printReport(r: Report): void {
  const { cores, backend, device } = r.machine;
  const iterations = r.settings.iterations;
  console.log(`${cores} cores, backend ${backend}${device === undefined ? "" : ` (${device})`}\n`);
  const precision = r.settings.samplingPrecision ?? "float64";
  if (r.nav2d) printNav2d(r.nav2d, iterations, backend, precision);
  if (r.learner) printLearner(r.learner);
  if (r.mujoco) printMujoco(r.mujoco, precision);
  if (r.memory) printMemory(r.memory);
  if (r.anchor) printAnchor(r.anchor, iterations);
  if (r.backends) printBackends(r.backends, iterations);
  if (r.table2) printTable2(r.table2);
  if (r.breakdown) printBreakdown(r.breakdown);
}

async function memoryOfHalfCheetah(iterations: number, workers: number): Promise<MemoryBench> {
  const config = paperHalfCheetah("bench-memory", iterations);
  const threads = createThreads(workers);
  try {
    return await benchMemory(config, threads);
  } finally {
    threads.close();
  }
}

/** The learner part: the profiled meta-gradient and sgmrl / maml by ζ. */
type LearnerReport = LearnerBench & { estimators: Record<string, EstimatorTiming> };

function printLearner(l: LearnerReport): void {
  console.log(
    `\nLearner: one sgmrl meta-gradient (2D navigation paper batch, ζ = 1, second order): ${
      l.seconds.toFixed(2)
    } s, ${(l.matmulFlops / 1e9).toFixed(2)} GFLOP in matrix products = ${
      l.gflops.toFixed(2)
    } GFLOP/s; the backend's 1024³ product: ${l.matmulGflops.toFixed(2)} GFLOP/s (${
      (100 * l.gflops / l.matmulGflops).toFixed(0)
    }%); peak tensor memory ${(l.peakTensorBytes / 2 ** 20).toFixed(0)} MiB\n`,
  );
  const total = l.kernels.reduce((s, k) => s + k.milliseconds, 0);
  console.log("| kernel | calls | kernel time | share |");
  console.log("| --- | --- | --- | --- |");
  for (const k of l.kernels.slice(0, 6)) {
    console.log(
      `| ${k.kernel} | ${k.calls} | ${k.milliseconds.toFixed(0)} ms | ${
        (100 * k.milliseconds / total).toFixed(1)
      }% |`,
    );
  }
  console.log("\nSecond-order meta-gradient, same batch, one thread (median of 3, alternating)\n");
  console.log("| ζ | sgmrl | maml | sgmrl / maml |");
  console.log("| --- | --- | --- | --- |");
  for (const [zeta, e] of Object.entries(l.estimators)) {
    console.log(
      `| ${zeta} | ${e.sgmrlSeconds.toFixed(2)} s | ${e.mamlSeconds.toFixed(2)} s | ${
        e.sgmrlOverMaml.toFixed(3)
      } |`,
    );
  }
}

function printMemory(m: MemoryBench): void {
  console.log(
    `\nMemory, paper-scale HalfCheetah (40 × 20 × 200, ζ = 3, sgmrl): peak RSS ${
      m.peakRssMiB.toFixed(0)
    } MiB; after each iteration ${
      m.rssAfterIterationMiB.map((x) => x.toFixed(0)).join(", ")
    } MiB; ${m.iterationSeconds.map((x) => x.toFixed(0)).join(", ")} s per iteration`,
  );
}

interface Nav2dBench {
  /** Sampling and learner threads. */
  workers: number;
  sgmrl: StageMedians;
  maml: StageMedians;
  sgmrlOverMaml: number;
  /** 500 × the slower algorithm's median iteration: a paper experiment's projected wall time. */
  paperExperimentSeconds: number;
  /** One phase of the batch sampled in this thread: the forward pass against the plain loop. */
  sampling: Nav2dSamplingBench;
}

async function benchNav2d(
  iterations: number,
  backend: string,
  workers: number,
  samplingPrecision: DensePrecision | undefined,
): Promise<Nav2dBench> {
  const threads = createThreads(workers);
  let sgmrl: StageMedians, maml: StageMedians;
  try {
    // The algorithms alternate, round by round, so that both see the same machine state.
    const timings = { sgmrl: [] as IterationTiming[], maml: [] as IterationTiming[] };
    for (let round = 0; round < iterations; round++) {
      for (const algorithm of ["sgmrl", "maml"] as const) {
        const config = paperNav2d(algorithm, backend, samplingPrecision);
        timings[algorithm].push(await timeIteration(config, threads));
      }
    }
    sgmrl = stageMedians(timings.sgmrl);
    maml = stageMedians(timings.maml);
  } finally {
    threads.close();
  }
  return {
    workers,
    sgmrl,
    maml,
    sgmrlOverMaml: sgmrl.iterSeconds / maml.iterSeconds,
    paperExperimentSeconds: Math.max(sgmrl.iterSeconds, maml.iterSeconds) * PAPER_NAV2D.iterations,
    sampling: benchNav2dSampling(iterations),
  };
}

/** The engines the mujoco part measures: wasm, and native where MuJoCo 2.2.2 loads. */
function benchEngines(): PhysicsEngine[] {
  try {
    loadNativeMujoco();
    return ["wasm", "native"];
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    console.error(`mujoco: native physics not measured (${e.message})`);
    return ["wasm"];
  }
}

async function benchMujoco(
  maxWorkers: number,
  samplingPrecision: DensePrecision | undefined,
): Promise<Record<string, PhysicsBenchResult>> {
  const out: Record<string, PhysicsBenchResult> = {};
  for (const physics of benchEngines()) {
    for (const id of Object.keys(LOCOMOTION_TASKS) as LocomotionId[]) {
      out[physics === "wasm" ? id : `${id} (${physics})`] = await benchPhysics(id, {
        tasks: 8,
        trajectoriesPerTask: 20,
        horizon: 200,
        hidden: [100, 100],
        workers: Array.from({ length: maxWorkers }, (_, i) => i + 1),
        repeats: 5,
        physics,
        ...(samplingPrecision === undefined ? {} : { samplingPrecision }),
      });
    }
  }
  return out;
}

function printMujoco(results: Record<string, PhysicsBenchResult>, precision: DensePrecision): void {
  const k = (x: number) => `${(x / 1000).toFixed(1)}k`;
  // A report of an earlier version (--render) may lack the split: "–" there.
  const pct = (x: number | undefined) =>
    x === undefined || Number.isNaN(x) ? "–" : `${(100 * x).toFixed(0)}%`;
  const ratio = (x: number | null | undefined) => x == null ? "–" : x.toFixed(2);
  // A report of an earlier version may lack the comparison at the policy's controls.
  const atPolicy = (c: NativeComparison | null | undefined) =>
    c == null
      ? "–"
      : `${c.ctrlnoise}, ${k(c.nativeStepsPerSecond)}, ${ratio(c.ratioToNative)}, ${
        ratio(c.engineRatioToNative)
      }`;
  const counts = Object.keys(Object.values(results)[0].scaling);
  console.log(
    "\nMuJoCo sampling, physics steps per second (8 tasks × 20 trajectories × 200 steps, 100-100 " +
      `policy in the loop sampling in ${precision}; testspeed: ${NATIVE_TESTSPEED} MODEL 100000 1 0.01 before each ` +
      "one-worker batch, ratio: median of the paired ratios; engine: its rate inside its step " +
      "calls over testspeed; at the policy's controls: the same with testspeed's control noise " +
      "as large as the policy's controls; shares of single-thread sampling time)\n",
  );
  console.log(
    `| task | physics | frame skip | per worker | testspeed | ratio | engine | at the policy's controls: noise, testspeed, ratio, engine | engine share | resets | policy | rest | ${
      counts.map((c) => `${c} worker${c === "1" ? "" : "s"}`).join(" | ")
    } |`,
  );
  console.log(
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | ${
      counts.map(() => "---").join(" | ")
    } |`,
  );
  for (const [id, r] of Object.entries(results)) {
    const scaling = counts.map((c) =>
      `${k(r.scaling[c])} (${(r.scaling[c] / r.scaling[counts[0]]).toFixed(2)}×)`
    );
    const rest = 1 - r.engineShare - r.resetShare - r.policyShare;
    console.log(
      `| ${id.split(" ")[0]} | ${r.physics ?? "wasm"} | ${r.frameSkip} | ${
        k(r.physicsStepsPerSecondPerWorker)
      } | ${r.nativeStepsPerSecond === null ? "not installed" : k(r.nativeStepsPerSecond)} | ${
        ratio(r.ratioToNative)
      } | ${ratio(r.engineRatioToNative)} | ${atPolicy(r.atPolicyControls)} | ${
        pct(r.engineShare)
      } | ${pct(r.resetShare)} | ${pct(r.policyShare)} | ${pct(rest)} | ${scaling.join(" | ")} |`,
    );
  }
}

function printNav2d(
  nav: Nav2dBench,
  iterations: number,
  backend: string,
  precision: DensePrecision,
): void {
  const { sgmrl, maml } = nav;
  const f = (x: number) => x.toFixed(3);
  console.log(
    `2D navigation, paper configuration, ζ = 1, second order, backend ${backend}, sampling in ` +
      `${precision}, ${nav.workers} sampling and ${nav.workers} learner thread(s)`,
  );
  console.log(
    `median of ${iterations} iteration(s), each after a warm-up, algorithms alternating\n`,
  );
  console.log("| algorithm | s / iteration | sampling | learning | 500 iterations |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const [name, m] of [["sgmrl", sgmrl], ["maml", maml]] as const) {
    console.log(
      `| ${name} | ${f(m.iterSeconds)} | ${f(m.samplingSeconds)} | ${f(m.learningSeconds)} | ${
        (m.iterSeconds * PAPER_NAV2D.iterations / 60).toFixed(1)
      } min |`,
    );
  }
  console.log(`\nsgmrl / maml per iteration: ${nav.sgmrlOverMaml.toFixed(3)}`);
  const { wasm, plain, float32 } = nav.sampling;
  console.log(
    "\nOne phase of the batch (400 trajectories × 100 steps) sampled in one thread, median of " +
      `${iterations}; the policy's forward pass against the plain loop it replaced (same bits), ` +
      "and in float32 (other trajectories)\n",
  );
  console.log("| forward pass | sampling s | policy s | policy share |");
  console.log("| --- | --- | --- | --- |");
  const rows: [string, SamplingProfile | undefined][] = [
    ["WebAssembly SIMD, float64 (meanActions)", wasm],
    ["plain loop, float64", plain],
    ["WebAssembly SIMD, float32 (--sampling-precision float32)", float32],
  ];
  for (const [name, p] of rows) {
    if (p === undefined) continue; // a report from before float32 sampling
    console.log(
      `| ${name} | ${f(p.seconds)} | ${f(p.policySeconds)} | ${
        (100 * p.policyShare).toFixed(0)
      }% |`,
    );
  }
  console.log(
    `\nsampling ${nav.sampling.speedup.toFixed(2)}× faster than the plain loop, the policy ${
      nav.sampling.policySpeedup.toFixed(2)
    }× faster`,
  );
  if (float32 !== undefined) {
    console.log(
      `float32 sampling ${nav.sampling.float32Speedup.toFixed(2)}× faster than float64, the ` +
        `policy ${nav.sampling.float32PolicySpeedup.toFixed(2)}× faster`,
    );
  }
}

if (import.meta.main) await runMain(main);

/** Median seconds of the meta-gradient and of a whole iteration, per algorithm. */
interface AnchorRow {
  metaGradient: { sgmrl: number; maml: number };
  iteration: { sgmrl: number; maml: number };
  /**
   * The median over rounds of this row's time ÷ PyTorch's in the same round (a package row's, when
   * PyTorch ran; reports from before the rounds alternated have none).
   */
  vsTorch?: {
    metaGradient: { sgmrl: number; maml: number };
    iteration: { sgmrl: number; maml: number };
  };
}

interface AnchorBench {
  /**
   * This package, one thread, by backend ("native, float32 sampling": native sampling in float32);
   * a string says why a backend could not run.
   */
  package: Record<string, AnchorRow | string>;
  /** What the native and webgpu backends ran on (OpenBLAS' configuration, the adapter). */
  devices: Record<string, string>;
  /** PyTorch's timings, or why there are none. */
  torch: (AnchorRow & { version: string; blas: string[] }) | string;
}

/** Seconds per algorithm, one entry per round. */
interface AnchorSamples {
  metaGradient: { sgmrl: number[]; maml: number[] };
  iteration: { sgmrl: number[]; maml: number[] };
}

function emptySamples(): AnchorSamples {
  return { metaGradient: { sgmrl: [], maml: [] }, iteration: { sgmrl: [], maml: [] } };
}

function medianRow(s: AnchorSamples): AnchorRow {
  return {
    metaGradient: { sgmrl: median(s.metaGradient.sgmrl), maml: median(s.metaGradient.maml) },
    iteration: { sgmrl: median(s.iteration.sgmrl), maml: median(s.iteration.maml) },
  };
}

/** One round of a package row: each algorithm's meta-gradient (after a warm-up) and iteration. */
async function packageAnchorRound(
  backend: BackendName,
  samplingPrecision: DensePrecision | undefined,
  into: AnchorSamples,
): Promise<void> {
  await useBackend(backend);
  const mg = (await benchEstimators(paperNav2d("sgmrl", backend, samplingPrecision), [1], 1))["1"];
  into.metaGradient.sgmrl.push(mg.sgmrlSeconds);
  into.metaGradient.maml.push(mg.mamlSeconds);
  for (const algorithm of ["sgmrl", "maml"] as const) {
    const t = await timeIteration(paperNav2d(algorithm, backend, samplingPrecision), {});
    into.iteration[algorithm].push(t.samplingSeconds + t.learningSeconds);
  }
}

/**
 * The package on wasm, native and webgpu, and PyTorch, one thread each, in one run: round by
 * round, every row then PyTorch (one repeat after its own warm-up), so that a drift of the machine's
 * speed over the minutes of the run reaches every row alike; round 0 warms up and is not counted.
 */
async function benchAnchor(rounds: number): Promise<AnchorBench> {
  const active = tf.getBackend() as BackendName;
  const samples: Record<string, AnchorSamples | string> = {};
  const devices: Record<string, string> = {};
  const python = await findTorchPython();
  const torchSamples = emptySamples();
  let torchRun: TorchAnchorTimings | undefined;
  for (let round = 0; round <= rounds; round++) {
    const counted = round > 0;
    for (const { label, backend, precision } of ANCHOR_ROWS) {
      const into = samples[label] ??= emptySamples();
      if (typeof into === "string") continue;
      try {
        await packageAnchorRound(backend, precision, counted ? into : emptySamples());
        const device = await backendDevice(backend);
        if (device !== undefined) devices[backend] = device;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        samples[label] = e.message;
      }
    }
    if (python !== null && counted) {
      torchRun = await runTorchAnchor(python, 1);
      for (const algorithm of ["sgmrl", "maml"] as const) {
        torchSamples.metaGradient[algorithm].push(...torchRun.metaGradient[algorithm]);
        torchSamples.iteration[algorithm].push(...torchRun.iteration[algorithm]);
      }
    }
  }
  await useBackend(active);
  const pkg: Record<string, AnchorRow | string> = {};
  for (const [label, s] of Object.entries(samples)) {
    if (typeof s === "string") {
      pkg[label] = s;
      continue;
    }
    const ratio = (mine: number[], torch: number[]) => median(mine.map((x, r) => x / torch[r]));
    pkg[label] = python === null ? medianRow(s) : {
      ...medianRow(s),
      vsTorch: {
        metaGradient: {
          sgmrl: ratio(s.metaGradient.sgmrl, torchSamples.metaGradient.sgmrl),
          maml: ratio(s.metaGradient.maml, torchSamples.metaGradient.maml),
        },
        iteration: {
          sgmrl: ratio(s.iteration.sgmrl, torchSamples.iteration.sgmrl),
          maml: ratio(s.iteration.maml, torchSamples.iteration.maml),
        },
      },
    };
  }
  const torch: AnchorBench["torch"] = python === null || torchRun === undefined
    ? `no Python with torch (tried ${PYTHON_CANDIDATES.join(", ")})`
    : { version: torchRun.torch, blas: torchRun.blas, ...medianRow(torchSamples) };
  return { package: pkg, devices, torch };
}

function printAnchor(a: AnchorBench, rounds: number): void {
  const torch = typeof a.torch === "string" ? null : a.torch;
  console.log(
    `\nAgainst PyTorch, 2D navigation paper batch (ζ = 1, second order), one thread each, median of ${rounds} after a warm-up; in brackets: the median over rounds of the time ÷ PyTorch's in the same round (older reports: ÷ PyTorch's median)\n`,
  );
  console.log("| | sgmrl meta-gradient | maml meta-gradient | sgmrl iteration | maml iteration |");
  console.log("| --- | --- | --- | --- | --- |");
  const cell = (x: number, ratio: number | undefined, anchor: number | undefined) => {
    const r = ratio ?? (anchor === undefined ? undefined : x / anchor);
    return `${x.toFixed(3)} s${r === undefined ? "" : ` (${r.toFixed(2)}×)`}`;
  };
  const row = (label: string, r: AnchorRow) => {
    const cells = (["metaGradient", "iteration"] as const).flatMap((stage) =>
      (["sgmrl", "maml"] as const).map((algorithm) =>
        cell(r[stage][algorithm], r.vsTorch?.[stage][algorithm], torch?.[stage][algorithm])
      )
    );
    console.log(`| ${label} | ${cells.join(" | ")} |`);
  };
  if (torch !== null) row(`PyTorch ${torch.version}`, torch);
  for (const [backend, r] of Object.entries(a.package)) {
    if (typeof r === "string") console.log(`| package, ${backend} | ${r} | | | |`);
    else row(`package, ${backend}`, r);
  }
  for (const [backend, device] of Object.entries(a.devices)) console.log(`\n${backend}: ${device}`);
  if (torch === null) console.log(`\nPyTorch: ${a.torch}`);
  else console.log(`\nPyTorch's BLAS: ${torch.blas.join(", ") || "(not visible)"}`);
}

interface BackendsBench {
  workers: number;
  rows: BackendRow[];
  /** 500 × the slower algorithm's median 2D-navigation iteration, by backend. */
  paperNav2dExperimentSeconds: Record<string, number>;
}

/** --backend beside wasm on the paper's 2D-navigation and HalfCheetah ζ = 3 iterations. */
async function benchBackends(
  backend: BackendName,
  rounds: number,
  workers: number,
  samplingPrecision: DensePrecision | undefined,
): Promise<BackendsBench> {
  const threads = createThreads(workers);
  let rows: BackendRow[];
  try {
    rows = await compareBackends(
      [
        { name: "2D navigation, ζ = 1", config: paperNav2d("sgmrl", "wasm", samplingPrecision) },
        { name: "2D navigation, ζ = 1", config: paperNav2d("maml", "wasm", samplingPrecision) },
        {
          name: "HalfCheetah direction, ζ = 3",
          config: paperHalfCheetah("bench-cheetah", 2, samplingPrecision),
        },
      ],
      ["wasm", backend],
      rounds,
      threads,
    );
  } finally {
    threads.close();
  }
  const nav2d = rows.filter((r) => r.setup.startsWith("2D navigation"));
  const paperNav2dExperimentSeconds = Object.fromEntries(
    ["wasm", backend].map((b) => [
      b,
      Math.max(...nav2d.map((r) => r.medians[b].iterSeconds)) * PAPER_NAV2D.iterations,
    ]),
  );
  return { workers, rows, paperNav2dExperimentSeconds };
}

function printBackends(b: BackendsBench, rounds: number): void {
  const [reference, candidate] = Object.keys(b.paperNav2dExperimentSeconds);
  console.log(
    `\n${candidate} beside ${reference}, paper configurations, second order, ${b.workers} sampling and ${b.workers} learner thread(s), median of ${rounds} iteration(s) each after a warm-up, backends alternating; speed-up = ${reference}'s time / ${candidate}'s\n`,
  );
  console.log(
    `| setup | algorithm | ${reference} s / iteration (sampling + learning) | ${candidate} s / iteration (sampling + learning) | iteration speed-up | learning speed-up |`,
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  const f = (m: StageMedians) =>
    `${m.iterSeconds.toFixed(3)} (${m.samplingSeconds.toFixed(3)} + ${
      m.learningSeconds.toFixed(3)
    })`;
  for (const r of b.rows) {
    console.log(
      `| ${r.setup} | ${r.algorithm} | ${f(r.medians[reference])} | ${f(r.medians[candidate])} | ${
        r.iterationSpeedup.toFixed(2)
      }× | ${r.learningSpeedup.toFixed(2)}× |`,
    );
  }
  console.log(
    `\n2D-navigation paper experiment (500 iterations): ${
      Object.entries(b.paperNav2dExperimentSeconds).map(([k, s]) =>
        `${k} ${(s / 60).toFixed(1)} min`
      )
        .join(", ")
    }`,
  );
}
