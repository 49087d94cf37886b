// Whether this test run has a WebGPU adapter it may use (deno task test:webgpu provides lavapipe
// and allows it); the tests on the webgpu backend run only then and are reported ignored otherwise.
//
// Only a run that may read SGMRL_ALLOW_SOFTWARE_GPU (test:webgpu) asks for an adapter in its own
// process: asking loads the system's graphics stack (with OpenGL probed, Mesa's EGL and LLVM), and
// its library destructors, run by exit() while other threads were still ending, corrupted the heap
// at the end of `deno task test` ("corrupted size vs. prev_size in fastbins", exit 134; docs/verification.md,
// "--backend webgpu"). Other runs ask in a child process.
import { ALLOW_SOFTWARE_GPU, checkGpuAdapter } from "../src/kernels/webgpu_backend.ts";

/** Whether this is a WebGPU test run (the one that grants reading SGMRL_ALLOW_SOFTWARE_GPU). */
export const WEBGPU_RUN: boolean =
  Deno.permissions.querySync({ name: "env", variable: ALLOW_SOFTWARE_GPU }).state === "granted";

/** True when a WebGPU adapter exists and is allowed (a software one with SGMRL_ALLOW_SOFTWARE_GPU=1). */
export const WEBGPU_AVAILABLE: boolean = WEBGPU_RUN &&
  await checkGpuAdapter().then(() => true, () => false);

/**
 * Whether a hardware WebGPU adapter exists, asked in a child process (Vulkan only, as the backend
 * asks), so that this process never loads a graphics library.
 */
export async function hardwareGpu(): Promise<boolean> {
  const module = new URL("../src/kernels/webgpu_backend.ts", import.meta.url).href;
  const probe = `const { checkGpuAdapter } = await import(${JSON.stringify(module)});
await checkGpuAdapter(false);`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", probe],
    env: { DENO_WEBGPU_BACKEND: "vulkan" },
    stdout: "null",
    stderr: "null",
  }).output();
  return out.code === 0;
}
