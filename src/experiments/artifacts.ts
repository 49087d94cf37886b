/**
 * Hashed result artefacts: writing and checking results directories (comparing two is
 * compare.ts; the CSV format, src/core/csv.ts).
 *
 * Layout of a results directory for one profile (e.g. `results/quick/`):
 *
 * ```text
 * results/quick/
 *   manifest.json      profile manifest (see {@linkcode ProfileManifest})
 *   timings.json       wall-clock times; not hashed, not listed in any manifest
 *   <experiment-id>/
 *     config.json  metrics.csv  evaluation.json  params.bin  ...   (any files)
 *     manifest.json    experiment manifest (see {@linkcode ExperimentManifest})
 * ```
 *
 * Every manifest is written as canonical JSON (see `canonicalJson`), so its
 * bytes, and therefore its SHA-256 digest, depend only on its content.
 *
 * @module
 */

import { z } from "zod";
import { canonicalJson } from "../core/canonical_json.ts";
import { formatIssue } from "../training/config.ts";
import { hex, sha256Hex } from "../core/sha256.ts";
import { isLockFileName } from "./directory_lock.ts";
import { InputError } from "../core/errors.ts";
import { MAX_ARTIFACT_BYTES, readRegularFile, UnsafeFileError } from "../core/safe_fs.ts";

/**
 * Value of the `format` field of every manifest written by this module.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MANIFEST_FORMAT } from "./artifacts.ts";
 *
 * assert.equal(MANIFEST_FORMAT, 2, "unexpected manifest format");
 * ```
 */
export const MANIFEST_FORMAT = 2;

/**
 * Name of the manifest file, both in the profile directory and in every
 * experiment directory. It is reserved: it cannot be used as an artefact file
 * name or as an experiment id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MANIFEST_FILE } from "./artifacts.ts";
 *
 * assert.equal(MANIFEST_FILE, "manifest.json", "unexpected name");
 * ```
 */
export const MANIFEST_FILE = "manifest.json";

/**
 * Name of the wall-clock timings file in the profile directory. It is neither
 * hashed nor listed in any manifest; {@linkcode checkManifests} and
 * `compareProfiles` (compare.ts) ignore it. It cannot be used as an experiment id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TIMINGS_FILE } from "./artifacts.ts";
 *
 * assert.equal(TIMINGS_FILE, "timings.json", "unexpected name");
 * ```
 */
export const TIMINGS_FILE = "timings.json";

/**
 * Contents of one experiment directory: file name to content. String contents
 * are written as their UTF-8 encoding, byte arrays as they are; no newline
 * normalisation takes place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ArtifactFiles } from "./artifacts.ts";
 *
 * const files: ArtifactFiles = {
 *   "config.json": '{\n  "seed": 1\n}\n',
 *   "params.bin": new Uint8Array([1, 2, 3]),
 * };
 * assert.equal(Object.keys(files).length, 2, "unexpected file count");
 * ```
 */
export type ArtifactFiles = Record<string, Uint8Array | string>;

/**
 * An experiment's `manifest.json`: the SHA-256 digest (lowercase hex) of every
 * file of the experiment except the manifest itself, keyed by file name, and,
 * for a training experiment, the final value of its digest chain.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ExperimentManifest } from "./artifacts.ts";
 *
 * const manifest: ExperimentManifest = {
 *   format: 2,
 *   files: { "a.txt": "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb" },
 * };
 * assert.equal(manifest.format, 2, "unexpected format");
 * ```
 */
export interface ExperimentManifest {
  /** Always {@linkcode MANIFEST_FORMAT}. */
  format: 2;
  /** File name to SHA-256 digest (64 lowercase hex digits). */
  files: Record<string, string>;
  /**
   * The training state's digest chain after the last iteration (src/training/checkpoint.ts); absent for
   * experiments that do not train.
   */
  finalStateDigest?: string;
}

/**
 * A profile's `manifest.json`.
 *
 * `experiments` maps every experiment id to the SHA-256 digest of the exact
 * bytes of that experiment's `manifest.json`. `root` is
 * {@linkcode profileRootDigest} of `experiments`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ProfileManifest } from "./artifacts.ts";
 *
 * const manifest: ProfileManifest = {
 *   format: 2,
 *   profile: "quick",
 *   experiments: {},
 *   root: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
 * };
 * assert.equal(manifest.profile, "quick", "unexpected profile");
 * ```
 */
