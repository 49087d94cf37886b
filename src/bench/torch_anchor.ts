/**
 * The PyTorch anchor of `deno task bench --part anchor`: `bench/torch_anchor.py` run by a Python
 * that has torch, its timings read back as JSON.
 *
 * @module
 */

/** Where the anchor's Python script lives, relative to the project root. */
export const TORCH_ANCHOR_SCRIPT = "bench/torch_anchor.py";

/** The Pythons tried, in order: the one on PATH, then Debian's (where python3-torch installs). */
export const PYTHON_CANDIDATES: readonly string[] = ["python3", "/usr/bin/python3"];

/** Seconds per repeat of sgmrl and maml. */
export interface AlgorithmSeconds {
  readonly sgmrl: number[];
  readonly maml: number[];
}

/** What `bench/torch_anchor.py --repeats N` reports. */
export interface TorchAnchorTimings {
  /** torch.__version__. */
  readonly torch: string;
  /** Threads torch ran on (1). */
  readonly threads: number;
  /** The BLAS libraries the Python process had mapped (Linux), e.g. OpenBLAS' libblas.so.3. */
  readonly blas: string[];
  /** The second-order meta-gradient on the paper batch, per repeat. */
  readonly metaGradient: AlgorithmSeconds;
  /** A whole meta-iteration (sampling, adaptation, meta-gradient, Adam), per repeat. */
  readonly iteration: AlgorithmSeconds;
}

async function run(python: string, args: string[]) {
  try {
    const out = await new Deno.Command(python, { args, stdout: "piped", stderr: "piped" })
      .output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr).trim() };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotCapable) return null;
    throw e;
  }
}

/**
 * The first of `candidates` that imports torch, or null when none does (or none may be run).
 *
 * @example
 * ```ts ignore
 * import { findTorchPython } from "./torch_anchor.ts";
 * console.log(await findTorchPython() ?? "no Python with torch here");
 * ```
 */
export async function findTorchPython(
  candidates: readonly string[] = PYTHON_CANDIDATES,
): Promise<string | null> {
  for (const python of candidates) {
    if ((await run(python, ["-c", "import torch"]))?.code === 0) return python;
  }
  return null;
}

function isSeconds(x: unknown, repeats: number): x is number[] {
  return Array.isArray(x) && x.length === repeats &&
    x.every((v) => typeof v === "number" && Number.isFinite(v) && v > 0);
}

/**
 * Run the anchor's timings (`repeats` rounds after a warm-up, the algorithms alternating) and
 * check the shape of what it reports.
 */
export async function runTorchAnchor(
  python: string,
  repeats: number,
): Promise<TorchAnchorTimings> {
  const r = await run(python, [TORCH_ANCHOR_SCRIPT, "--repeats", String(repeats)]);
  if (r === null || r.code !== 0) {
    throw new Error(`${TORCH_ANCHOR_SCRIPT} failed: ${r?.stderr.split("\n").at(-1) ?? python}`);
  }
  const t = JSON.parse(r.stdout) as TorchAnchorTimings;
  for (const part of ["metaGradient", "iteration"] as const) {
    for (const algorithm of ["sgmrl", "maml"] as const) {
      if (!isSeconds(t[part]?.[algorithm], repeats)) {
        throw new Error(`${TORCH_ANCHOR_SCRIPT}: ${part}.${algorithm} is not ${repeats} times`);
      }
    }
  }
  return t;
}

/** Relative errors of the anchor's meta-gradients against central differences (float64). */
export interface TorchAnchorCheck {
  readonly sgmrl: { relativeError: number; firstOrderRelativeError: number };
  readonly maml: { relativeError: number; firstOrderRelativeError: number };
  readonly ok: boolean;
}

/** Run `bench/torch_anchor.py --check`. */
export async function checkTorchAnchor(python: string): Promise<TorchAnchorCheck> {
  const r = await run(python, [TORCH_ANCHOR_SCRIPT, "--check"]);
  if (r === null) throw new Error(`${python} cannot be run`);
  return JSON.parse(r.stdout) as TorchAnchorCheck;
}
