/**
 * Deterministic JSON serialisation for hashed artefacts.
 *
 * The same value always produces the same text, independent of the order in
 * which object keys were inserted, so the text can be hashed and compared byte
 * for byte.
 *
 * @module
 */

/**
 * Serialises `value` as canonical JSON text.
 *
 * Rules:
 * - object keys are sorted by UTF-16 code unit order (the default order of
 *   `Array.prototype.sort` on strings), so insertion order never matters;
 * - two-space indentation, one member or element per line, exactly the layout
 *   of `JSON.stringify(value, null, 2)` for already-sorted input, followed by a
 *   single trailing `"\n"`;
 * - numbers are written in JavaScript's shortest round-trip form (the form
 *   `JSON.stringify` uses; `-0` is written as `0`);
 * - `NaN`, `Infinity` and `-Infinity` are rejected with an error naming the
 *   JSON path of the offending value, e.g. `$.metrics[3].loss`;
 * - object members whose value is `undefined` are omitted;
 * - typed arrays (`Float32Array`, `Float64Array`, the integer arrays) are
 *   written as plain arrays of numbers; `Float32Array` elements are written as
 *   the shortest form of their exact double value;
 * - only plain objects (prototype `Object.prototype` or `null`), arrays, typed
 *   arrays, strings, finite numbers, booleans and `null` are accepted. Anything
 *   else (`undefined` outside an object member, bigints, functions, symbols,
 *   `Date`, `Map`, class instances, circular references) is rejected with an
 *   error naming its path. `toJSON` methods are not consulted.
 *
 * @param value The value to serialise.
 * @returns The canonical JSON text, ending in `"\n"`.
 * @throws {TypeError} When the value (or a nested value) cannot be represented.
 *
 * @example Sorted keys and a trailing newline
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalJson } from "./canonical_json.ts";
 *
 * const text = canonicalJson({ b: 1, a: [0.1, new Float64Array([2.5])], skip: undefined });
 * assert.equal(
 *   text,
 *   '{\n  "a": [\n    0.1,\n    [\n      2.5\n    ]\n  ],\n  "b": 1\n}\n',
 *   "unexpected canonical text",
 * );
 * assert.equal(
 *   canonicalJson({ a: 1, b: 2 }),
 *   canonicalJson({ b: 2, a: 1 }),
 *   "key order leaked into the text",
 * );
 * ```
 *
 * @example Non-finite numbers are rejected with their path
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalJson } from "./canonical_json.ts";
 *
 * let message = "";
 * try {
 *   canonicalJson({ metrics: [{ loss: 1 }, { loss: NaN }] });
 * } catch (error) {
 *   message = (error as Error).message;
 * }
 * assert.ok(message.includes("$.metrics[1].loss"), message);
 * ```
 */
export function canonicalJson(value: unknown): string {
  return writeValue(value, "$", "", new Set<object>()) + "\n";
}

const INDENT = "  ";
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function memberPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describeType(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value !== "object" || value === null) return typeof value;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return typeof name === "string" && name !== "" ? name : "object";
}

function writeNumber(value: number, path: string): string {
  if (!Number.isFinite(value)) {
    throw new TypeError(`canonicalJson: non-finite number ${value} at ${path}`);
  }
  return JSON.stringify(value);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function writeValue(value: unknown, path: string, indent: string, stack: Set<object>): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return writeNumber(value, path);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    default:
      throw new TypeError(
        `canonicalJson: unsupported value of type ${describeType(value)} at ${path}`,
      );
  }
  if (value === null) return "null";
  if (stack.has(value)) {
    throw new TypeError(`canonicalJson: circular reference at ${path}`);
  }
  const inner = indent + INDENT;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    stack.add(value);
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) {
      parts.push(inner + writeValue(value[i], `${path}[${i}]`, inner, stack));
    }
    stack.delete(value);
    return `[\n${parts.join(",\n")}\n${indent}]`;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const elements = value as unknown as ArrayLike<unknown>;
    if (elements.length === 0) return "[]";
    const parts: string[] = [];
    for (let i = 0; i < elements.length; i++) {
      const element = elements[i];
      const elementPath = `${path}[${i}]`;
      if (typeof element !== "number") {
        throw new TypeError(
          `canonicalJson: unsupported value of type ${describeType(element)} at ${elementPath}`,
        );
      }
      parts.push(inner + writeNumber(element, elementPath));
    }
    return `[\n${parts.join(",\n")}\n${indent}]`;
  }
  if (!isPlainObject(value)) {
    throw new TypeError(
      `canonicalJson: unsupported value of type ${describeType(value)} at ${path}`,
    );
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort(compareCodeUnits);
  stack.add(value);
  const parts: string[] = [];
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    parts.push(
      `${inner}${JSON.stringify(key)}: ${writeValue(member, memberPath(path, key), inner, stack)}`,
    );
  }
  stack.delete(value);
  if (parts.length === 0) return "{}";
  return `{\n${parts.join(",\n")}\n${indent}}`;
}