export interface ProfileManifest {
  /** Always {@linkcode MANIFEST_FORMAT}. */
  format: 2;
  /** Profile name, e.g. `"quick"`. */
  profile: string;
  /** Experiment id to SHA-256 digest of that experiment's `manifest.json` bytes. */
  experiments: Record<string, string>;
  /** Root digest over all experiments, see {@linkcode profileRootDigest}. */
  root: string;
}

const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;
const DIGEST_PATTERN = /^[0-9a-f]{64}$/;
const PARTIAL_PREFIX = ".partial-";
const encoder = new TextEncoder();

export { sha256Hex };

/**
 * Checks that `value` is a valid experiment id, profile name or artefact file
 * name: one or more of `A-Z a-z 0-9 . _ -`, not starting with `.`.
 *
 * @param kind What the value names, used in the error message (e.g.
 *   `"experiment id"`).
 * @param value The value to check.
 * @returns `value`, unchanged.
 * @throws {TypeError} A one-line error naming `kind` and the bad value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateName } from "./artifacts.ts";
 *
 * validateName("file name", "metrics.csv");
 * let message = "";
 * try {
 *   validateName("experiment id", "../escape");
 * } catch (error) {
 *   message = (error as Error).message;
 * }
 * assert.ok(message.includes('"../escape"'), message);
 * ```
 */
export function validateName(kind: string, value: string): string {
  if (typeof value !== "string" || !NAME_PATTERN.test(value) || value.startsWith(".")) {
    throw new TypeError(
      `invalid ${kind} ${
        JSON.stringify(String(value))
      }: must match [A-Za-z0-9._-]+ and not start with '.'`,
    );
  }
  return value;
}

/** For the sibling modules of src/experiments (compare.ts). */
export function validateExperimentId(id: string): string {
  validateName("experiment id", id);
  if (id === MANIFEST_FILE || id === TIMINGS_FILE) {
    throw new TypeError(`invalid experiment id ${JSON.stringify(id)}: the name is reserved`);
  }
  return id;
}

function validateFileName(name: string): string {
  validateName("file name", name);
  if (name === MANIFEST_FILE) {
    throw new TypeError(
      `invalid file name ${JSON.stringify(name)}: the name is reserved for the manifest`,
    );
  }
  return name;
}

function validateDigest(kind: string, value: unknown): string {
  if (typeof value !== "string" || !DIGEST_PATTERN.test(value)) {
    throw new TypeError(
      `invalid ${kind} ${JSON.stringify(value)}: must be 64 lowercase hex digits`,
    );
  }
  return value;
}

/** Strings in code unit order (for sibling modules: compare.ts). */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Builds a record with its keys in code unit order. `Object.fromEntries`
 * defines own properties, so every valid name (even `__proto__`) is kept.
 */
function recordOf<T>(entries: [string, T][]): Record<string, T> {
  return Object.fromEntries(entries.sort((a, b) => compareCodeUnits(a[0], b[0])));
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return recordOf(Object.entries(record));
}

function randomSuffix(): string {
  return hex(crypto.getRandomValues(new Uint8Array(8)));
}

/**
 * The root digest of a profile: the SHA-256 of the text made of one line
 * `"<id> <experiment-manifest-sha256>\n"` per experiment, lines sorted by id in
 * UTF-16 code unit order (ids are ASCII, so this is byte order). The digest
 * depends only on the set of (id, digest) pairs, never on the order in which
 * experiments were run or inserted, nor on how many shards produced them. With
 * no experiments it is the SHA-256 of the empty string.
 *
 * @param experiments Experiment id to SHA-256 of its `manifest.json` bytes.
 * @returns The root digest in lowercase hex.
 * @throws {TypeError} When an id or a digest is invalid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { profileRootDigest, sha256Hex } from "./artifacts.ts";
 *
 * const a = "a".repeat(64);
 * const b = "b".repeat(64);
 * const root = await profileRootDigest({ y: b, x: a });
 * assert.equal(root, await sha256Hex(`x ${a}\ny ${b}\n`), "unexpected root");
 * assert.equal(root, await profileRootDigest({ x: a, y: b }), "order leaked");
 * ```
 */
