/**
 * Deterministic CSV: the metrics, evaluations and validations files are written and read with
 * these, so their bytes depend only on their values.
 *
 * @module
 */
function formatCsvField(value: number | string, where: string): string {
  if (typeof value === "number") return String(value);
  if (typeof value !== "string") {
    throw new TypeError(`csvFormat: ${where} is ${typeof value}, expected number or string`);
  }
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function formatCsvRecord(fields: (number | string)[], where: string): string {
  if (fields.length === 1 && fields[0] === "") return '""';
  return fields.map((field, i) => formatCsvField(field, `${where} field ${i}`)).join(",");
}

/**
 * Formats a table as CSV deterministically: fields separated by `,`, records
 * terminated by `"\n"` (including the last one). Numbers are written in
 * JavaScript's shortest round-trip form (`String(n)`, so `-0` becomes `0`);
 * non-finite numbers as `NaN`, `Infinity` and `-Infinity`. Strings containing
 * a comma, a double quote, CR or LF are enclosed in double quotes with inner
 * quotes doubled (RFC 4180); a record consisting of a single empty string is
 * written as `""` so that it is not a blank line.
 *
 * @param header The column names; at least one.
 * @param rows The data rows, each with exactly `header.length` fields.
 * @returns The CSV text.
 * @throws {RangeError} When the header is empty or a row has the wrong width.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { csvFormat } from "./csv.ts";
 *
 * const text = csvFormat(["iteration", "loss", "note"], [[1, 0.1, "a,b"], [2, NaN, 'say "hi"']]);
 * assert.equal(text, 'iteration,loss,note\n1,0.1,"a,b"\n2,NaN,"say ""hi"""\n', text);
 * ```
 */
export function csvFormat(header: string[], rows: (number | string)[][]): string {
  if (header.length === 0) throw new RangeError("csvFormat: the header has no columns");
  let text = formatCsvRecord(header, "header") + "\n";
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].length !== header.length) {
      throw new RangeError(
        `csvFormat: row ${i} has ${rows[i].length} fields, the header has ${header.length}`,
      );
    }
    text += formatCsvRecord(rows[i], `row ${i}`) + "\n";
  }
  return text;
}

/** One parsed CSV record: its fields, its text and the line it starts on. */
export interface CsvRecord {
  fields: string[];
  /** 1-based line number on which the record starts. */
  line: number;
  /** The record's source text, without its line terminator. */
  raw: string;
}

/** Every record of `text` (the parser behind {@linkcode csvParse}). */
export function parseCsvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const n = text.length;
  const atEnd = (i: number) =>
    i >= n || text[i] === "," || text[i] === "\n" || (text[i] === "\r" && text[i + 1] === "\n");
  let i = 0;
  let line = 1;
  while (i < n) {
    const start = i;
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      if (text[i] === '"') {
        const quoteLine = line;
        let field = "";
        i++;
        for (;;) {
          if (i >= n) {
            throw new SyntaxError(
              `csvParse: unterminated quoted field starting on line ${quoteLine}`,
            );
          }
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (text[i] === "\n") line++;
          field += text[i++];
        }
        if (!atEnd(i)) {
          throw new SyntaxError(
            `csvParse: unexpected character after closing quote on line ${line}`,
          );
        }
        fields.push(field);
      } else {
        const fieldStart = i;
        while (!atEnd(i)) {
          if (text[i] === '"') {
            throw new SyntaxError(`csvParse: quote inside an unquoted field on line ${line}`);
          }
          i++;
        }
        fields.push(text.slice(fieldStart, i));
      }
      if (i < n && text[i] === ",") {
        i++;
        continue;
      }
      break;
    }
    const end = i;
    if (i < n) {
      i += text[i] === "\r" ? 2 : 1;
      line++;
    }
    records.push({ fields, line: startLine, raw: text.slice(start, end) });
  }
  return records;
}

/**
 * Parses CSV text as written by {@linkcode csvFormat} (RFC 4180: quoted fields
 * may contain commas, doubled quotes and line breaks; records end in `"\n"` or
 * `"\r\n"`; the final terminator is optional). All fields are returned as
 * strings; converting them to numbers is left to the caller.
 *
 * @param text The CSV text.
 * @returns The first record as `header` and the remaining records as `rows`;
 *   both empty for empty text.
 * @throws {SyntaxError} For malformed quoting or a row whose width differs from
 *   the header's, naming the line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { csvFormat, csvParse } from "./csv.ts";
 *
 * const { header, rows } = csvParse(csvFormat(["x", "label"], [[1.5, 'a "b",\nc']]));
 * assert.equal(header.join("|"), "x|label", "bad header");
 * assert.equal(rows[0][0], "1.5", "bad row");
 * assert.equal(rows[0][1], 'a "b",\nc', "bad row");
 * ```
 */
export function csvParse(text: string): { header: string[]; rows: string[][] } {
  const records = parseCsvRecords(text);
  if (records.length === 0) return { header: [], rows: [] };
  const header = records[0].fields;
  const rows: string[][] = [];
  for (const record of records.slice(1)) {
    if (record.fields.length !== header.length) {
      throw new SyntaxError(
        `csvParse: the record on line ${record.line} has ${record.fields.length} fields, the header has ${header.length}`,
      );
    }
    rows.push(record.fields);
  }
  return { header, rows };
}
