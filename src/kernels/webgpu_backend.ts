/**
 * The `webgpu` TensorFlow.js backend on Deno's built-in WebGPU, loaded only when asked for.
 *
 * Before TensorFlow.js' WebGPU backend is loaded, the adapter is checked: none is a one-line error,
 * and a software (fallback) adapter such as Mesa's lavapipe is refused unless
 * `SGMRL_ALLOW_SOFTWARE_GPU=1`, so that a broken GPU driver never runs the learner on the CPU
 * unnoticed. Matrix products use TensorFlow.js' program type 3, which sums in a fixed order: its
 * split-K program (chosen by default for inner dimensions from 2,000) sums with float atomics,
 * whose order changes from run to run. The backend has no synchronous read-back in Deno; the
 * learner reads back asynchronously on every backend.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";

/** The environment variable that allows a software (fallback) WebGPU adapter. */
export const ALLOW_SOFTWARE_GPU = "SGMRL_ALLOW_SOFTWARE_GPU";

/** What the adapter says about itself (recorded beside the timings, never hashed). */
export interface GpuAdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** True for a software adapter (for example lavapipe). */
  readonly isFallbackAdapter: boolean;
}

/** TensorFlow.js' matrix-product program with a fixed summation order (no atomics). */
const DETERMINISTIC_MATMUL_PROGRAM = 3;

/** Whether `SGMRL_ALLOW_SOFTWARE_GPU=1` (false when the variable may not be read). */
function softwareAllowed(): boolean {
  try {
    return Deno.env.get(ALLOW_SOFTWARE_GPU) === "1";
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return false;
    }
    throw e;
  }
}

/** The environment variable through which Deno's WebGPU takes the graphics APIs it may use. */
export const WEBGPU_BACKEND_VARIABLE = "DENO_WEBGPU_BACKEND";

/**
 * Ask Deno's WebGPU for Vulkan adapters only (the backend's documented requirement), unless the
 * user chose otherwise (`DENO_WEBGPU_BACKEND` set) or the task may not set it. Otherwise wgpu also
 * probes OpenGL through EGL, which loads Mesa's EGL and LLVM into the process where no Vulkan
 * driver answers; their library destructors, run by exit() while other threads still end,
 * corrupted the heap at exit ("double free or corruption", exit 134).
 */
function vulkanOnly(): void {
  const query = { name: "env", variable: WEBGPU_BACKEND_VARIABLE } as const;
  if (Deno.permissions.querySync(query).state !== "granted") return;
  if (Deno.env.get(WEBGPU_BACKEND_VARIABLE) === undefined) {
    Deno.env.set(WEBGPU_BACKEND_VARIABLE, "vulkan");
  }
}

/**
 * The description of the adapter WebGPU gives, or an {@linkcode InputError} when there is none or
 * when it is a software one that is not allowed.
 *
 * @example
 * ```ts ignore
 * import { checkGpuAdapter } from "./webgpu_backend.ts";
 * console.log((await checkGpuAdapter(true)).description); // e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
 * ```
 */
export async function checkGpuAdapter(
  allowSoftware: boolean = softwareAllowed(),
): Promise<GpuAdapterDescription> {
  vulkanOnly();
  const adapter = "gpu" in navigator ? await navigator.gpu.requestAdapter() : null;
  if (adapter === null) {
    throw new InputError(
      `backend "webgpu": no WebGPU adapter here (a GPU with a Vulkan driver; for a software one, Debian's mesa-vulkan-drivers with ${ALLOW_SOFTWARE_GPU}=1)`,
    );
  }
  const info = adapter.info;
  const described: GpuAdapterDescription = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter,
  };
  if (described.isFallbackAdapter && !allowSoftware) {
    throw new InputError(
      `backend "webgpu": the only adapter is a software one (${
        described.description || described.vendor || "fallback adapter"
      }); set ${ALLOW_SOFTWARE_GPU}=1 to use it anyway`,
    );
  }
  return described;
}

let registered: GpuAdapterDescription | undefined;

/**
 * Check the adapter ({@linkcode checkGpuAdapter}), then load TensorFlow.js' WebGPU backend (once
 * per thread) with deterministic matrix products; returns the adapter's description.
 *
 * @example
 * ```ts ignore
 * import { registerWebgpuBackend } from "./webgpu_backend.ts";
 * const adapter = await registerWebgpuBackend(); // refuses a software adapter unless allowed
 * console.log(adapter.description);
 * ```
 */
export async function registerWebgpuBackend(): Promise<GpuAdapterDescription> {
  if (registered) return registered;
  const adapter = await checkGpuAdapter();
  await import("@tensorflow/tfjs-backend-webgpu");
  tf.env().set("WEBGPU_MATMUL_PROGRAM_TYPE", DETERMINISTIC_MATMUL_PROGRAM);
  registered = adapter;
  return adapter;
}
