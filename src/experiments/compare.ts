/**
 * Comparing two results directories file by file: the first difference, described as a reader
 * wants it (a CSV file's first differing row by its first column, a text file's first differing
 * line, otherwise the first differing byte).
 *
 * @module
 */
import {
  compareCodeUnits,
  isDirectory,
  listDirectory,
  MANIFEST_FILE,
  parseExperimentManifest,
  parseProfileManifest,
  readOptional,
  validateExperimentId,
} from "./artifacts.ts";
import { type CsvRecord, parseCsvRecords } from "../core/csv.ts";

const TEXT_EXTENSIONS = new Set([".json", ".txt", ".md", ".tsv", ".yaml", ".yml", ".log"]);
const MAX_SHOWN_LINE = 200;

/**
 * The first difference found by {@linkcode compareProfiles}.
 *
 * `file` is a path relative to the profile directory: `"<id>/<name>"` for an
 * experiment file, `"<id>/manifest.json"` for an experiment manifest,
 * `"manifest.json"` for the profile manifest, and `"<id>/"` for a whole
 * experiment directory that exists on one side only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Difference } from "./compare.ts";
 *
 * const difference: Difference = { file: "fig2/metrics.csv", reason: "bytes differ" };
 * assert.equal(difference.detail, undefined, "no detail expected");
 * ```
 */
export interface Difference {
  /** Path relative to the profile directory. */
  file: string;
  /** What kind of difference was found. */
  reason: "missing in regenerated" | "missing in committed" | "bytes differ";
  /** Human-readable explanation; may span several lines. */
  detail?: string;
}

async function experimentIds(dir: string, bytes: Uint8Array | null): Promise<string[]> {
  if (bytes !== null) {
    try {
      return Object.keys(parseProfileManifest(bytes).experiments);
    } catch (error) {
      throw new TypeError(`${dir}/${MANIFEST_FILE}: ${(error as Error).message}`);
    }
  }
  if (!(await isDirectory(dir))) return [];
  const ids: string[] = [];
  for (const entry of await listDirectory(dir)) {
    if (entry.isDirectory && !entry.name.startsWith(".")) ids.push(entry.name);
  }
  return ids;
}

