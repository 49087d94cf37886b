// The benchmark's building blocks: FLOP counting from kernel shapes, the sampling-throughput
// measurement on a tiny batch, the PyTorch anchor's own check (where torch is installed), and the
// task's refusal of bad input.
import assert from "node:assert/strict";
import { useBackend } from "../src/core/backend.ts";
import { PAPER_NAV2D, validateConfig } from "../src/training/config.ts";
import { benchLearner, matmulFlops } from "../src/bench/learner_bench.ts";
import { benchPhysics } from "../src/bench/physics_bench.ts";
import { checkTorchAnchor, findTorchPython } from "../src/bench/torch_anchor.ts";

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
  if (r.nativeStepsPerSecond === null) assert.equal(r.ratioToNative, null);
  else assert.equal(r.ratioToNative, r.physicsStepsPerSecondPerWorker / r.nativeStepsPerSecond);
});

Deno.test("deno task bench: bad input gives one line naming the option and exit 2", async () => {
  for (
    const [args, message] of [
      [["--part", "gpu"], /part must be one of all, nav2d, learner, mujoco, memory/],
      [["--workers", "0"], /workers must be an integer in \[1, 64\]/],
      [["--iterations", "x"], /iterations must be a positive integer/],
      [["--memory-iterations", "0"], /memory-iterations must be a positive integer/],
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
