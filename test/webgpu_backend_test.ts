// The webgpu backend: TensorFlow.js' WebGPU backend on Deno's WebGPU. The tests that compute on
// it need an adapter they may use and run in `deno task test:webgpu` (which provides Mesa's
// software Vulkan, lavapipe, and allows it); elsewhere they are reported as ignored. The refusal
// of a software adapter that was not allowed is checked wherever the only adapter is one.
import assert from "node:assert/strict";
import { ALLOW_SOFTWARE_GPU } from "../src/kernels/webgpu_backend.ts";
import {
  assertBackendRefusedBeforeWriting,
  assertTrainingRepeatsAndFollowsWasm,
} from "./helpers.ts";
import { hardwareGpu, WEBGPU_AVAILABLE, WEBGPU_RUN } from "./gpu.ts";

const webgpu = { ignore: !WEBGPU_AVAILABLE };
/** True where a hardware adapter exists (then nothing is refused). */
const HARDWARE_GPU = await hardwareGpu();

Deno.test({
  name:
    "a test run that does not test WebGPU loads no graphics library (whose destructors corrupted the heap at exit)",
  ignore: WEBGPU_RUN || Deno.build.os !== "linux",
}, async () => {
  // Read by a child (Deno asks for every permission to read /proc/self).
  const out = await new Deno.Command("cat", { args: [`/proc/${Deno.pid}/maps`], stdout: "piped" })
    .output();
  assert.equal(out.code, 0);
  const maps = new TextDecoder().decode(out.stdout);
  assert.match(maps, /libc\.so/, "the map lists the process's libraries");
  const loaded = [
    ...new Set(maps.match(/\S*lib(?:EGL|GLX|GL|vulkan|LLVM|gbm|glapi)[^\s/]*\.so\S*/g)),
  ];
  assert.deepEqual(loaded, []);
});

Deno.test({
  name:
    "reproduce --backend webgpu with no adapter, or only a software one not allowed: one line, exit 2, nothing written",
  ignore: HARDWARE_GPU,
}, () =>
  assertBackendRefusedBeforeWriting(
    "webgpu",
    new RegExp(`backend "webgpu": .*(${ALLOW_SOFTWARE_GPU}|no WebGPU adapter)`),
  ));

Deno.test({
  name:
    "webgpu: a product at the paper's sample count gives the same bytes in two processes (no float atomics)",
  ...webgpu,
}, async () => {
  const digests = [];
  for (let i = 0; i < 2; i++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        `--allow-env=${ALLOW_SOFTWARE_GPU}`,
        "test/fixtures/webgpu_product.ts",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout).trim();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(stdout, /^[0-9a-f]{64}$/);
    digests.push(stdout);
  }
  assert.equal(digests[0], digests[1]);
});

Deno.test({
  name: "webgpu: training repeats to the byte, and follows wasm's to float32 rounding",
  ...webgpu,
}, () => assertTrainingRepeatsAndFollowsWasm("webgpu"));
