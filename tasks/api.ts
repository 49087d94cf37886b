/**
 * `deno task api`: write docs/api.md's API section from the documentation of the package's entry
 * points. The task pipes `deno doc --json mod.ts src/*\/mod.ts` (the root and the subpath
 * modules that deno.json exports) into this module, then formats docs/api.md.
 *
 * @module
 */
import { HELP_OPTION, parseOptionTable, runMain } from "../src/cli.ts";
import { InputError } from "../src/training/config.ts";

const HELP = `Usage: deno task api

Write the API section of docs/api.md (between <!-- api:begin --> and <!-- api:end -->) from the
documentation of every symbol that the root (mod.ts) and the subpath modules (src/*/mod.ts)
export, then format docs/api.md. test/api_test.ts fails when the section and the code disagree.

Options:
  -h, --help  show this help

Exit codes: 0 done; 2 bad input.
`;

/** The README markers between which the API section lies. */
export const API_BEGIN = "<!-- api:begin -->";
/** The end marker of the API section. */
export const API_END = "<!-- api:end -->";

/** What this module reads of one `deno doc --json` declaration. */
interface DocDeclaration {
  readonly kind: string;
  readonly location: { readonly filename: string };
  readonly jsDoc?: { readonly doc?: string };
  readonly def?: { readonly params?: readonly DocParam[] };
}

interface DocParam {
  readonly kind: string;
  readonly name?: string;
  readonly optional?: boolean;
  readonly left?: DocParam;
  readonly arg?: DocParam;
}

interface DocSymbol {
  readonly name: string;
  readonly declarations: readonly DocDeclaration[];
}

/** The src/ folders in the order of the layout table, with a heading each. */
const GROUPS: readonly [string, string][] = [
  ["core", "Core: random streams, errors"],
  ["kernels", "Kernels: the backends"],
  ["envs", "Environments and task families"],
  ["estimators", "The estimators: policy, sampling, returns, meta-gradients"],
  ["sandbox", "The task sandbox"],
  ["threads", "Threads"],
  ["training", "Configuration and training"],
  ["experiments", "Experiment grids and artefacts"],
  ["theory", "Exact analysis and the paper's bounds"],
  ["analysis", "The estimators measured at the paper's scale"],
  ["verification", "Verification"],
];

const TYPE_KINDS = new Set(["interface", "typeAlias"]);

function paramText(p: DocParam): string {
  if (p.kind === "assign" && p.left !== undefined) {
    const left = paramText(p.left); // a default value makes the parameter optional
    return left.endsWith("?") ? left : `${left}?`;
  }
  if (p.kind === "rest" && p.arg !== undefined) return `...${paramText(p.arg)}`;
  if (p.kind === "identifier") return `${p.name}${p.optional ? "?" : ""}`;
  return p.kind === "object" ? "{…}" : "[…]";
}

/** Words after which a period does not end a sentence. */
const ABBREVIATIONS = /(?:^|[\s(])(?:App|eq|eqs|Fig|Sec|cf|vs|e\.g|i\.e|etc)$/;

/**
 * The first sentence of a JSDoc text, on one line, with `{@link…}` tags as code: up to the first
 * period outside parentheses and code that is followed by a space, and not an abbreviation's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstSentence } from "./api.ts";
 * const s = firstSentence("The setup (paper App. H; see {@linkcode train}). More.\n\nDetail.");
 * assert.equal(s, "The setup (paper App. H; see `train`).", s);
 * ```
 */
export function firstSentence(doc: string): string {
  const text = doc.split(/\n\s*\n/)[0].replace(/\s+/g, " ").trim()
    .replace(/\{@link(?:code|plain)?\s+([^}\s|]+)[^}]*\}/g, "`$1`");
  let depth = 0, code = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "`") code = !code;
    else if (!code && (c === "(" || c === "[")) depth++;
    else if (!code && (c === ")" || c === "]")) depth--;
    else if (
      c === "." && !code && depth === 0 && (i + 1 === text.length || text[i + 1] === " ") &&
      !ABBREVIATIONS.test(text.slice(0, i))
    ) {
      return text.slice(0, i + 1);
    }
  }
  return text;
}

