// The benchmark's building blocks: FLOP counting from kernel shapes, the sampling-throughput
// measurement on a tiny batch with its split of the time (engine, resets, policy), two backends timed side by side, the PyTorch anchor's own check (where torch is installed), and the
// task's refusal of bad input.
import assert from "node:assert/strict";
import { tf, useBackend } from "../src/kernels/backend.ts";
import { PAPER_NAV2D, validateConfig } from "../src/training/config.ts";
import { benchLearner, matmulFlops } from "../src/bench/learner_bench.ts";
import { benchPhysics, policyControlNoise, timedPhysics } from "../src/bench/physics_bench.ts";
import {
  LOCOMOTION_TASKS,
  locomotionFamily,
  type LocomotionTask,
  sharedModel,
} from "../src/envs/locomotion.ts";
import type { TaskFamily } from "../src/envs/env.ts";
import { initPolicyParams } from "../src/estimators/policy.ts";
import { allJobs, gaussianSampling, samplePaths } from "../src/estimators/sampler.ts";
import { stream } from "../src/core/rng.ts";
import { compareBackends } from "../src/bench/backend_bench.ts";
import { tinyConfig } from "./helpers.ts";
import { checkTorchAnchor, findTorchPython, runTorchAnchor } from "../src/bench/torch_anchor.ts";

await useBackend("wasm");

/** A Python with torch (the PyTorch anchor's test runs only where there is one). */
const TORCH_PYTHON = await findTorchPython();

Deno.test({
  name:
    "the PyTorch anchor's second-order meta-gradients equal central differences (float64), its first order does not",
  ignore: TORCH_PYTHON === null,
}, async () => {
  const check = await checkTorchAnchor(TORCH_PYTHON!);
  for (const algorithm of ["sgmrl", "maml"] as const) {
    assert.ok(check[algorithm].relativeError < 1e-6, JSON.stringify(check));
    assert.ok(check[algorithm].firstOrderRelativeError > 1e-4, JSON.stringify(check));
  }
  assert.equal(check.ok, true);
});

Deno.test({
  name:
    "the PyTorch anchor's timings, one repeat after its warm-up (as the bench calls it round by round): one time per algorithm and stage, on one thread",
  ignore: TORCH_PYTHON === null,
}, async () => {
  const t = await runTorchAnchor(TORCH_PYTHON!, 1);
  assert.equal(t.threads, 1);
  for (const stage of [t.metaGradient, t.iteration]) {
    for (const algorithm of ["sgmrl", "maml"] as const) {
      assert.equal(stage[algorithm].length, 1);
      assert.ok(stage[algorithm][0] > 0);
    }
  }
});

Deno.test("matmulFlops: 2·m·k·n for every transpose combination and batch", () => {
  assert.equal(matmulFlops([[30, 20], [20, 10]], [30, 10]), 2 * 30 * 20 * 10);
  assert.equal(matmulFlops([[20, 30], [20, 10]], [30, 10]), 2 * 30 * 20 * 10); // Aᵀ B
  assert.equal(matmulFlops([[30, 20], [10, 20]], [30, 10]), 2 * 30 * 20 * 10); // A Bᵀ
  assert.equal(matmulFlops([[4, 30, 20], [4, 20, 10]], [4, 30, 10]), 4 * 2 * 30 * 20 * 10);
});

Deno.test("benchLearner: counts the profile's matrix products (a linear policy's are all 10 × 2 × 2)", async () => {
  // Linear policy (no hidden layer), obsDim 2, actDim 2, 2 tasks × 2 trajectories × 5 steps = 10
  // samples per task: every product the tape runs pairs the batch (10 × 2) with W (2 × 2) or
  // contracts two 10 × 2 arrays, so each costs 2·10·2·2 = 80 FLOPs and the total is a multiple.
  const config = validateConfig({
    ...PAPER_NAV2D,
    id: "b",
    algorithm: "maml",
    hessian: "autodiff",
    innerSteps: 1,
    seed: 0,
    metaBatchSize: 2,
    trajectoriesPerTask: 2,
    horizon: 5,
    policy: { hidden: [], activation: "tanh", initStd: 1 },
  });
  const r = await benchLearner(config, 1);
  assert.ok(r.matmulFlops > 0 && r.matmulFlops % 80 === 0, String(r.matmulFlops));
  assert.ok(r.seconds > 0 && r.gflops > 0 && r.matmulGflops > 0);
  assert.ok(r.kernels.some((k) => k.kernel === "BatchMatMul" && k.calls > 0));
});

