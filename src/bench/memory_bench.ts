/**
 * Resident memory of a training run: the process's resident set size after each iteration, and
 * its peak, sampled every few milliseconds by a worker thread (sampling workers are threads of the
 * same process, so their memory counts too).
 *
 * @module
 */
import type { ExperimentConfig } from "../training/config.ts";
import { DenoWorker } from "../core/deno_worker.ts";
import { type Threads, train } from "../training/trainer.ts";

/** A running peak-RSS sampler; `peakBytes()` reads the maximum so far, `stop()` ends it. */
export interface RssMonitor {
  peakBytes(): number;
  stop(): void;
}

/**
 * Start sampling the process's resident set size every `intervalMs` milliseconds on a worker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startRssMonitor } from "./memory_bench.ts";
 * const monitor = startRssMonitor(5);
 * await new Promise((r) => setTimeout(r, 50));
 * const peak = monitor.peakBytes();
 * monitor.stop();
 * assert.ok(peak >= Deno.memoryUsage().rss / 2, "a peak was sampled");
 * ```
 */
export function startRssMonitor(intervalMs = 10): RssMonitor {
  const buffer = new SharedArrayBuffer(8);
  const peak = new Float64Array(buffer);
  peak[0] = Deno.memoryUsage().rss;
  const worker = new DenoWorker(new URL("./rss_monitor_worker.ts", import.meta.url), {
    type: "module",
  });
  worker.postMessage({ buffer, intervalMs });
  return {
    peakBytes: () => Math.max(peak[0], Deno.memoryUsage().rss),
    stop: () => worker.terminate(),
  };
}

/** What {@linkcode benchMemory} reports. */
export interface MemoryBench {
  /** Peak resident set size of the whole run, MiB (sampled every 10 ms). */
  readonly peakRssMiB: number;
  /** Resident set size after each iteration, MiB: flat when nothing accumulates. */
  readonly rssAfterIterationMiB: number[];
  /** Wall-clock seconds of each iteration. */
  readonly iterationSeconds: number[];
}

/** Train `config` (its `iterations` iterations) and read the process's memory after each. */
export async function benchMemory(
  config: ExperimentConfig,
  threads: Threads = {},
): Promise<MemoryBench> {
  const rss: number[] = [], seconds: number[] = [];
  const monitor = startRssMonitor();
  try {
    await train(config, {
      ...threads,
      onIteration: (_, timing) => {
        seconds.push(timing.samplingSeconds + timing.learningSeconds);
        rss.push(Deno.memoryUsage().rss / 2 ** 20);
      },
    });
  } finally {
    monitor.stop();
  }
  return {
    peakRssMiB: monitor.peakBytes() / 2 ** 20,
    rssAfterIterationMiB: rss,
    iterationSeconds: seconds,
  };
}
