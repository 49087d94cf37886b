// What several test files share: a tiny 2D-navigation (or locomotion) experiment, scratch
// directories, and running a task file as a user would.
import {
  readExperimentManifest,
  readProfileManifest,
  writeExperiment,
  writeProfileManifest,
} from "../src/experiments/artifacts.ts";
import { type ExperimentConfig, PAPER_NAV2D, validateConfig } from "../src/training/config.ts";
import { readCurves, SUMMARY_ID, summaryFiles } from "../src/experiments/profile_summary.ts";
import { analysisSetup } from "../src/analysis/analysis_artifacts.ts";
import { THEORY_PROFILE } from "../src/theory/theory_artifacts.ts";
import { experimentId } from "../src/training/profiles.ts";
import { train } from "../src/training/trainer.ts";
import { useBackend } from "../src/kernels/backend.ts";
import type { TaskFamily } from "../src/envs/env.ts";
import { stream } from "../src/core/rng.ts";

/**
 * Whether this test run may load native libraries (`deno task test:native`): the tests that call
 * OpenBLAS run only then, and are reported as ignored otherwise.
 */
export const FFI_ALLOWED =
  Deno.permissions.querySync({ name: "ffi", path: "/usr/lib" }).state === "granted";

/**
 * A tiny experiment of the reference setup (3 tasks × 2 trajectories, H = 8, an 8-unit policy),
 * with its grid id; `overrides` changes any other field (iterations, checkpointEvery, …).
 */
export function tinyConfig(
  algorithm: ExperimentConfig["algorithm"],
  hessian: ExperimentConfig["hessian"],
  innerSteps: number,
  seed: number,
  overrides: Partial<ExperimentConfig> = {},
): ExperimentConfig {
  const variant = { algorithm, hessian, innerSteps };
  const env = overrides.env ?? "nav2d";
  return validateConfig({
    ...PAPER_NAV2D,
    iterations: 2,
    metaBatchSize: 3,
    trajectoriesPerTask: 2,
    horizon: 8,
    policy: { hidden: [8], activation: "relu", initStd: 1 },
    evaluation: { tasks: 2, trajectoriesPerTask: 2 },
    ...overrides,
    ...variant,
    env,
    seed,
    id: experimentId(env, variant, seed),
  });
}

/** Run `f` with `n` fresh temporary directories, removed afterwards. */
export async function inTempDirs<T>(n: number, f: (dirs: string[]) => Promise<T>): Promise<T> {
  const dirs = await Promise.all(Array.from({ length: n }, () => Deno.makeTempDir()));
  try {
    return await f(dirs);
  } finally {
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  }
}

/** Run `deno run` on a task file with the permissions of `deno task`; exit code and output. */
export async function runTaskFile(
  file: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-sys=cpus", "--allow-read=.", "--allow-write=results", file, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr).trim() };
}

/**
 * A consistent forgery, as a stranger could hand over: change experiment `id`'s files, then
 * rewrite its manifest, the profile's summary (when it has one) and the profile manifest so that
 * every digest matches again.
 */
export async function forgeExperiment(
  dir: string,
  id: string,
  change: (files: Record<string, Uint8Array>) => void | Promise<void>,
  finalStateDigest?: string,
): Promise<void> {
  const manifest = await readExperimentManifest(dir, id);
  const files: Record<string, Uint8Array> = {};
  for (const name of Object.keys(manifest.files)) {
    files[name] = await Deno.readFile(`${dir}/${id}/${name}`);
  }
  await change(files);
  await writeExperiment(dir, id, files, finalStateDigest ?? manifest.finalStateDigest);
  const profile = await readProfileManifest(dir);
  const training = analysisSetup(profile.profile) === undefined &&
    profile.profile !== THEORY_PROFILE;
  if (training && Object.hasOwn(profile.experiments, SUMMARY_ID) && id !== SUMMARY_ID) {
    await writeExperiment(dir, SUMMARY_ID, await summaryFiles(await readCurves(dir)));
  }
  await writeProfileManifest(dir, profile.profile);
}