export async function profileRootDigest(experiments: Record<string, string>): Promise<string> {
  let text = "";
  for (const id of Object.keys(experiments).sort(compareCodeUnits)) {
    validateExperimentId(id);
    text += `${id} ${validateDigest(`digest of experiment ${id}`, experiments[id])}\n`;
  }
  return await sha256Hex(text);
}

function toBytes(content: unknown, name: string): Uint8Array {
  if (typeof content === "string") return encoder.encode(content);
  if (content instanceof Uint8Array) return content;
  const type = content === null
    ? "null"
    : typeof content === "object"
    ? Object.getPrototypeOf(content)?.constructor?.name ?? "object"
    : typeof content;
  throw new TypeError(
    `content of file ${JSON.stringify(name)} must be a string or Uint8Array, got ${type}`,
  );
}

function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound;
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/**
 * A file of a results directory: null when absent; a symbolic link, a device or pipe, or a file
 * over {@linkcode MAX_ARTIFACT_BYTES} raises {@linkcode UnsafeFileError}.
 */
/** For the sibling modules of src/experiments (compare.ts). */
export async function readOptional(path: string): Promise<Uint8Array | null> {
  return await readRegularFile(path, MAX_ARTIFACT_BYTES);
}

/** Whether `path` is a directory itself (a symbolic link to one is not). */
/** For the sibling modules of src/experiments (compare.ts). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    const info = await Deno.lstat(path);
    return info.isDirectory && !info.isSymlink;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** A problem line for an entry that a results directory may not hold, or null. */
function entryProblem(path: string, entry: Deno.DirEntry): string | null {
  if (entry.isSymlink) return `${path}: a symbolic link (results hold only files and directories)`;
  if (!entry.isFile && !entry.isDirectory) return `${path}: not a regular file or directory`;
  return null;
}

/** For the sibling modules of src/experiments (compare.ts). */
export async function listDirectory(path: string): Promise<Deno.DirEntry[]> {
  const entries: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(path)) entries.push(entry);
  return entries.sort((a, b) => compareCodeUnits(a.name, b.name));
}

/**
 * Writes one experiment directory `<root>/<id>` atomically and returns the
 * SHA-256 of its `manifest.json` bytes.
 *
 * The id and every file name are validated before anything is touched. The
 * files (in name order) and then `manifest.json` are written into a fresh
 * `<root>/.partial-<id>-<random>` directory, which is then renamed to
 * `<root>/<id>` in one step. An existing `<root>/<id>` is replaced only once
 * the new directory is complete: it is renamed aside to
 * `<root>/.partial-old-<id>-<random>`, the new directory is renamed in, and the
 * old one is removed. On any error before the new directory is in place, the
 * partial directory is removed and `<root>/<id>` is left as it was before the
 * call (absent, or the previous complete experiment). Only if removing the old
 * directory fails after the swap is the error passed on with the new
 * experiment complete at `<root>/<id>` and the old one left at its
 * `.partial-old-*` path. `root` is created if needed. Every file and both
 * directories are flushed to disk around the rename, so a finished experiment
 * survives a power loss.
 *
 * @param root The profile directory, e.g. `results/quick`.
 * @param id The experiment id (`[A-Za-z0-9._-]+`, not starting with `.`).
 * @param files File name to content; `manifest.json` is reserved.
 * @param finalStateDigest The digest chain's final value, recorded in the
 *   manifest (training experiments).
 * @returns The SHA-256 (lowercase hex) of the written `manifest.json`.
 * @throws {TypeError} For an invalid id, file name or content; file system
 *   errors are passed on after cleaning up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex, writeExperiment } from "./artifacts.ts";
 *
 * const root = await Deno.makeTempDir();
 * try {
 *   const digest = await writeExperiment(root, "exp1", { "a.txt": "a" });
 *   const manifest = await Deno.readTextFile(`${root}/exp1/manifest.json`);
 *   assert.equal(digest, await sha256Hex(manifest), "digest mismatch");
 *   assert.ok(manifest.includes(await sha256Hex("a")), "file digest missing");
 * } finally {
 *   await Deno.remove(root, { recursive: true });
 * }
 * ```
 */
