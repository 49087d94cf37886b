/**
 * Choosing experiments of a grid by id: the `--only` pattern that `reproduce`, `merge` and
 * `verify --spot` share.
 *
 * @module
 */
import { InputError } from "../core/errors.ts";
import type { ExperimentConfig } from "../training/config.ts";

/**
 * Filter configurations by `--only`: a pattern with `*` wildcards matched against the whole id,
 * or, without `*`, a substring of the id; `undefined` keeps them all. A malformed pattern, or one
 * that matches nothing, is an {@linkcode InputError} naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectExperiments } from "./select.ts";
 * import { expandProfile, PROFILES } from "../training/profiles.ts";
 * const configs = expandProfile(PROFILES.compare, { seeds: 2 });
 * const maml = selectExperiments(configs, "nav2d-maml-*");
 * assert.ok(maml.length > 0 && maml.every((c) => c.algorithm === "maml"));
 * assert.throws(() => selectExperiments(configs, "no-such-run"), /^InputError: only: /);
 * ```
 */
export function selectExperiments(
  configs: readonly ExperimentConfig[],
  only: string | undefined,
): ExperimentConfig[] {
  if (only === undefined) return [...configs];
  if (!/^[A-Za-z0-9._*-]{1,200}$/.test(only)) {
    throw new InputError(
      `only: a pattern of 1 to 200 letters, digits, '.', '_', '-' and '*' wildcards, got ${
        JSON.stringify(only.slice(0, 60)).replace(/[\u007f-\u009f]/g, "?")
      }${only.length > 60 ? "…" : ""}`,
    );
  }
  const selected = configs.filter((c) =>
    only.includes("*") ? wildcardMatch(only, c.id) : c.id.includes(only)
  );
  if (selected.length === 0) {
    throw new InputError(
      `only: "${only}" matches no experiment id (ids look like ${configs[0]?.id ?? "?"})`,
    );
  }
  return selected;
}

/**
 * Whether `text` matches `pattern`, in which each `*` stands for any run of characters (possibly
 * empty) and everything else for itself. The parts between stars are found left to right, each at
 * its earliest place after the previous one (which is enough: a later place never helps the parts
 * after it), so the time is linear in the lengths of both — no backtracking, whatever the pattern.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wildcardMatch } from "./select.ts";
 * assert.ok(wildcardMatch("nav2d-*-so-*", "nav2d-sgmrl-so-z1-s0"), "match");
 * assert.ok(!wildcardMatch("*-fo-*", "nav2d-sgmrl-so-z1-s0"), "no match");
 * assert.ok(!wildcardMatch("*".repeat(50) + "x", "a".repeat(10_000)), "fast, and false");
 * ```
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  const parts = pattern.split("*");
  const first = parts[0], last = parts[parts.length - 1];
  if (parts.length === 1) return pattern === text;
  if (!text.startsWith(first) || text.length < first.length + last.length) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (const part of parts.slice(1, -1)) {
    if (part === "") continue;
    const found = text.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return text.endsWith(last);
}