Deno.test("benchPhysics: physics steps per second for each worker count, policy share in (0, 1)", async () => {
  const r = await benchPhysics("swimmer-vel", {
    tasks: 2,
    trajectoriesPerTask: 2,
    horizon: 20,
    hidden: [4],
    workers: [1, 2],
    repeats: 1,
  });
  assert.equal(r.frameSkip, 4);
  assert.deepEqual(Object.keys(r.scaling), ["1", "2"]);
  assert.ok(Object.values(r.scaling).every((x) => Number.isFinite(x) && x > 0));
  assert.equal(r.physicsStepsPerSecondPerWorker, r.scaling["1"]);
  assert.ok(r.policyShare > 0 && r.policyShare < 1);
  assert.ok(r.engineShare > 0 && r.resetShare > 0, JSON.stringify(r));
  assert.ok(r.engineShare + r.resetShare + r.policyShare < 1, JSON.stringify(r));
  if (r.nativeStepsPerSecond === null) {
    assert.equal(r.ratioToNative, null);
    assert.equal(r.engineRatioToNative, null);
    assert.equal(r.atPolicyControls, null);
  } else {
    // One repeat: the paired ratio is the one batch's rate over the testspeed run before it.
    assert.equal(r.ratioToNative, r.physicsStepsPerSecondPerWorker / r.nativeStepsPerSecond);
    // The engine alone is faster than the loop around it.
    assert.ok(r.engineRatioToNative! > r.ratioToNative!, JSON.stringify(r));
    // At the policy's controls: the initial policy's raw actions (σ = 1 on the [−10, 10] box) are
    // controls of about 0.1, testspeed's noise about √3 · 0.1.
    const c = r.atPolicyControls!;
    assert.ok(c.ctrlnoise > 0.1 && c.ctrlnoise < 0.3, JSON.stringify(c));
    assert.equal(c.ratioToNative, r.physicsStepsPerSecondPerWorker / c.nativeStepsPerSecond);
    assert.ok(c.engineRatioToNative > c.ratioToNative!, JSON.stringify(c));
  }
});

Deno.test("policyControlNoise: √3 × the controls' root mean square in half-ranges about the range's centre, clipped as the environment clips", () => {
  const path = (actions: number[], actDim: number) => ({
    observations: new Float64Array(actions.length / actDim),
    actions: new Float64Array(actions),
    rewards: new Float64Array(actions.length / actDim),
    length: actions.length / actDim,
  });
  // Controls in [0, 2] (centre 1, half-range 1): raw actions 30 (clipped to 10) and four 0s are
  // controls 2, 1, 1, 1, 1, i.e. 1, 0, 0, 0, 0 about the centre: noise √(3 · 1/5) = 0.7746 (unclipped,
  // the 30 would be 3 half-ranges out).
  assert.equal(policyControlNoise([path([30, 0, 0, 0, 0], 1)], [0], [2]), 0.775);
  // Controls at the range's ends: √3, which testspeed clamps to 1.
  assert.equal(policyControlNoise([path([10, -10], 1)], [0], [2]), 1);
  // Raw 2 and −1 on [−10, 10] → controls 0.2 and −0.1 on [−1, 1], two dimensions, one path each:
  // mean square (0.04 + 0.01 + 0.04 + 0.01) / 4 = 0.025, noise √0.075 = 0.27386… → 0.274.
  assert.equal(
    policyControlNoise([path([2, -1], 2), path([2, -1], 2)], [-1, -1], [1, 1]),
    0.274,
  );
});