export async function writeExperiment(
  root: string,
  id: string,
  files: ArtifactFiles,
  finalStateDigest?: string,
): Promise<string> {
  validateExperimentId(id);
  if (finalStateDigest !== undefined) validateDigest("final state digest", finalStateDigest);
  const names = Object.keys(files).sort(compareCodeUnits);
  for (const name of names) validateFileName(name);
  await Deno.mkdir(root, { recursive: true });
  const partial = `${root}/${PARTIAL_PREFIX}${id}-${randomSuffix()}`;
  await Deno.mkdir(partial);
  try {
    const digests: [string, string][] = [];
    for (const name of names) {
      const bytes = toBytes(files[name], name);
      await writeFileSynced(`${partial}/${name}`, bytes);
      digests.push([name, await sha256Hex(bytes)]);
    }
    const manifest: ExperimentManifest = {
      format: MANIFEST_FORMAT,
      files: recordOf(digests),
      finalStateDigest,
    };
    const manifestBytes = encoder.encode(canonicalJson(manifest));
    await writeFileSynced(`${partial}/${MANIFEST_FILE}`, manifestBytes);
    await syncDirectory(partial);
    const manifestDigest = await sha256Hex(manifestBytes);
    await moveIntoPlace(
      partial,
      `${root}/${id}`,
      `${root}/${PARTIAL_PREFIX}old-${id}-${randomSuffix()}`,
    );
    await syncDirectory(root);
    return manifestDigest;
  } catch (error) {
    await removeIfPresent(partial);
    throw error;
  }
}

async function moveIntoPlace(partial: string, target: string, aside: string): Promise<void> {
  let setAside = false;
  try {
    await Deno.rename(target, aside);
    setAside = true;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    await Deno.rename(partial, target);
  } catch (error) {
    if (setAside) await Deno.rename(aside, target);
    throw error;
  }
  if (setAside) await Deno.remove(aside, { recursive: true });
}

/**
 * Writes `<directory>/<name>` atomically and durably: the bytes go to a
 * temporary `.partial-<name>-<random>` file in the same directory, which is
 * flushed to disk and then renamed over the target, and the directory is
 * flushed too. A crash at any moment leaves either the previous file or the
 * new one, never a mixture (at most a stray `.partial-*` file).
 *
 * @param directory An existing directory.
 * @param name The file name.
 * @param bytes The new content.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomically } from "./artifacts.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeFileAtomically(dir, "a.txt", new TextEncoder().encode("one"));
 *   await writeFileAtomically(dir, "a.txt", new TextEncoder().encode("two"));
 *   assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "two", "not replaced");
 *   assert.equal((await Array.fromAsync(Deno.readDir(dir))).length, 1, "leftovers");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function writeFileAtomically(
  directory: string,
  name: string,
  bytes: Uint8Array,
): Promise<void> {
  const temporary = `${directory}/${PARTIAL_PREFIX}${name}-${randomSuffix()}`;
  try {
    await writeFileSynced(temporary, bytes);
    await Deno.rename(temporary, `${directory}/${name}`);
  } catch (error) {
    await removeIfPresent(temporary);
    // A full disk or a failing device: say which file could not be written (nothing half-written
    // is left: the target is the previous file or absent).
    if (error instanceof Error && !(error instanceof Deno.errors.NotCapable)) {
      error.message = `${directory}/${name}: could not be written: ${error.message}`;
    }
    throw error;
  }
  await syncDirectory(directory);
}

/** Write a new file and flush its data to disk. */
async function writeFileSynced(path: string, bytes: Uint8Array): Promise<void> {
  using file = await Deno.open(path, { write: true, createNew: true });
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
  await file.syncData();
}

/** Flush a directory's entries (renames, new files) to disk. */
async function syncDirectory(path: string): Promise<void> {
  using dir = await Deno.open(path, { read: true });
  await dir.sync();
}

async function scanExperimentDigests(root: string): Promise<Record<string, string>> {
  const experiments: [string, string][] = [];
  for (const entry of await listDirectory(root)) {
    if (!entry.isDirectory || entry.name.startsWith(".")) continue;
    const bytes = await readOptional(`${root}/${entry.name}/${MANIFEST_FILE}`);
    if (bytes === null) continue;
    experiments.push([validateExperimentId(entry.name), await sha256Hex(bytes)]);
  }
  return recordOf(experiments);
}

