// The public API as a library presents it: every symbol mod.ts exports has a JSDoc example (which
// `deno test --doc` runs), and docs/api.md's API section is what `deno task api` writes from them.
import assert from "node:assert/strict";
import { API_BEGIN, API_END, apiSection, withApiSection } from "../tasks/api.ts";

interface DocSymbol {
  readonly name: string;
  readonly declarations: readonly { readonly jsDoc?: { readonly tags?: { kind: string }[] } }[];
}

async function modDoc(): Promise<{ nodes: Record<string, { symbols: DocSymbol[] }> }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "mod.ts"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const collapse = (s: string) => s.replace(/\s+/g, " ").trim();

Deno.test("every symbol that mod.ts exports has a JSDoc example", async () => {
  const doc = await modDoc();
  const symbols = Object.values(doc.nodes)[0].symbols;
  assert.ok(symbols.length > 100, `${symbols.length} symbols`);
  const without = symbols.filter((s) =>
    !s.declarations.some((d) => (d.jsDoc?.tags ?? []).some((t) => t.kind === "example"))
  ).map((s) => s.name);
  assert.deepEqual(without, []);
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
  for (const name of ["train", "metaGradient", "pinTaskModule", "verifyProfile"]) {
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
    },
  };
  assert.equal(
    apiSection(doc),
    [
      "**Core: random streams, errors** (`src/core`)",
      "",
      "- `stream(key)`: The stream of `StreamKey`: its draws.",
      "- `class InputError`: Bad input.",
      "",
      "**Configuration and training** (`src/training`)",
      "",
      "- `train(config, options?)`: Run one experiment (see App. H).",
      "- types: `Evaluation`",
    ].join("\n"),
  );
  const outside = structuredClone(doc);
  outside.nodes["file:///p/mod.ts"].symbols[0].declarations[0].location.filename =
    "file:///p/tasks/x.ts";
  assert.throws(() => apiSection(outside), /^InputError: train: defined outside/);
  assert.throws(() => apiSection({}), /not the output of deno doc --json mod\.ts/);
  assert.equal(
    withApiSection(`a\n${API_BEGIN}\nold\n${API_END}\nb`, "new"),
    `a\n${API_BEGIN}\n\nnew\n\n${API_END}\nb`,
  );
  assert.throws(() => withApiSection("no markers", "new"), /no <!-- api:begin -->/);
});