Deno.test("timedPhysics: times the engine's calls and leaves every trajectory's bits as they were", async () => {
  const spec = LOCOMOTION_TASKS["swimmer-vel"];
  const model = await sharedModel(spec.model);
  const seconds = { step: 0, reset: 0 };
  const policySpec = { obsDim: 8, actDim: 2, hidden: [4], activation: "relu", initStd: 1 } as const;
  const params = initPolicyParams(policySpec, 0);
  const sample = (family: TaskFamily<LocomotionTask>) => {
    const tasks = [0, 1].map((task) =>
      family.sampleTask(stream({ seed: 0, purpose: "task", task }))
    );
    return samplePaths({
      family,
      policy: gaussianSampling(policySpec),
      tasks,
      params: tasks.map(() => params),
      horizon: 30,
      seed: 0,
      purpose: "action",
      iteration: 0,
      phase: 0,
    }, allJobs(2, 3));
  };
  const plain = sample(locomotionFamily(spec, model));
  const timed = sample(locomotionFamily(spec, timedPhysics(model, seconds)));
  assert.deepEqual(timed, plain);
  assert.ok(seconds.step > 0 && seconds.reset > 0, JSON.stringify(seconds));
  // A state borrowed around the wrapper is refused, not released twice.
  const raw = model.acquire();
  assert.throws(() => timedPhysics(model, seconds).release(raw), /not a state of this model/);
  model.release(raw);
});

Deno.test("deno task bench: bad input gives one line naming the option and exit 2", async () => {
  for (
    const [args, message] of [
      [
        ["--part", "gpu"],
        /part must be one of all, nav2d, learner, mujoco, memory, anchor, backends, table2, breakdown/,
      ],
      [["--part", "backends"], /part backends times --backend beside wasm: give --backend cpu/],
      [["--render", "test/no-such-report.json"], /render: cannot read "test\/no-such-report.json"/],
      [["--render", "deno.json"], /render: "deno.json" is not a report of deno task bench --json/],
      [["--workers", "0"], /workers must be an integer in \[1, 64\]/],
      [["--iterations", "x"], /iterations must be a positive integer/],
      [["--memory-iterations", "0"], /memory-iterations must be a positive integer/],
      [
        ["--part", "table2", "--memory-iterations", "1"],
        /memory-iterations: table2 needs at least 2/,
      ],
      [["--sampling-precision", "f32"], /sampling-precision must be one of float64, float32/],
    ] as const
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-sys=cpus", "--allow-read=.", "tasks/bench.ts", ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr).trim();
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, message);
    assert.equal(stderr.split("\n").length, 1, stderr);
  }
});

Deno.test("compareBackends: each setup timed on both backends, ratios of their medians, the active backend restored", async () => {
  await useBackend("wasm");
  const tiny = (algorithm: "sgmrl" | "maml") =>
    tinyConfig(algorithm, "autodiff", 2, 0, { evaluation: { tasks: 1, trajectoriesPerTask: 1 } });
  const rows = await compareBackends(
    [{ name: "a", config: tiny("sgmrl") }, { name: "b", config: tiny("maml") }],
    ["cpu", "wasm"],
    2,
    {},
  );
  assert.equal(tf.getBackend(), "wasm");
  assert.deepEqual(rows.map((r) => [r.setup, r.algorithm]), [["a", "sgmrl"], ["b", "maml"]]);
  for (const r of rows) {
    assert.deepEqual(Object.keys(r.medians), ["cpu", "wasm"]);
    for (const m of Object.values(r.medians)) {
      assert.ok(m.samplingSeconds > 0 && m.learningSeconds > 0);
      assert.ok(Math.abs(m.iterSeconds - (m.samplingSeconds + m.learningSeconds)) < 1e-12);
    }
    assert.equal(r.iterationSpeedup, r.medians.cpu.iterSeconds / r.medians.wasm.iterSeconds);
    assert.equal(r.learningSpeedup, r.medians.cpu.learningSeconds / r.medians.wasm.learningSeconds);
  }
});