/**
 * Writes the profile manifest `<root>/manifest.json` atomically (a temporary
 * file in `root`, then a rename) and returns its content.
 *
 * With `experiments` given, exactly those (id, manifest digest) pairs are
 * recorded. Without it, the map is recomputed from the experiment directories
 * present in `root`: every directory whose name does not start with `.` and
 * that contains a `manifest.json` is hashed.
 *
 * @param root The profile directory; created if needed.
 * @param profile The profile name, e.g. `"quick"`.
 * @param experiments Experiment id to SHA-256 of its `manifest.json` bytes, as
 *   returned by {@linkcode writeExperiment}. Omit to scan `root`.
 * @returns The manifest written; `root` is its root digest.
 * @throws {TypeError} For an invalid profile name, id or digest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { profileRootDigest, writeExperiment, writeProfileManifest } from "./artifacts.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const digest = await writeExperiment(dir, "exp1", { "a.txt": "a" });
 *   const scanned = await writeProfileManifest(dir, "quick");
 *   const given = await writeProfileManifest(dir, "quick", { exp1: digest });
 *   assert.equal(scanned.root, given.root, "scan and map disagree");
 *   assert.equal(given.root, await profileRootDigest({ exp1: digest }), "bad root");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function writeProfileManifest(
  root: string,
  profile: string,
  experiments?: Record<string, string>,
): Promise<ProfileManifest> {
  validateName("profile name", profile);
  const map = sortedRecord(experiments ?? await scanExperimentDigests(root));
  const manifest: ProfileManifest = {
    format: MANIFEST_FORMAT,
    profile,
    experiments: map,
    root: await profileRootDigest(map),
  };
  await Deno.mkdir(root, { recursive: true });
  await writeFileAtomically(root, MANIFEST_FILE, encoder.encode(canonicalJson(manifest)));
  return manifest;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An object parsed from JSON, its entries still to be checked one by one. */
const jsonObject = z.custom<Record<string, unknown>>(isPlainRecord, { message: "not an object" });

/**
 * The shape of an experiment manifest (zod): the keys and the format; file names and digests are
 * checked entry by entry afterwards, on the parsed object itself (so that no name, not even
 * `__proto__`, is lost or reinterpreted).
 */
const ExperimentManifestShape = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  files: jsonObject,
  finalStateDigest: z.unknown().optional(),
});

/** The shape of a profile manifest (zod); experiment ids and digests are checked afterwards. */
const ProfileManifestShape = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  profile: z.string(),
  experiments: jsonObject,
  root: z.string(),
});

/** `value` checked against `shape`; a `TypeError` with the first problem, naming its field. */
function parseShape<T>(shape: z.ZodType<T>, value: unknown): T {
  if (!isPlainRecord(value)) throw new TypeError("not a JSON object");
  const parsed = shape.safeParse(value);
  if (!parsed.success) throw new TypeError(formatIssue("", parsed.error));
  return parsed.data;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new TypeError(`not valid JSON (${(error as Error).message})`);
  }
}

/** For the sibling modules of src/experiments (compare.ts). */
export function parseExperimentManifest(bytes: Uint8Array): ExperimentManifest {
  const value = parseShape(ExperimentManifestShape, parseJson(bytes));
  const files: [string, string][] = Object.entries(value.files).map(([name, digest]) => [
    validateFileName(name),
    validateDigest(`digest of ${name}`, digest),
  ]);
  const manifest: ExperimentManifest = { format: MANIFEST_FORMAT, files: recordOf(files) };
  if (value.finalStateDigest !== undefined) {
    manifest.finalStateDigest = validateDigest("final state digest", value.finalStateDigest);
  }
  return manifest;
}

/** For the sibling modules of src/experiments (compare.ts). */
export function parseProfileManifest(bytes: Uint8Array): ProfileManifest {
  const value = parseShape(ProfileManifestShape, parseJson(bytes));
  validateName("profile name", value.profile);
  const experiments: [string, string][] = Object.entries(value.experiments).map((
    [id, digest],
  ) => [validateExperimentId(id), validateDigest(`digest of experiment ${id}`, digest)]);
  return {
    format: MANIFEST_FORMAT,
    profile: value.profile,
    experiments: recordOf(experiments),
    root: validateDigest("root digest", value.root),
  };
}

async function readManifest<T>(
  path: string,
  parse: (bytes: Uint8Array) => T,
): Promise<T> {
  const bytes = await Deno.readFile(path);
  try {
    return parse(bytes);
  } catch (error) {
    throw new TypeError(`${path}: ${(error as Error).message}`);
  }
}