/**
 * Run `deno task NAME ARGS` as deno.json defines it (same permissions, --no-prompt included),
 * without the task runner's banner; exit code and output.
 */
export async function runDenoTask(
  name: string,
  args: string[],
  options: { stdin?: "null" | "piped" } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const tasks = JSON.parse(await Deno.readTextFile("deno.json")).tasks as Record<string, string>;
  const [deno, ...command] = tasks[name].split(" ");
  if (deno !== "deno") throw new Error(`task ${name} does not start with deno`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...command, ...args],
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr).trim() };
}

/**
 * Train a small 2D-navigation experiment twice on `backend` (same final digest) and once on wasm
 * (parameters within float32 rounding, 1e-4): a backend's determinism and agreement in one check.
 */
export async function assertTrainingRepeatsAndFollowsWasm(
  backend: "native" | "webgpu",
): Promise<void> {
  const config = (b: "wasm" | typeof backend) =>
    tinyConfig("sgmrl", "autodiff", 1, 0, {
      backend: b,
      iterations: 3,
      trajectoriesPerTask: 4,
      horizon: 20,
      policy: { hidden: [32, 32], activation: "relu", initStd: 1 },
    });
  await useBackend(backend);
  const first = await train(config(backend));
  const again = await train(config(backend));
  if (again.finalStateDigest !== first.finalStateDigest) {
    throw new Error(`${backend}: two runs end in different states`);
  }
  await useBackend("wasm");
  const wasm = await train(config("wasm"));
  let largest = 0;
  first.params.forEach((p, i) =>
    p.forEach((v, j) => largest = Math.max(largest, Math.abs(v - wasm.params[i][j])))
  );
  if (!(largest < 1e-4)) throw new Error(`${backend} and wasm parameters differ by ${largest}`);
}

/**
 * `deno task reproduce` (as `runTaskFile` runs it: no FFI, no environment) with `--backend
 * backend` into a fresh `--out`: exit 2, one line of error matching `pattern` (Vulkan's
 * XDG_RUNTIME_DIR warning aside), and the output directory never created.
 */
export async function assertBackendRefusedBeforeWriting(
  backend: "native" | "webgpu",
  pattern: RegExp,
): Promise<void> {
  const out = `results/tmp-${backend}-refused-${Deno.pid}`;
  const r = await runTaskFile("tasks/reproduce.ts", [
    "--profile",
    "quick",
    "--only",
    "nav2d-sgmrl-so-z1-s0",
    "--backend",
    backend,
    "--out",
    out,
  ]);
  const lines = r.stderr.split("\n").filter((l) => !/XDG_RUNTIME_DIR/.test(l));
  if (r.code !== 2 || lines.length !== 1 || !pattern.test(lines[0])) {
    throw new Error(`expected exit 2 and one line matching ${pattern}, got ${r.code}: ${r.stderr}`);
  }
  const created = await Deno.stat(out).then(() => true, () => false);
  if (created) throw new Error(`${out} was created`);
}

/** Σₗ op(a)[i,l]·op(b)[l,j] in float64, for row-major 2-D operands (m × k and k × n after op). */
export function product64(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  transposeA: boolean,
  transposeB: boolean,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) {
        s += a[transposeA ? l * m + i : i * k + l] * b[transposeB ? j * k + l : l * n + j];
      }
      c[i * n + j] = s;
    }
  }
  return c;
}

/**
 * Reset `n` episodes of a HalfCheetah family (trajectory streams 0 … n−1), take one step of each
 * and close it: the loop the engines' pool tests run.
 */
export function runHalfCheetahEpisodes(family: TaskFamily<{ goal: number }>, n: number): void {
  for (let e = 0; e < n; e++) {
    const episode = family.reset({ goal: 1 }, stream({ seed: 0, purpose: "reset", trajectory: e }));
    episode.step(new Float64Array(6).fill(0.5));
    episode.close?.();
  }
}