/** The entries of `symbols`: per folder, functions, classes and constants, then types. */
function entries(symbols: readonly DocSymbol[], heading: (folder: string) => string): string[] {
  const byGroup = new Map<string, { values: string[]; types: string[] }>();
  for (const symbol of symbols) {
    const decl = symbol.declarations[0];
    const folder = /\/src\/([^/]+)\//.exec(decl.location.filename)?.[1];
    if (folder === undefined || !GROUPS.some(([g]) => g === folder)) {
      throw new InputError(`${symbol.name}: defined outside the folders of the API section`);
    }
    const group = byGroup.get(folder) ?? { values: [], types: [] };
    byGroup.set(folder, group);
    if (TYPE_KINDS.has(decl.kind)) {
      group.types.push(`\`${symbol.name}\``);
      continue;
    }
    const name = decl.kind === "function"
      ? `${symbol.name}(${(decl.def?.params ?? []).map(paramText).join(", ")})`
      : decl.kind === "class"
      ? `class ${symbol.name}`
      : symbol.name;
    group.values.push(`- \`${name}\`: ${firstSentence(decl.jsDoc?.doc ?? "")}`);
  }
  const lines: string[] = [];
  for (const [folder] of GROUPS) {
    const group = byGroup.get(folder);
    if (group === undefined) continue;
    const title = heading(folder);
    if (title !== "") lines.push(title, "");
    lines.push(...group.values);
    if (group.types.length > 0) lines.push(`- types: ${group.types.join(", ")}`);
    lines.push("");
  }
  return lines;
}

/**
 * The API section for `deno doc --json mod.ts src/*\/mod.ts`: the root's symbols by the src/
 * folder that defines them, then each subpath module's symbols that the root does not export
 * (functions, classes and constants with their parameters and first sentence, then types).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiSection } from "./api.ts";
 * const train = { name: "train", declarations: [{
 *   kind: "function", location: { filename: "file:///p/src/training/trainer.ts" },
 *   jsDoc: { doc: "Run one experiment. More detail." },
 *   def: { params: [{ kind: "identifier", name: "config" }] } }] };
 * const md = apiSection({ nodes: {
 *   "file:///p/mod.ts": { symbols: [train] },
 *   "file:///p/src/training/mod.ts": { symbols: [train] },
 * } });
 * assert.ok(md.includes("- `train(config)`: Run one experiment."));
 * assert.ok(md.includes("also in the root: `train`"));
 * ```
 */
export function apiSection(docJson: unknown): string {
  const nodes = Object.entries(
    (docJson as { nodes?: Record<string, { symbols?: DocSymbol[] }> }).nodes ?? {},
  );
  const subpath = (file: string) => /\/src\/([^/]+)\/mod\.ts$/.exec(file)?.[1];
  const root = nodes.find(([file]) => file.endsWith("/mod.ts") && subpath(file) === undefined);
  if (root === undefined || !Array.isArray(root[1].symbols)) {
    throw new InputError("stdin: not the output of deno doc --json mod.ts src/*/mod.ts");
  }
  // A symbol exported by several entry points is declared in the first and referenced by the
  // others (`kind: "reference"`): read every symbol by its declaration.
  const declared = new Map<string, DocSymbol>();
  for (const [, node] of nodes) {
    for (const symbol of node.symbols ?? []) {
      if (symbol.declarations.some((d) => d.kind !== "reference")) {
        declared.set(symbol.name, symbol);
      }
    }
  }
  const resolve = (symbols: readonly DocSymbol[]) =>
    symbols.map((s) =>
      s.declarations.every((d) => d.kind === "reference") ? declared.get(s.name) ?? s : s
    );
  const rootNames = new Set(root[1].symbols.map((s) => s.name));
  const headings = new Map(GROUPS);
  const lines = [
    "### `@sgmrl/sgmrl` (mod.ts): the root",
    "",
    ...entries(
      resolve(root[1].symbols),
      (folder) => `**${headings.get(folder)}** (\`src/${folder}\`)`,
    ),
  ];
  for (const [folder, heading] of GROUPS) {
    const module = nodes.find(([file]) => subpath(file) === folder)?.[1].symbols;
    if (module === undefined) continue;
    lines.push(`### \`@sgmrl/sgmrl/${folder}\` (src/${folder}/mod.ts): ${heading}`, "");
    lines.push(...entries(resolve(module.filter((s) => !rootNames.has(s.name))), () => ""));
    const shared = module.filter((s) => rootNames.has(s.name)).map((s) => `\`${s.name}\``);
    if (shared.length > 0) lines.push(`- also in the root: ${shared.join(", ")}`, "");
  }
  return lines.join("\n").trimEnd();
}

/** `readme` with its API section replaced by `section`. */
export function withApiSection(readme: string, section: string): string {
  const begin = readme.indexOf(API_BEGIN), end = readme.indexOf(API_END);
  if (begin < 0 || end < begin) {
    throw new InputError(`docs/api.md: no ${API_BEGIN} … ${API_END} section`);
  }
  return `${readme.slice(0, begin + API_BEGIN.length)}\n\n${section}\n\n${readme.slice(end)}`;
}

async function main(): Promise<number> {
  const args = parseOptionTable(Deno.args, HELP_OPTION);
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(await new Response(Deno.stdin.readable).text());
  } catch {
    throw new InputError("stdin: not JSON (run it as deno task api, which pipes deno doc in)");
  }
  const readme = await Deno.readTextFile("docs/api.md");
  await Deno.writeTextFile("docs/api.md", withApiSection(readme, apiSection(doc)));
  console.log("docs/api.md: API section written");
  return 0;
}

if (import.meta.main) await runMain(main);
