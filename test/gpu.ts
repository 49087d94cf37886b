// Whether this test run has a WebGPU adapter it may use (deno task test:webgpu provides lavapipe
// and allows it); the tests on the webgpu backend run only then and are reported ignored otherwise.
import { checkGpuAdapter } from "../src/core/webgpu_backend.ts";

/** True when a WebGPU adapter exists and is allowed (a software one with SGMRL_ALLOW_SOFTWARE_GPU=1). */
export const WEBGPU_AVAILABLE: boolean = await checkGpuAdapter().then(() => true, () => false);