Deno.test("deno task bench --render prints the tables of a saved --json report, measuring nothing", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const medians = (iter: number, sampling: number) => ({
      iterSeconds: iter,
      samplingSeconds: sampling,
      learningSeconds: iter - sampling,
    });
    await Deno.writeTextFile(
      path,
      JSON.stringify({
        machine: { cores: 16, backend: "webgpu", device: "GPU X", deno: "2" },
        settings: { iterations: 3 },
        backends: {
          workers: 16,
          rows: [{
            setup: "HalfCheetah direction, ζ = 3",
            algorithm: "sgmrl",
            medians: { wasm: medians(12, 2), webgpu: medians(3, 2) },
            iterationSpeedup: 4,
            learningSpeedup: 10,
          }],
          paperNav2dExperimentSeconds: { wasm: 300, webgpu: 90 },
        },
        anchor: {
          package: {
            "native, float32 sampling": {
              metaGradient: { sgmrl: 0.2, maml: 0.2 },
              iteration: { sgmrl: 0.3, maml: 0.3 },
              vsTorch: {
                metaGradient: { sgmrl: 0.9, maml: 1.1 },
                iteration: { sgmrl: 0.95, maml: 1.05 },
              },
            },
            webgpu: "no adapter",
          },
          devices: {},
          torch: {
            version: "1.13",
            blas: [],
            metaGradient: { sgmrl: 0.25, maml: 0.25 },
            iteration: { sgmrl: 0.25, maml: 0.25 },
          },
        },
      }),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", `--allow-read=${path}`, "tasks/bench.ts", "--render", path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(stdout, /^16 cores, backend webgpu \(GPU X\)/);
    assert.match(stdout, /median of 3 iteration\(s\)/);
    assert.match(
      stdout,
      /\| HalfCheetah direction, ζ = 3 \| sgmrl \| 12\.000 \(2\.000 \+ 10\.000\) \| 3\.000 \(2\.000 \+ 1\.000\) \| 4\.00× \| 10\.00× \|/,
    );
    assert.match(
      stdout,
      /2D-navigation paper experiment \(500 iterations\): wasm 5\.0 min, webgpu 1\.5 min/,
    );
    // The anchor's ratios are the per-round ones the report holds, not the medians' quotient.
    assert.match(
      stdout,
      /\| package, native, float32 sampling \| 0\.200 s \(0\.90×\) \| 0\.200 s \(1\.10×\) \| 0\.300 s \(0\.95×\) \| 0\.300 s \(1\.05×\) \|/,
    );
    assert.match(stdout, /\| PyTorch 1\.13 \| 0\.250 s \(1\.00×\) \|/);
    assert.match(stdout, /\| package, webgpu \| no adapter \|/);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("bench/gpu.sh: bad usage exits 2; without a hardware WebGPU adapter it stops with the bench's refusal and leaves no report", async () => {
  const run = async (args: string[]) => {
    // Only SGMRL_ALLOW_SOFTWARE_GPU=1 allows a software adapter (test:webgpu sets it).
    const out = await new Deno.Command("sh", {
      args: ["bench/gpu.sh", ...args],
      env: { SGMRL_ALLOW_SOFTWARE_GPU: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr).trim() };
  };
  for (
    const [args, message] of [
      [[], /^usage: bench\/gpu\.sh OUT \[ITERATIONS\]$/],
      [["a", "0"], /^bench\/gpu\.sh: ITERATIONS must be a positive integer, got "0"$/],
      [["a", "2x"], /^bench\/gpu\.sh: ITERATIONS must be a positive integer, got "2x"$/],
    ] as const
  ) {
    const r = await run([...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
  const out = await Deno.makeTempDir();
  try {
    const r = await run([out, "1"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr.split("\n").at(-1)!,
      /^error: backend "webgpu": (no WebGPU adapter|the only adapter is a software one)/,
    );
    const left = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    assert.deepEqual(left, ["device.txt"]);
    assert.match(await Deno.readTextFile(`${out}/device.txt`), /^cores: \d+$/m);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