/**
 * Reads and validates `<root>/manifest.json`. Only the shape is checked (use
 * {@linkcode checkManifests} to verify digests).
 *
 * @param root The profile directory.
 * @returns The parsed manifest, with `experiments` sorted by id.
 * @throws {Deno.errors.NotFound} When the manifest is absent.
 * @throws {TypeError} When it is not a valid profile manifest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readProfileManifest, writeProfileManifest } from "./artifacts.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const written = await writeProfileManifest(dir, "quick", {});
 *   const read = await readProfileManifest(dir);
 *   assert.equal(read.root, written.root, "mismatch");
 *   assert.equal(read.profile, "quick", "mismatch");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function readProfileManifest(root: string): Promise<ProfileManifest> {
  return await readManifest(`${root}/${MANIFEST_FILE}`, parseProfileManifest);
}

/**
 * Reads and validates `<root>/<id>/manifest.json`. Only the shape is checked
 * (use {@linkcode checkManifests} to verify digests).
 *
 * @param root The profile directory.
 * @param id The experiment id.
 * @returns The parsed manifest, with `files` sorted by name.
 * @throws {Deno.errors.NotFound} When the manifest is absent.
 * @throws {TypeError} When the id is invalid or the file is not a valid
 *   experiment manifest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readExperimentManifest, sha256Hex, writeExperiment } from "./artifacts.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeExperiment(dir, "exp1", { "b.txt": "b", "a.txt": "a" });
 *   const manifest = await readExperimentManifest(dir, "exp1");
 *   assert.equal(Object.keys(manifest.files).join(), "a.txt,b.txt", "bad names");
 *   assert.equal(manifest.files["a.txt"], await sha256Hex("a"), "bad digest");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function readExperimentManifest(
  root: string,
  id: string,
): Promise<ExperimentManifest> {
  validateExperimentId(id);
  return await readManifest(`${root}/${id}/${MANIFEST_FILE}`, parseExperimentManifest);
}

async function checkCanonical(
  bytes: Uint8Array,
  manifest: unknown,
  label: string,
  problems: string[],
): Promise<void> {
  if ((await sha256Hex(canonicalJson(manifest))) !== (await sha256Hex(bytes))) {
    problems.push(`${label}: not in canonical form`);
  }
}

async function checkExperiment(
  root: string,
  id: string,
  expectedDigest: string | null,
  problems: string[],
): Promise<void> {
  const dir = `${root}/${id}`;
  if (!(await isDirectory(dir))) {
    const link = await Deno.lstat(dir).then((i) => i.isSymlink, () => false);
    problems.push(link ? `${id}/: a symbolic link, not a directory` : `${id}/: missing`);
    return;
  }
  const label = `${id}/${MANIFEST_FILE}`;
  const read = async (name: string): Promise<Uint8Array | null> => {
    try {
      return await readOptional(`${dir}/${name}`);
    } catch (error) {
      if (!(error instanceof UnsafeFileError)) throw error;
      problems.push(`${id}/${error.message.slice(dir.length + 1)}`);
      return null;
    }
  };
  const entries = await listDirectory(dir);
  const unsafe = new Set<string>();
  for (const entry of entries) {
    const problem = entryProblem(`${id}/${entry.name}`, entry);
    if (problem !== null) (problems.push(problem), unsafe.add(entry.name));
  }
  if (unsafe.has(MANIFEST_FILE)) return;
  const bytes = await read(MANIFEST_FILE);
  if (bytes === null) {
    if (!problems.some((p) => p.startsWith(`${label}:`))) problems.push(`${label}: missing`);
    return;
  }
  const actualDigest = await sha256Hex(bytes);
  if (expectedDigest !== null && actualDigest !== expectedDigest) {
    problems.push(
      `${label}: digest ${actualDigest} does not match ${expectedDigest} listed in ${MANIFEST_FILE}`,
    );
  }
  let manifest: ExperimentManifest;
  try {
    manifest = parseExperimentManifest(bytes);
  } catch (error) {
    problems.push(`${label}: ${(error as Error).message}`);
    return;
  }
  await checkCanonical(bytes, manifest, label, problems);
  for (const [name, digest] of Object.entries(manifest.files)) {
    if (unsafe.has(name)) continue;
    const content = await read(name);
    if (content === null) {
      if (!problems.some((p) => p.startsWith(`${id}/${name}:`))) {
        problems.push(`${id}/${name}: missing`);
      }
      continue;
    }
    const actual = await sha256Hex(content);
    if (actual !== digest) {
      problems.push(`${id}/${name}: digest ${actual} does not match ${digest} listed in ${label}`);
    }
  }
  for (const entry of entries) {
    if (entry.name === MANIFEST_FILE || Object.hasOwn(manifest.files, entry.name)) continue;
    if (unsafe.has(entry.name)) continue;
    const shown = entry.isDirectory ? `${entry.name}/` : entry.name;
    problems.push(`${id}/${shown}: not listed in ${label}`);
  }
}

/**
 * Checks one experiment directory `<root>/<id>` against its own manifest and
 * returns the problems found, one line each (empty when it is complete): the
 * manifest exists and is valid canonical JSON, every file it lists exists, is a
 * regular file and hashes to its digest, and nothing else is present.
 *
 * @param root The profile directory.
 * @param id The experiment id.
 * @returns The list of problems; empty when the experiment checks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkExperimentDirectory, writeExperiment } from "./artifacts.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeExperiment(dir, "exp1", { "a.txt": "a" });
 *   assert.equal((await checkExperimentDirectory(dir, "exp1")).length, 0, "problems");
 *   await Deno.writeTextFile(`${dir}/exp1/extra.txt`, "?");
 *   const problems = await checkExperimentDirectory(dir, "exp1");
 *   assert.ok(problems[0]?.startsWith("exp1/extra.txt: not listed"), problems.join());
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function checkExperimentDirectory(root: string, id: string): Promise<string[]> {
  validateExperimentId(id);
  const problems: string[] = [];
  await checkExperiment(root, id, null, problems);
  return problems;
}

/**
 * Checks a profile directory against its manifests and returns the problems
 * found, each as one line `"<path>: <problem>"` (paths relative to `root`), in
 * a deterministic order. An empty list means the directory is consistent.
 *
 * Checked: the profile manifest exists, is valid canonical JSON and its root
 * digest matches its experiments; every listed experiment directory exists,
 * its `manifest.json` hashes to the listed digest and is valid canonical JSON;
 * every file listed there exists and hashes to its digest; no file or
 * directory is present that no manifest lists, except `timings.json` and the
 * lock files `.lock` and `.lock-<id>` (src/experiments/directory_lock.ts) in the profile directory. Leftover `.partial-*` entries count as unlisted. Every
 * entry is a regular file or a directory: a symbolic link, a device or a pipe
 * is a problem and is never read, and so is a file over 64 MiB. When the
 * profile manifest is missing or invalid, the experiment directories present
 * are still checked on their own.
 *
 * @param root The profile directory, e.g. `results/quick`.
 * @returns The list of problems; empty when everything matches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkManifests, writeExperiment, writeProfileManifest } from "./artifacts.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeExperiment(dir, "exp1", { "a.txt": "a" });
 *   await writeProfileManifest(dir, "quick");
 *   assert.equal((await checkManifests(dir)).length, 0, "expected no problems");
 *   await Deno.writeTextFile(`${dir}/exp1/a.txt`, "b");
 *   const problems = await checkManifests(dir);
 *   assert.ok(problems.some((p) => p.startsWith("exp1/a.txt: digest")), "undetected");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function checkManifests(root: string): Promise<string[]> {
  const problems: string[] = [];
  const top = await listDirectory(root);
  const unsafe = new Set<string>();
  for (const entry of top) {
    const problem = entryProblem(entry.name, entry);
    if (problem !== null) (problems.push(problem), unsafe.add(entry.name));
  }
  let bytes: Uint8Array | null = null;
  if (!unsafe.has(MANIFEST_FILE)) {
    try {
      bytes = await readOptional(`${root}/${MANIFEST_FILE}`);
    } catch (error) {
      if (!(error instanceof UnsafeFileError)) throw error;
      problems.push(error.message.slice(root.length + 1));
    }
  }
  let experiments: Record<string, string | null>;
  let manifest: ProfileManifest | null = null;
  if (bytes === null) {
    if (!unsafe.has(MANIFEST_FILE)) problems.push(`${MANIFEST_FILE}: missing`);
  } else {
    try {
      manifest = parseProfileManifest(bytes);
    } catch (error) {
      problems.push(`${MANIFEST_FILE}: ${(error as Error).message}`);
    }
  }
  if (bytes !== null && manifest !== null) {
    await checkCanonical(bytes, manifest, MANIFEST_FILE, problems);
    const expectedRoot = await profileRootDigest(manifest.experiments);
    if (manifest.root !== expectedRoot) {
      problems.push(
        `${MANIFEST_FILE}: root digest ${manifest.root} does not match ${expectedRoot} computed from its experiments`,
      );
    }
    experiments = manifest.experiments;
  } else {
    const present: [string, null][] = [];
    for (const entry of top) {
      if (entry.isDirectory && !entry.name.startsWith(".")) present.push([entry.name, null]);
    }
    experiments = recordOf(present);
  }
  for (const entry of top) {
    const name = entry.name;
    if (
      name === MANIFEST_FILE || Object.hasOwn(experiments, name) ||
      ((isLockFileName(name) || name === TIMINGS_FILE) && entry.isFile) ||
      unsafe.has(name)
    ) {
      continue;
    }
    if (name.startsWith(".run-") && entry.isDirectory) {
      problems.push(
        `${name}/: an unfinished run's checkpoints (a reproduce is running into this directory, or was interrupted: let it finish or rerun it, then verify)`,
      );
      continue;
    }
    problems.push(`${entry.isDirectory ? `${name}/` : name}: not listed in ${MANIFEST_FILE}`);
  }
  for (const id of Object.keys(experiments).sort(compareCodeUnits)) {
    try {
      validateExperimentId(id);
    } catch (error) {
      problems.push(`${id}/: ${(error as Error).message}`);
      continue;
    }
    if (unsafe.has(id)) continue;
    await checkExperiment(root, id, experiments[id], problems);
  }
  return problems;
}

/**
 * The profile that `<dir>/manifest.json` names, or null when there is no readable profile
 * manifest (read only as a regular file of bounded size; never throws for its content).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { profileLabel, writeProfileManifest } from "./artifacts.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   assert.equal(await profileLabel(dir), null, "no manifest yet");
 *   await writeProfileManifest(dir, "paper", {});
 *   assert.equal(await profileLabel(dir), "paper", "label");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function profileLabel(dir: string): Promise<string | null> {
  const own = await readOptional(`${dir}/${MANIFEST_FILE}`).catch(() => null);
  if (own === null) return null;
  try {
    return parseProfileManifest(own).profile;
  } catch {
    return null;
  }
}

/**
 * Checks, before anything is written, that `dir` may receive the results of profile `profile`:
 * it is not a directory of another profile (its profile manifest names another one) and not a
 * directory of profile directories (such as `results/` itself). Throws an {@linkcode InputError}
 * naming `option` otherwise. A directory that does not exist yet is fine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkOutputLabel, writeProfileManifest } from "./artifacts.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeProfileManifest(`${dir}/quick`, "quick", {});
 *   await checkOutputLabel("out", `${dir}/quick`, "quick");
 *   let message = "";
 *   try { await checkOutputLabel("out", `${dir}/quick`, "paper"); } catch (e) { message = (e as Error).message; }
 *   assert.ok(message.includes("holds the quick profile's results"), message);
 *   try { await checkOutputLabel("out", dir, "quick"); } catch (e) { message = (e as Error).message; }
 *   assert.ok(message.includes("holds profile directories (quick)"), message);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function checkOutputLabel(
  option: string,
  dir: string,
  profile: string,
): Promise<void> {
  if (!(await isDirectory(dir))) return;
  {
    const label = await profileLabel(dir);
    if (label !== null && label !== profile) {
      throw new InputError(
        `${option}: "${dir}" holds the ${label} profile's results; write the ${profile} profile's elsewhere`,
      );
    }
  }
  const profiles: string[] = [];
  for (const entry of await listDirectory(dir)) {
    if (!entry.isDirectory || entry.name.startsWith(".")) continue;
    const bytes = await readOptional(`${dir}/${entry.name}/${MANIFEST_FILE}`).catch(() => null);
    if (bytes === null) continue;
    try {
      parseProfileManifest(bytes);
      profiles.push(entry.name);
    } catch {
      // An experiment manifest, or no manifest of ours.
    }
  }
  if (profiles.length > 0) {
    throw new InputError(
      `${option}: "${dir}" holds profile directories (${
        profiles.join(", ")
      }); name one profile's directory, such as ${dir}/NAME`,
    );
  }
}
