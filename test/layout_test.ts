// The source tree's architecture: folders in layers, no import cycles, a lower layer never
// importing a higher one, and docs/development.md's layout table naming exactly the tree's folders.
import assert from "node:assert/strict";

/** src/ folders from the bottom layer up; a module may import its own layer and those below. */
const LAYERS: readonly (readonly string[])[] = [
  ["core"],
  ["kernels"],
  ["envs"],
  ["estimators"],
  ["sandbox"],
  ["threads"],
  ["training"],
  ["experiments"],
  ["theory", "analysis"],
  ["verification"],
  ["bench"],
  ["cli.ts"],
];

function layerOf(path: string): number {
  const top = path.slice("src/".length).split("/")[0];
  const layer = LAYERS.findIndex((names) => names.includes(top));
  assert.ok(layer >= 0, `${path}: in no layer (add its folder to LAYERS and docs/development.md)`);
  return layer;
}

async function sourceFiles(dir = "src"): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files.sort();
}

/**
 * The modules a file imports (static and dynamic imports, not doc examples) or, with `workers`,
 * starts as Deno Workers (`new URL("./x.ts", import.meta.url)`).
 */
async function importsOf(file: string, workers = false): Promise<string[]> {
  const code = (await Deno.readTextFile(file)).replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const pattern = workers
    ? /new URL\(\s*["'](\.{1,2}\/[^"']+\.ts)["']/g
    : /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+\.ts)["']/g;
  const specifiers = [...code.matchAll(pattern)].map((m) => m[1]);
  const dir = file.split("/").slice(0, -1);
  return specifiers.map((s) => {
    const parts = [...dir];
    for (const part of s.split("/")) {
      if (part === "..") parts.pop();
      else if (part !== ".") parts.push(part);
    }
    return parts.join("/");
  });
}

Deno.test("src/ is layered: no module imports or starts a higher layer's, and no imports form a cycle", async () => {
  const files = await sourceFiles();
  const graph = new Map<string, string[]>();
  for (const file of files) graph.set(file, await importsOf(file));
  const upward: string[] = [];
  for (const [file, imports] of graph) {
    // A Worker's entry module may import the module that starts it: starting is not importing.
    for (const target of [...imports, ...await importsOf(file, true)]) {
      assert.ok(graph.has(target), `${file} imports ${target}, which does not exist`);
      if (layerOf(target) > layerOf(file)) upward.push(`${file} -> ${target}`);
    }
  }
  assert.deepEqual(upward, [], "imports from a higher layer");
  // Depth-first search for a cycle.
  const state = new Map<string, "open" | "done">();
  const cycle: string[] = [];
  const visit = (file: string, path: string[]): boolean => {
    if (state.get(file) === "done") return false;
    if (state.get(file) === "open") {
      cycle.push(...path.slice(path.indexOf(file)), file);
      return true;
    }
    state.set(file, "open");
    for (const target of graph.get(file)!) if (visit(target, [...path, file])) return true;
    state.set(file, "done");
    return false;
  };
  for (const file of files) if (visit(file, [])) break;
  assert.deepEqual(cycle, [], "an import cycle");
});

Deno.test("docs/development.md's layout table names every folder of src/ and nothing that is not there", async () => {
  const readme = await Deno.readTextFile("docs/development.md");
  const section = readme.slice(readme.indexOf("## Layout"));
  const named = new Set(
    [...section.matchAll(/^\| `(src\/[^`]+)`/gm)].map((m) => m[1].replace(/\/$/, "")),
  );
  const tree = new Set<string>();
  for await (const entry of Deno.readDir("src")) {
    tree.add(`src/${entry.name}`);
  }
  assert.deepEqual([...named].sort(), [...tree].sort());
  for (const layer of LAYERS.flat()) assert.ok(tree.has(`src/${layer}`), `src/${layer}`);
});

Deno.test("the licence is one everywhere (LICENSE, deno.json, CITATION.cff) and the citation names the paper", async () => {
  const licence = await Deno.readTextFile("LICENSE");
  assert.ok(licence.startsWith("MIT License\n"), "LICENSE holds the MIT licence");
  assert.match(licence, /Permission is hereby granted, free of charge/);
  assert.equal(JSON.parse(await Deno.readTextFile("deno.json")).license, "MIT");
  const cff = await Deno.readTextFile("CITATION.cff");
  assert.match(cff, /^cff-version: 1\.2\.0$/m);
  assert.match(cff, /^license: MIT$/m);
  const title = "On the Convergence Theory of Debiased Model-Agnostic Meta-Reinforcement Learning";
  assert.ok(cff.includes(`  title: ${title}`), "CITATION.cff's preferred citation is the paper");
  const readme = await Deno.readTextFile("README.md");
  assert.ok(readme.includes(`title     = {${title}}`), "the README's BibTeX names the paper");
  const version = JSON.parse(await Deno.readTextFile("deno.json")).version;
  assert.match(cff, new RegExp(`^version: ${version.replaceAll(".", "\\.")}$`, "m"));
});
