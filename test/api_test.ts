// The public API as a library presents it: a small root (mod.ts) and one subpath module per source
// folder, declared in deno.json; every symbol they export has a JSDoc example (which
// `deno test --doc` runs), and docs/api.md's API section is what `deno task api` writes from them.
import assert from "node:assert/strict";
import { API_BEGIN, API_END, apiSection, withApiSection } from "../tasks/api.ts";

interface DocSymbol {
  readonly name: string;
  readonly declarations: readonly {
    readonly kind: string;
    readonly location: { readonly filename: string };
    readonly jsDoc?: { readonly tags?: { kind: string }[] };
  }[];
}

/** deno.json's exports: the subpath ("." for the root) and its module, without "./". */
async function entryPoints(): Promise<[string, string][]> {
  const exports = JSON.parse(await Deno.readTextFile("deno.json")).exports;
  return Object.entries(exports as Record<string, string>).map(([k, v]) => [k, v.slice(2)]);
}

async function modDoc(): Promise<{ nodes: Record<string, { symbols: DocSymbol[] }> }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...(await entryPoints()).map(([, file]) => file)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const collapse = (s: string) => s.replace(/\s+/g, " ").trim();

/** The exported symbols of each entry point, by its file relative to the package root. */
async function symbolsByFile(): Promise<Map<string, DocSymbol[]>> {
  const root = new URL("../", import.meta.url).href;
  return new Map(
    Object.entries((await modDoc()).nodes).map((
      [url, node],
    ) => [url.slice(root.length), node.symbols]),
  );
}

Deno.test("deno.json exports the root and one subpath module per source folder that has one", async () => {
  const points = await entryPoints();
  const modules: string[] = [];
  for await (const entry of Deno.readDir("src")) {
    if (entry.isDirectory) {
      try {
        await Deno.stat(`src/${entry.name}/mod.ts`);
        modules.push(entry.name);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
  }
  assert.deepEqual(
    points.sort(),
    [[".", "mod.ts"], ...modules.map((m) => [`./${m}`, `src/${m}/mod.ts`])].sort(),
  );
  for (const m of ["estimators", "experiments", "theory", "analysis"]) {
    assert.ok(modules.includes(m), m);
  }
});

Deno.test("the root is small, every symbol is in the subpath of the folder that defines it, and every export has a JSDoc example", async () => {
  const byFile = await symbolsByFile();
  const root = byFile.get("mod.ts")!;
  assert.ok(root.length >= 25 && root.length <= 40, `${root.length} symbols in the root`);
  const all = [...byFile.values()].flat();
  assert.ok(new Set(all.map((s) => s.name)).size > 150, "the subpaths keep the whole API");
  for (const symbol of root) {
    const folder = /\/src\/([^/]+)\//.exec(symbol.declarations[0].location.filename)![1];
    const sub = byFile.get(`src/${folder}/mod.ts`) ?? [];
    assert.ok(
      sub.some((s) => s.name === symbol.name),
      `${symbol.name}: not in src/${folder}/mod.ts`,
    );
  }
  // A symbol of several entry points is declared once and referenced by the others.
  const declared = all.filter((s) => s.declarations.some((d) => d.kind !== "reference"));
  assert.deepEqual(
    [...new Set(all.map((s) => s.name))].sort(),
    [...new Set(declared.map((s) => s.name))].sort(),
  );
  const without = declared.filter((s) =>
    !s.declarations.some((d) => (d.jsDoc?.tags ?? []).some((t) => t.kind === "example"))
  ).map((s) => s.name);
  assert.deepEqual([...new Set(without)], []);
});

Deno.test("docs/api.md's API section is the one mod.ts documents (deno task api writes it)", async () => {
  const readme = await Deno.readTextFile("docs/api.md");
  const section = readme.slice(
    readme.indexOf(API_BEGIN) + API_BEGIN.length,
    readme.indexOf(API_END),
  );
  const expected = apiSection(await modDoc());
  // deno fmt wraps the written lines; the words are what must agree.
  assert.equal(collapse(section), collapse(expected), "run deno task api");
  for (const name of ["train", "metaGradient", "pinTaskModule", "verifyProfile", "createSampler"]) {
    assert.match(section, new RegExp(`- \`${name}\\(`), name);
  }
});

Deno.test("the API section: grouped by folder, functions with their parameters, types listed last", () => {
  const symbol = (name: string, kind: string, folder: string, doc: string, params?: unknown[]) => ({
    name,
    declarations: [{
      kind,
      location: { filename: `file:///p/src/${folder}/x.ts` },
      jsDoc: { doc },
      def: { params },
    }],
  });
  const doc = {
    nodes: {
      "file:///p/mod.ts": {
        symbols: [
          symbol("train", "function", "training", "Run one experiment (see App. H). Then more.", [
            { kind: "identifier", name: "config" },
            { kind: "assign", left: { kind: "identifier", name: "options" } },
          ]),
          symbol("Evaluation", "interface", "training", "An evaluation."),
          symbol("stream", "function", "core", "The stream of {@linkcode StreamKey}: its draws.", [
            { kind: "identifier", name: "key" },
          ]),
          symbol("InputError", "class", "core", "Bad input."),
        ],
      },
      "file:///p/src/training/mod.ts": {
        symbols: [
          symbol("train", "function", "training", "Run one experiment (see App. H). Then more.", [
            { kind: "identifier", name: "config" },
          ]),
          symbol("trainIterations", "function", "training", "Continue. More.", [
            { kind: "identifier", name: "state" },
          ]),
        ],
      },
    },
  };
  assert.equal(
    apiSection(doc),
    [
      "### `@sgmrl/sgmrl` (mod.ts): the root",
      "",
      "**Core: random streams, errors** (`src/core`)",
      "",
      "- `stream(key)`: The stream of `StreamKey`: its draws.",
      "- `class InputError`: Bad input.",
      "",
      "**Configuration and training** (`src/training`)",
      "",
      "- `train(config, options?)`: Run one experiment (see App. H).",
      "- types: `Evaluation`",
      "",
      "### `@sgmrl/sgmrl/training` (src/training/mod.ts): Configuration and training",
      "",
      "- `trainIterations(state)`: Continue.",
      "",
      "- also in the root: `train`",
    ].join("\n"),
  );
  const outside = structuredClone(doc);
  outside.nodes["file:///p/mod.ts"].symbols[0].declarations[0].location.filename =
    "file:///p/tasks/x.ts";
  assert.throws(() => apiSection(outside), /^InputError: train: defined outside/);
  assert.throws(() => apiSection({}), /not the output of deno doc --json mod\.ts src/);
  assert.equal(
    withApiSection(`a\n${API_BEGIN}\nold\n${API_END}\nb`, "new"),
    `a\n${API_BEGIN}\n\nnew\n\n${API_END}\nb`,
  );
  assert.throws(() => withApiSection("no markers", "new"), /no <!-- api:begin -->/);
});
