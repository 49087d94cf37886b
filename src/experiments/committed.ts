/**
 * A run set beside the committed results of its profile: which of its experiments are the
 * committed ones byte for byte, which differ (and in which files), which were run with another
 * configuration (`--config`, `--backend`: not comparable) and which the committed directory lacks.
 * Experiment manifests list every file's SHA-256, so equal manifest digests mean equal files.
 *
 * @module
 */
import { readExperimentManifest, readProfileManifest } from "./artifacts.ts";

/** The outcome of {@linkcode compareWithCommitted}. */
export interface CommittedComparison {
  /** The experiments whose every file equals the committed one. */
  readonly equal: readonly string[];
  /** The experiments of the same configuration whose files differ, with those files' names. */
  readonly differ: readonly { readonly id: string; readonly files: readonly string[] }[];
  /** The experiments run with another configuration than the committed one (not compared). */
  readonly otherConfiguration: readonly string[];
  /** The experiments the committed directory does not hold. */
  readonly absent: readonly string[];
  /** Whether the two profile manifests' root digests are equal (the same experiments, all equal). */
  readonly sameRoot: boolean;
}

/**
 * Compare experiments `ids` of the run directory `run` with the committed directory `committed`
 * (both profile directories with manifests, their files checked by whoever wrote them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareWithCommitted } from "./committed.ts";
 * import { writeExperiment, writeProfileManifest } from "./artifacts.ts";
 * const [committed, run] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
 * try {
 *   for (const dir of [committed, run]) {
 *     await writeExperiment(dir, "a", { "config.json": "{}", "metrics.csv": "x\n1\n" });
 *     await writeProfileManifest(dir, "quick");
 *   }
 *   await writeExperiment(run, "b", { "config.json": "{}" });
 *   await writeProfileManifest(run, "quick");
 *   const c = await compareWithCommitted(committed, run, ["a", "b"]);
 *   assert.equal(c.equal.join(), "a");
 *   assert.equal(c.absent.join(), "b");
 *   assert.ok(!c.sameRoot);
 *   await writeExperiment(run, "a", { "config.json": "{}", "metrics.csv": "x\n2\n" });
 *   await writeProfileManifest(run, "quick");
 *   const d = await compareWithCommitted(committed, run, ["a"]);
 *   assert.equal(d.differ[0]?.files.join(), "metrics.csv", JSON.stringify(d));
 * } finally {
 *   await Deno.remove(committed, { recursive: true });
 *   await Deno.remove(run, { recursive: true });
 * }
 * ```
 */
export async function compareWithCommitted(
  committed: string,
  run: string,
  ids: readonly string[],
): Promise<CommittedComparison> {
  const [reference, own] = [await readProfileManifest(committed), await readProfileManifest(run)];
  const equal: string[] = [], otherConfiguration: string[] = [], absent: string[] = [];
  const differ: { id: string; files: string[] }[] = [];
  for (const id of [...ids].sort()) {
    const digest = reference.experiments[id];
    if (digest === undefined || !Object.hasOwn(reference.experiments, id)) {
      absent.push(id);
      continue;
    }
    if (own.experiments[id] === digest) {
      equal.push(id);
      continue;
    }
    const [a, b] = [
      await readExperimentManifest(committed, id),
      await readExperimentManifest(run, id),
    ];
    if (a.files["config.json"] !== b.files["config.json"]) {
      otherConfiguration.push(id);
      continue;
    }
    const names = [...new Set([...Object.keys(a.files), ...Object.keys(b.files)])].sort();
    differ.push({ id, files: names.filter((n) => a.files[n] !== b.files[n]) });
  }
  return { equal, differ, otherConfiguration, absent, sameRoot: reference.root === own.root };
}

/**
 * What {@linkcode compareWithCommitted} found, as the lines `reproduce` prints.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeComparison } from "./committed.ts";
 * const lines = describeComparison("results/quick", "results/runs/quick", {
 *   equal: ["a", "b"], differ: [], otherConfiguration: [], absent: [], sameRoot: true,
 * });
 * assert.ok(
 *   lines[0].startsWith("reproduced: every byte of results/runs/quick equals the committed results/quick"),
 *   lines[0],
 * );
 * ```
 */
export function describeComparison(
  committed: string,
  run: string,
  c: CommittedComparison,
): string[] {
  if (c.sameRoot && c.differ.length === 0 && c.otherConfiguration.length === 0) {
    return [
      `reproduced: every byte of ${run} equals the committed ${committed} (${c.equal.length} experiment(s))`,
    ];
  }
  const lines: string[] = [];
  const parts = [`${c.equal.length} experiment(s) equal the committed ones byte for byte`];
  if (c.otherConfiguration.length > 0) {
    parts.push(`${c.otherConfiguration.length} ran with another configuration (not compared)`);
  }
  if (c.absent.length > 0) parts.push(`${c.absent.length} are not in ${committed}`);
  lines.push(`compared with the committed ${committed}: ${parts.join("; ")}`);
  for (const { id, files } of c.differ) {
    lines.push(`DIFFERENT: ${id}: ${files.join(", ")} differ from the committed files`);
  }
  if (c.differ.length > 0) {
    lines.push(
      `not reproduced: deno task verify --dir ${committed} names the first differing row`,
    );
  }
  return lines;
}
