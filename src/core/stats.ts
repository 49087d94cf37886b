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

/**
 * A mean ± standard deviation as the summary tables print it: three decimals, a true minus sign,
 * and with `signed` (a difference: an effect, a gain) a plus sign on a positive mean.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatMeanStd } from "./stats.ts";
 * assert.equal(formatMeanStd({ mean: -17.7674, std: 0.1059 }), "−17.767 ± 0.106");
 * assert.equal(formatMeanStd({ mean: 1.5, std: 0.7071 }, { signed: true }), "+1.500 ± 0.707");
 * ```
 */
export function formatMeanStd(
  v: { readonly mean: number; readonly std: number },
  options: { readonly signed?: boolean } = {},
): string {
  const mean = options.signed ? formatSigned(v.mean) : v.mean.toFixed(3).replace("-", "−");
  return `${mean} ± ${v.std.toFixed(3)}`;
}

/**
 * A difference with its sign always written, three decimals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSigned } from "./stats.ts";
 * assert.equal(formatSigned(0.17), "+0.170");
 * assert.equal(formatSigned(-5.4821), "−5.482");
 * ```
 */
export function formatSigned(x: number): string {
  return `${x < 0 ? "−" : "+"}${Math.abs(x).toFixed(3)}`;
}
