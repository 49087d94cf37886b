/**
 * Splitting a list of work items into contiguous runs, one per worker: the sampling threads' and
 * the task sandboxes' common rule, so that every thread count gives the same order.
 *
 * @module
 */

/**
 * The contiguous chunks of `n` items for `parts` workers, as [start, end) index pairs; their sizes
 * differ by at most one, earlier chunks taking the remainder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkBounds } from "./chunks.ts";
 * const bounds = chunkBounds(7, 3);
 * assert.equal(JSON.stringify(bounds), "[[0,3],[3,5],[5,7]]", "3 + 2 + 2 items");
 * ```
 */
export function chunkBounds(n: number, parts: number): [number, number][] {
  const bounds: [number, number][] = [];
  const base = Math.floor(n / parts), extra = n % parts;
  let lo = 0;
  for (let k = 0; k < parts; k++) {
    const hi = lo + base + (k < extra ? 1 : 0);
    bounds.push([lo, hi]);
    lo = hi;
  }
  return bounds;
}