async function listedFiles(dir: string, id: string): Promise<string[]> {
  const path = `${dir}/${id}/${MANIFEST_FILE}`;
  const bytes = await readOptional(path);
  if (bytes === null) return [];
  try {
    return Object.keys(parseExperimentManifest(bytes).files);
  } catch (error) {
    throw new TypeError(`${path}: ${(error as Error).message}`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function showLine(line: string | undefined): string {
  if (line === undefined) return "(end of file)";
  return line.length > MAX_SHOWN_LINE ? `${line.slice(0, MAX_SHOWN_LINE)}…` : line;
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function lineDetail(committed: Uint8Array, regenerated: Uint8Array): string | null {
  const a = decode(committed).split("\n");
  const b = decode(regenerated).split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `first differing line: ${i + 1}\ncommitted:   ${showLine(a[i])}\nregenerated: ${
        showLine(b[i])
      }`;
    }
  }
  return null;
}

function byteDetail(committed: Uint8Array, regenerated: Uint8Array): string {
  const sizes = `sizes ${committed.length} and ${regenerated.length} bytes`;
  const common = Math.min(committed.length, regenerated.length);
  for (let i = 0; i < common; i++) {
    if (committed[i] !== regenerated[i]) {
      const byte = (value: number) => `0x${value.toString(16).padStart(2, "0")}`;
      return `first differing byte at offset ${i}: committed ${byte(committed[i])}, regenerated ${
        byte(regenerated[i])
      }; ${sizes}`;
    }
  }
  const shorter = committed.length < regenerated.length ? "committed" : "regenerated";
  return `${shorter} file ends at offset ${common}; ${sizes}`;
}

function sameFields(a: string[] | undefined, b: string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((field, i) => field === b[i]);
}

function csvDetail(committed: Uint8Array, regenerated: Uint8Array): string | null {
  let a: CsvRecord[];
  let b: CsvRecord[];
  try {
    a = parseCsvRecords(decode(committed));
    b = parseCsvRecords(decode(regenerated));
  } catch {
    return null;
  }
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (sameFields(a[i]?.fields, b[i]?.fields)) continue;
    const lines = `committed:   ${showLine(a[i]?.raw)}\nregenerated: ${showLine(b[i]?.raw)}`;
    const line = (a[i] ?? b[i]).line;
    if (i === 0) return `header differs (line ${line})\n${lines}`;
    const column = a[0]?.fields[0] || "row";
    const value = (a[i] ?? b[i]).fields[0];
    return `first differing row: ${column} ${value} (line ${line})\n${lines}`;
  }
  return null;
}

function differenceDetail(name: string, committed: Uint8Array, regenerated: Uint8Array): string {
  const dot = name.lastIndexOf(".");
  const extension = dot < 0 ? "" : name.slice(dot).toLowerCase();
  if (extension === ".csv") {
    return csvDetail(committed, regenerated) ?? lineDetail(committed, regenerated) ??
      byteDetail(committed, regenerated);
  }
  if (TEXT_EXTENSIONS.has(extension)) {
    return lineDetail(committed, regenerated) ?? byteDetail(committed, regenerated);
  }
  return byteDetail(committed, regenerated);
}

async function compareFile(
  file: string,
  committedDir: string,
  regeneratedDir: string,
): Promise<Difference | null> {
  const [committed, regenerated] = await Promise.all([
    readOptional(`${committedDir}/${file}`),
    readOptional(`${regeneratedDir}/${file}`),
  ]);
  if (committed === null && regenerated === null) return null;
  if (regenerated === null) return { file, reason: "missing in regenerated" };
  if (committed === null) return { file, reason: "missing in committed" };
  if (sameBytes(committed, regenerated)) return null;
  const name = file.slice(file.lastIndexOf("/") + 1);
  return { file, reason: "bytes differ", detail: differenceDetail(name, committed, regenerated) };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort(compareCodeUnits);
}

/**
 * Compares two profile directories byte for byte (typically the committed one
 * and a freshly regenerated one) and returns the first difference, or `null`
 * when they are identical.
 *
 * Compared: every file listed in either side's experiment manifests, the
 * experiment manifests themselves and the profile manifest; unlisted files and
 * `timings.json` are ignored (see {@linkcode checkManifests} for those). The
 * experiments are the union of those listed in both profile manifests (or, for
 * a side without a profile manifest, its non-hidden subdirectories).
 *
 * Order, so that the most specific difference is reported first: experiments
 * sorted by id; within an experiment, its listed files sorted by name, then its
 * `manifest.json`; finally the profile `manifest.json`. An experiment directory
 * present on one side only is reported as `"<id>/"`. A file absent on both
 * sides is not a difference.
 *
 * `detail` for `"bytes differ"`: for a `.csv` file, the first differing data
 * row named by its first column (e.g. `first differing row: iteration 17
 * (line 19)`) followed by the two lines; for `.json` and other text files, the
 * first differing line number and both lines; otherwise the first differing
 * byte offset. Lines longer than 200 characters are shortened.
 *
 * @param committedDir The reference profile directory.
 * @param regeneratedDir The profile directory to compare against it.
 * @returns The first difference, or `null` when identical.
 * @throws {TypeError} When a manifest present on either side is not a valid
 *   manifest (run {@linkcode checkManifests} for a diagnosis).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareProfiles } from "./compare.ts";
 * import { writeExperiment, writeProfileManifest } from "./artifacts.ts";
 *
 * const committed = await Deno.makeTempDir();
 * const regenerated = await Deno.makeTempDir();
 * try {
 *   for (const dir of [committed, regenerated]) {
 *     await writeExperiment(dir, "exp1", { "metrics.csv": "iteration,loss\n1,0.5\n" });
 *     await writeProfileManifest(dir, "quick");
 *   }
 *   assert.equal((await compareProfiles(committed, regenerated)), null, "differ");
 *   await writeExperiment(regenerated, "exp1", { "metrics.csv": "iteration,loss\n1,0.25\n" });
 *   const difference = await compareProfiles(committed, regenerated);
 *   assert.equal(difference?.file, "exp1/metrics.csv", JSON.stringify(difference));
 *   assert.ok(
 *     difference.detail?.startsWith("first differing row: iteration 1"),
 *     difference.detail,
 *   );
 * } finally {
 *   await Deno.remove(committed, { recursive: true });
 *   await Deno.remove(regenerated, { recursive: true });
 * }
 * ```
 */
export async function compareProfiles(
  committedDir: string,
  regeneratedDir: string,
): Promise<Difference | null> {
  const [committedRoot, regeneratedRoot] = await Promise.all([
    readOptional(`${committedDir}/${MANIFEST_FILE}`),
    readOptional(`${regeneratedDir}/${MANIFEST_FILE}`),
  ]);
  const ids = union(
    await experimentIds(committedDir, committedRoot),
    await experimentIds(regeneratedDir, regeneratedRoot),
  );
  for (const id of ids) {
    validateExperimentId(id);
    const [inCommitted, inRegenerated] = await Promise.all([
      isDirectory(`${committedDir}/${id}`),
      isDirectory(`${regeneratedDir}/${id}`),
    ]);
    if (!inCommitted && !inRegenerated) continue;
    if (!inRegenerated) {
      return {
        file: `${id}/`,
        reason: "missing in regenerated",
        detail: `experiment ${id} exists in the committed profile only`,
      };
    }
    if (!inCommitted) {
      return {
        file: `${id}/`,
        reason: "missing in committed",
        detail: `experiment ${id} exists in the regenerated profile only`,
      };
    }
    const names = union(
      await listedFiles(committedDir, id),
      await listedFiles(regeneratedDir, id),
    );
    for (const name of [...names, MANIFEST_FILE]) {
      const difference = await compareFile(`${id}/${name}`, committedDir, regeneratedDir);
      if (difference !== null) return difference;
    }
  }
  return await compareFile(MANIFEST_FILE, committedDir, regeneratedDir);
}

/**
 * Formats a {@linkcode Difference} for display: `"<file>: <reason>"`, followed
 * by the detail lines, each indented by two spaces.
 *
 * @param difference The difference to describe.
 * @returns The description, without a trailing newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeDifference } from "./compare.ts";
 *
 * const text = describeDifference({
 *   file: "exp1/evaluation.json",
 *   reason: "bytes differ",
 *   detail: "first differing line: 3\ncommitted:   a\nregenerated: b",
 * });
 * assert.ok(
 *   text.startsWith("exp1/evaluation.json: bytes differ\n  first differing line: 3"),
 *   text,
 * );
 * ```
 */
export function describeDifference(difference: Difference): string {
  const head = `${difference.file}: ${difference.reason}`;
  if (difference.detail === undefined) return head;
  return `${head}\n${difference.detail.split("\n").map((line) => `  ${line}`).join("\n")}`;
}
