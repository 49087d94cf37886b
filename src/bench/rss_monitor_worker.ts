/**
 * A Deno Worker that samples the process's resident set size every few milliseconds, on its own
 * thread (so it keeps sampling while the main thread computes), and keeps the maximum in a shared
 * buffer: `postMessage({ buffer: SharedArrayBuffer(8), intervalMs })` starts it.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
self.onmessage = (event: MessageEvent<{ buffer: SharedArrayBuffer; intervalMs: number }>) => {
  const peak = new Float64Array(event.data.buffer);
  const sample = () => {
    const rss = Deno.memoryUsage().rss;
    if (rss > peak[0]) peak[0] = rss;
  };
  sample();
  setInterval(sample, event.data.intervalMs);
};
