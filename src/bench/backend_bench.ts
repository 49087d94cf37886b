/**
 * Whole meta-iterations timed on two learner backends in one run: the same configurations, the
 * backends alternating round by round so that both see the same machine state. What
 * `deno task bench --part backends` reports (a GPU or native backend beside wasm).
 *
 * @module
 */
import { type BackendName, tf, useBackend } from "../kernels/backend.ts";
import { median } from "../core/stats.ts";
import { type ExperimentConfig, validateConfig } from "../training/config.ts";
import { type IterationTiming, type Threads, train } from "../training/trainer.ts";

/** Median seconds of a meta-iteration and of its two stages. */
export interface StageMedians {
  /** Sampling plus learning. */
  readonly iterSeconds: number;
  /** Sampling every batch, including the inner adaptation steps between them. */
  readonly samplingSeconds: number;
  /** The meta-gradient and the Adam step. */
  readonly learningSeconds: number;
}

/**
 * The medians of iteration timings, stage by stage.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stageMedians } from "./backend_bench.ts";
 * const m = stageMedians([
 *   { samplingSeconds: 1, learningSeconds: 2 },
 *   { samplingSeconds: 3, learningSeconds: 1 },
 *   { samplingSeconds: 2, learningSeconds: 5 },
 * ]);
 * assert.equal(m.samplingSeconds, 2);
 * assert.equal(m.learningSeconds, 2);
 * assert.equal(m.iterSeconds, 4);
 * ```
 */
export function stageMedians(timings: readonly IterationTiming[]): StageMedians {
  return {
    iterSeconds: median(timings.map((t) => t.samplingSeconds + t.learningSeconds)),
    samplingSeconds: median(timings.map((t) => t.samplingSeconds)),
    learningSeconds: median(timings.map((t) => t.learningSeconds)),
  };
}

/**
 * The timing of iteration 1 of a two-iteration training run of `config` (iteration 0 is the
 * warm-up: compilation, backend initialisation, worker start-up), on the backend active now.
 */
export async function timeIteration(
  config: ExperimentConfig,
  threads: Threads,
): Promise<IterationTiming> {
  let timing: IterationTiming | undefined;
  await train(validateConfig({ ...config, iterations: 2 }), {
    ...threads,
    onIteration: (m, t) => {
      if (m.iteration === 1) timing = t;
    },
  });
  if (timing === undefined) throw new Error(`${config.id}: no timing for iteration 1`);
  return timing;
}

/** A configuration to time, with the name it is reported under. */
export interface BackendSetup {
  readonly name: string;
  /** Its `backend` field is replaced by each backend timed. */
  readonly config: ExperimentConfig;
}

/** One setup's medians on each backend, and the ratios of the first backend's to the second's. */
export interface BackendRow {
  readonly setup: string;
  readonly algorithm: string;
  /** Keyed by backend name. */
  readonly medians: Readonly<Record<string, StageMedians>>;
  /** The first backend's median iteration over the second's (> 1: the second is faster). */
  readonly iterationSpeedup: number;
  /** The same for the learning stage (meta-gradient and Adam step). */
  readonly learningSpeedup: number;
}

/**
 * Time each setup on both `backends` (`[reference, candidate]`), `rounds` rounds of one
 * {@linkcode timeIteration} per backend, alternating; the backend active before is active again
 * afterwards.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareBackends } from "./backend_bench.ts";
 * import { useBackend } from "../kernels/backend.ts";
 * import { PAPER_NAV2D, validateConfig } from "../training/config.ts";
 * await useBackend("wasm");
 * const config = validateConfig({
 *   ...PAPER_NAV2D, id: "tiny", algorithm: "maml", hessian: "autodiff", innerSteps: 1,
 *   metaBatchSize: 2, trajectoriesPerTask: 2, horizon: 5, seed: 0,
 *   policy: { hidden: [4], activation: "relu", initStd: 1 },
 *   evaluation: { tasks: 1, trajectoriesPerTask: 1 },
 * });
 * const [row] = await compareBackends([{ name: "tiny", config }], ["wasm", "cpu"], 1, {});
 * assert.ok(row.medians.cpu.iterSeconds > 0 && row.iterationSpeedup > 0);
 * ```
 */
export async function compareBackends(
  setups: readonly BackendSetup[],
  backends: readonly [BackendName, BackendName],
  rounds: number,
  threads: Threads,
): Promise<BackendRow[]> {
  const active = tf.getBackend() as BackendName;
  const rows: BackendRow[] = [];
  try {
    for (const { name, config } of setups) {
      const timings: Record<string, IterationTiming[]> = {};
      for (let round = 0; round < rounds; round++) {
        for (const backend of backends) {
          await useBackend(backend);
          (timings[backend] ??= []).push(await timeIteration({ ...config, backend }, threads));
        }
      }
      const medians = Object.fromEntries(
        backends.map((b) => [b, stageMedians(timings[b])]),
      );
      const [reference, candidate] = backends.map((b) => medians[b]);
      rows.push({
        setup: name,
        algorithm: config.algorithm,
        medians,
        iterationSpeedup: reference.iterSeconds / candidate.iterSeconds,
        learningSpeedup: reference.learningSeconds / candidate.learningSeconds,
      });
    }
  } finally {
    await useBackend(active);
  }
  return rows;
}
