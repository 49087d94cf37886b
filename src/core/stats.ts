/**
 * Summary statistics for measurements.
 *
 * @module
 */

/**
 * The median of `xs` (the mean of the two middle values for an even count).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { median } from "./stats.ts";
 * assert.equal(median([3, 1, 2]), 2, "median");
 * assert.equal(median([4, 1, 2, 3]), 2.5, "median");
 * ```
 */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The mean and sample standard deviation (n − 1; 0 for one value) of `xs`, which must not be
 * empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { meanStd } from "./stats.ts";
 * assert.deepEqual(meanStd([-21, -23]), { mean: -22, std: Math.SQRT2 });
 * assert.deepEqual(meanStd([5]), { mean: 5, std: 0 });
 * ```
 */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: xs.length > 1 ? Math.sqrt(ss / (xs.length - 1)) : 0 };
}
