import assert from "node:assert/strict";
import {
  type ArtifactFiles,
  checkManifests,
  profileRootDigest,
  readExperimentManifest,
  readProfileManifest,
  sha256Hex,
  validateName,
  writeExperiment,
  writeProfileManifest,
} from "../src/experiments/artifacts.ts";
import { csvFormat, csvParse } from "../src/core/csv.ts";
import { compareProfiles, describeDifference } from "../src/experiments/compare.ts";
import { canonicalJson } from "../src/core/canonical_json.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "artifacts_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function metricsCsv(iterations: number): string {
  const rows: number[][] = [];
  for (let i = 0; i < iterations; i++) rows.push([i, 1 / (i + 3), i * 0.25]);
  return csvFormat(["iteration", "loss", "return"], rows);
}

function experimentFiles(id: string): ArtifactFiles {
  return {
    "config.json": canonicalJson({ id, seed: 7, lr: 0.001 }),
    "metrics.csv": metricsCsv(30),
    "evaluation.json": canonicalJson({ id, returns: [1.5, 2.25, 3], success: 0.75 }),
    "params.bin": new Uint8Array(new Float32Array([0.1, -2, 3.5]).buffer),
  };
}

/** Writes a complete profile with experiments `alpha` and `beta`. */
async function writeProfile(dir: string, profile = "quick"): Promise<void> {
  const experiments: Record<string, string> = {};
  for (const id of ["alpha", "beta"]) {
    experiments[id] = await writeExperiment(dir, id, experimentFiles(id));
  }
  await writeProfileManifest(dir, profile, experiments);
}

// ---------------------------------------------------------------------------
// sha256Hex

Deno.test("sha256Hex matches the FIPS 180-2 test vectors", async () => {
  assert.equal(
    await sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    await sha256Hex(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    await sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  assert.equal(await sha256Hex(new Uint8Array([0x61, 0x62, 0x63])), await sha256Hex("abc"));
  // A view into a larger buffer hashes only its own bytes.
  const buffer = new Uint8Array([0x78, 0x61, 0x62, 0x63, 0x78]);
  assert.equal(await sha256Hex(buffer.subarray(1, 4)), await sha256Hex("abc"));
  // Strings are hashed as UTF-8.
  assert.equal(await sha256Hex("é"), await sha256Hex(new Uint8Array([0xc3, 0xa9])));
});

// ---------------------------------------------------------------------------
// canonicalJson

Deno.test("canonicalJson sorts keys at every level and ends with a newline", () => {
  const text = canonicalJson({ b: { z: 1, a: [true, null] }, a: "x", B: 2 });
  assert.equal(
    text,
    '{\n  "B": 2,\n  "a": "x",\n  "b": {\n    "a": [\n      true,\n      null\n    ],\n    "z": 1\n  }\n}\n',
  );
});

Deno.test("canonicalJson is stable under key insertion order", () => {
  const one = { metrics: [{ loss: 0.5, step: 1 }], name: "run", seed: 3 };
  const two = { seed: 3, name: "run", metrics: [{ step: 1, loss: 0.5 }] };
  assert.equal(canonicalJson(one), canonicalJson(two));
  assert.equal(canonicalJson(one), canonicalJson(one));
  assert.equal(
    canonicalJson(one),
    JSON.stringify(one, ["metrics", "loss", "step", "name", "seed"], 2) + "\n",
  );
  // UTF-16 code unit order: "Z" < "a" < "é" < "😀" (surrogate pair) < "\uffff".
  assert.deepEqual(
    Object.keys(JSON.parse(canonicalJson({ "\uffff": 0, "😀": 0, "é": 0, a: 0, Z: 0 }))),
    ["Z", "a", "é", "😀", "\uffff"],
  );
});

Deno.test("canonicalJson writes numbers in shortest round-trip form", () => {
  assert.equal(
    canonicalJson([0.1, 1e21, 5e-324, -0, 1 / 3]),
    "[\n  0.1,\n  1e+21,\n  5e-324,\n  0,\n  0.3333333333333333\n]\n",
  );
  assert.equal(
    canonicalJson(new Float32Array([0.5, 0.1])),
    "[\n  0.5,\n  0.10000000149011612\n]\n",
  );
  assert.equal(canonicalJson({ w: new Float64Array([]) }), '{\n  "w": []\n}\n');
});

Deno.test("canonicalJson omits undefined members and writes empty containers inline", () => {
  assert.equal(canonicalJson({ a: undefined, b: {}, c: [] }), '{\n  "b": {},\n  "c": []\n}\n');
  assert.equal(canonicalJson({ a: undefined }), "{}\n");
  assert.equal(canonicalJson("text"), '"text"\n');
});

Deno.test("canonicalJson rejects non-finite numbers naming the path", () => {
  const metrics = [{ loss: 1 }, { loss: 2 }, { loss: 3 }, { loss: NaN }];
  assert.throws(() => canonicalJson({ metrics }), (error: Error) => {
    assert.match(error.message, /\$\.metrics\[3\]\.loss/);
    assert.match(error.message, /NaN/);
    return true;
  });
  assert.throws(() => canonicalJson({ "a b": [Infinity] }), /\$\["a b"\]\[0\]/);
  assert.throws(() => canonicalJson({ w: new Float32Array([1, -Infinity]) }), /\$\.w\[1\]/);
  assert.throws(() => canonicalJson(NaN), /at \$$/);
});

Deno.test("canonicalJson rejects values that JSON cannot represent faithfully", () => {
  assert.throws(() => canonicalJson({ a: [undefined] }), /\$\.a\[0\]/);
  assert.throws(() => canonicalJson({ d: new Date(0) }), /Date at \$\.d/);
  assert.throws(() => canonicalJson({ m: new Map() }), /Map at \$\.m/);
  assert.throws(() => canonicalJson({ n: 1n }), /bigint at \$\.n/);
  assert.throws(() => canonicalJson({ f: () => 1 }), /function at \$\.f/);
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.throws(() => canonicalJson(cycle), /circular reference at \$\.self/);
  // Shared (non-circular) references are fine.
  const shared = { v: 1 };
  assert.equal(canonicalJson([shared, shared]), canonicalJson([{ v: 1 }, { v: 1 }]));
});

// ---------------------------------------------------------------------------
// Names

Deno.test("validateName accepts the allowed alphabet and rejects the rest", () => {
  for (const good of ["a", "exp-1_b.2", "A.csv", "x..y"]) {
    assert.equal(validateName("file name", good), good);
  }
  for (const bad of ["", ".hidden", "a/b", "..", "a b", "é", "a\nb"]) {
    assert.throws(() => validateName("file name", bad), (error: Error) => {
      assert.ok(error.message.includes(JSON.stringify(bad)), error.message);
      assert.ok(!error.message.includes("\n"), "error must be one line");
      return true;
    });
  }
});

// ---------------------------------------------------------------------------
// writeExperiment

Deno.test("writeExperiment writes the files and a manifest with correct digests", async () => {
  await withTempDir(async (root) => {
    const files = experimentFiles("alpha");
    files["crlf.txt"] = "a\r\nb\r\n";
    const digest = await writeExperiment(root, "alpha", files);
    assert.deepEqual(await entries(root), ["alpha"]);
    assert.deepEqual(await entries(`${root}/alpha`), [
      "config.json",
      "crlf.txt",
      "evaluation.json",
      "manifest.json",
      "metrics.csv",
      "params.bin",
    ]);
    const manifestBytes = await Deno.readFile(`${root}/alpha/manifest.json`);
    assert.equal(digest, await sha256Hex(manifestBytes));
    const manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
    assert.equal(manifest.format, 2);
    assert.deepEqual(Object.keys(manifest.files), [
      "config.json",
      "crlf.txt",
      "evaluation.json",
      "metrics.csv",
      "params.bin",
    ]);
    for (const [name, content] of Object.entries(files)) {
      const onDisk = await Deno.readFile(`${root}/alpha/${name}`);
      const expected = typeof content === "string" ? new TextEncoder().encode(content) : content;
      assert.deepEqual(onDisk, expected, `${name} must hold the exact bytes given`);
      assert.equal(manifest.files[name], await sha256Hex(content));
    }
    assert.equal(new TextDecoder().decode(manifestBytes), canonicalJson(manifest));
    assert.deepEqual(await readExperimentManifest(root, "alpha"), manifest);
  });
});

Deno.test("writeExperiment replaces an existing experiment completely", async () => {
  await withTempDir(async (root) => {
    await writeExperiment(root, "exp", { "old.txt": "old", "shared.txt": "v1" });
    const digest = await writeExperiment(root, "exp", { "shared.txt": "v2", "new.txt": "new" });
    assert.deepEqual(await entries(root), ["exp"]);
    assert.deepEqual(await entries(`${root}/exp`), ["manifest.json", "new.txt", "shared.txt"]);
    assert.equal(await Deno.readTextFile(`${root}/exp/shared.txt`), "v2");
    assert.equal(digest, await sha256Hex(await Deno.readFile(`${root}/exp/manifest.json`)));
  });
});

Deno.test("writeExperiment validates the id and file names before touching the disk", async () => {
  await withTempDir(async (base) => {
    const root = `${base}/profile`;
    await assert.rejects(writeExperiment(root, "../evil", { "a.txt": "a" }), /"\.\.\/evil"/);
    await assert.rejects(
      writeExperiment(root, "exp", { "a.txt": "a", "b/c.txt": "x" }),
      /"b\/c\.txt"/,
    );
    await assert.rejects(writeExperiment(root, "exp", { ".hidden": "x" }), /"\.hidden"/);
    await assert.rejects(writeExperiment(root, "exp", { "manifest.json": "{}" }), /reserved/);
    await assert.rejects(writeExperiment(root, "manifest.json", {}), /reserved/);
    assert.equal(await exists(root), false);
  });
});

Deno.test("writeExperiment leaves nothing behind when a file fails to encode", async () => {
  await withTempDir(async (root) => {
    const unencodable = { toString: () => "not bytes" } as unknown as Uint8Array;
    await assert.rejects(
      writeExperiment(root, "exp", {
        "a.txt": "written first",
        "b.bin": unencodable,
        "c.txt": "c",
      }),
      /content of file "b\.bin" must be a string or Uint8Array/,
    );
    assert.deepEqual(await entries(root), []);
  });
});

Deno.test("writeExperiment leaves nothing behind when the file system rejects a file", async () => {
  await withTempDir(async (root) => {
    // Valid by the naming rules but longer than any file system allows, so the
    // failure happens after `a.txt` has already been written.
    const tooLong = "b".repeat(300);
    await assert.rejects(writeExperiment(root, "exp", { "a.txt": "a", [tooLong]: "b" }));
    assert.deepEqual(await entries(root), []);
  });
});

Deno.test("writeExperiment keeps the previous experiment when a replacement fails", async () => {
  await withTempDir(async (root) => {
    const digest = await writeExperiment(root, "exp", { "a.txt": "old" });
    const unencodable = 42 as unknown as string;
    await assert.rejects(writeExperiment(root, "exp", { "a.txt": "new", "b.txt": unencodable }));
    assert.deepEqual(await entries(root), ["exp"]);
    assert.deepEqual(await entries(`${root}/exp`), ["a.txt", "manifest.json"]);
    assert.equal(await Deno.readTextFile(`${root}/exp/a.txt`), "old");
    assert.equal(digest, await sha256Hex(await Deno.readFile(`${root}/exp/manifest.json`)));
  });
});

Deno.test("writeExperiment keeps names that clash with Object.prototype", async () => {
  await withTempDir(async (root) => {
    const files: ArtifactFiles = Object.fromEntries([["__proto__", "p"], ["constructor", "c"]]);
    const digest = await writeExperiment(root, "exp", files);
    const manifest = await readExperimentManifest(root, "exp");
    assert.deepEqual(Object.keys(manifest.files), ["__proto__", "constructor"]);
    assert.equal(manifest.files["__proto__"], await sha256Hex("p"));
    await writeProfileManifest(root, "quick", { exp: digest });
    assert.deepEqual(await checkManifests(root), []);
    await Deno.remove(`${root}/exp/__proto__`);
    assert.deepEqual(await checkManifests(root), ["exp/__proto__: missing"]);
  });
});

// ---------------------------------------------------------------------------
// Profile manifest

Deno.test("profile root digest does not depend on experiment order", async () => {
  const a = await sha256Hex("a");
  const b = await sha256Hex("b");
  const c = await sha256Hex("c");
  const root = await profileRootDigest({ b, c, a });
  assert.equal(root, await profileRootDigest({ a, b, c }));
  assert.equal(root, await profileRootDigest({ c, a, b }));
  assert.equal(root, await sha256Hex(`a ${a}\nb ${b}\nc ${c}\n`));
  assert.notEqual(root, await profileRootDigest({ a: b, b: a, c }));
  assert.equal(await profileRootDigest({}), await sha256Hex(""));
  await assert.rejects(profileRootDigest({ a: "not-a-digest" }), /64 lowercase hex/);

  await withTempDir(async (dir) => {
    // Two profiles whose experiments were written in opposite orders (as if by
    // different shards) get byte-identical manifests.
    const ids = ["e1", "e2", "e3"];
    const first: Record<string, string> = {};
    for (const id of ids) first[id] = await writeExperiment(`${dir}/one`, id, { "x.txt": id });
    const second: Record<string, string> = {};
    for (const id of [...ids].reverse()) {
      second[id] = await writeExperiment(`${dir}/two`, id, { "x.txt": id });
    }
    const one = await writeProfileManifest(`${dir}/one`, "quick", first);
    const two = await writeProfileManifest(`${dir}/two`, "quick", second);
    assert.equal(one.root, two.root);
    assert.deepEqual(
      await Deno.readFile(`${dir}/one/manifest.json`),
      await Deno.readFile(`${dir}/two/manifest.json`),
    );
    // Scanning the directory gives the same manifest as the explicit map.
    const scanned = await writeProfileManifest(`${dir}/two`, "quick");
    assert.equal(scanned.root, one.root);
    assert.deepEqual(await readProfileManifest(`${dir}/two`), one);
    assert.deepEqual(await entries(`${dir}/two`), ["e1", "e2", "e3", "manifest.json"]);
  });
});

// ---------------------------------------------------------------------------
// checkManifests

Deno.test("checkManifests accepts a consistent profile and ignores timings.json", async () => {
  await withTempDir(async (dir) => {
    await writeProfile(dir);
    assert.deepEqual(await checkManifests(dir), []);
    await Deno.writeTextFile(`${dir}/timings.json`, '{"alpha": 1.5}\n');
    assert.deepEqual(await checkManifests(dir), []);
  });
});

Deno.test("checkManifests detects a modified byte", async () => {
  await withTempDir(async (dir) => {
    await writeProfile(dir);
    const path = `${dir}/beta/params.bin`;
    const bytes = await Deno.readFile(path);
    bytes[5] ^= 0x01;
    await Deno.writeFile(path, bytes);
    const problems = await checkManifests(dir);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0], /^beta\/params\.bin: digest [0-9a-f]{64} does not match/);
  });
});

Deno.test("checkManifests detects a missing file", async () => {
  await withTempDir(async (dir) => {
    await writeProfile(dir);
    await Deno.remove(`${dir}/alpha/evaluation.json`);
    assert.deepEqual(await checkManifests(dir), ["alpha/evaluation.json: missing"]);
  });
});

Deno.test("checkManifests detects extra files and directories", async () => {
  await withTempDir(async (dir) => {
    await writeProfile(dir);
    await Deno.writeTextFile(`${dir}/alpha/timings.json`, "{}\n");
    await Deno.writeTextFile(`${dir}/notes.txt`, "x");
    await Deno.mkdir(`${dir}/.partial-gamma-0000`);
    assert.deepEqual(await checkManifests(dir), [
      ".partial-gamma-0000/: not listed in manifest.json",
      "notes.txt: not listed in manifest.json",
      "alpha/timings.json: not listed in alpha/manifest.json",
    ]);
  });
});

Deno.test("checkManifests detects stale and missing manifests", async () => {
  await withTempDir(async (dir) => {
    await writeProfile(dir);
    // Rewriting an experiment without updating the profile manifest.
    await writeExperiment(dir, "beta", { "only.txt": "changed" });
    const problems = await checkManifests(dir);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0], /^beta\/manifest\.json: digest .* listed in manifest\.json$/);

    await Deno.remove(`${dir}/manifest.json`);
    assert.deepEqual(await checkManifests(dir), ["manifest.json: missing"]);

    await Deno.writeTextFile(`${dir}/manifest.json`, "{not json");
    assert.match((await checkManifests(dir))[0], /^manifest\.json: not valid JSON/);
  });
});

Deno.test("checkManifests detects a wrong root digest and non-canonical text", async () => {
  await withTempDir(async (dir) => {
    await writeProfile(dir);
    const manifest = await readProfileManifest(dir);
    await Deno.writeTextFile(
      `${dir}/manifest.json`,
      canonicalJson({ ...manifest, root: "0".repeat(64) }),
    );
    assert.match(
      (await checkManifests(dir)).join("\n"),
      /^manifest\.json: root digest 0{64} does not match/,
    );
    await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(manifest));
    assert.deepEqual(await checkManifests(dir), ["manifest.json: not in canonical form"]);
  });
});

// ---------------------------------------------------------------------------
// compareProfiles

async function withTwoProfiles(
  fn: (committed: string, regenerated: string) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const committed = `${dir}/committed`;
    const regenerated = `${dir}/regenerated`;
    await writeProfile(committed);
    await writeProfile(regenerated);
    await fn(committed, regenerated);
  });
}

Deno.test("compareProfiles returns null for identical profiles", async () => {
  await withTwoProfiles(async (committed, regenerated) => {
    // Timings and unlisted files do not take part in the comparison.
    await Deno.writeTextFile(`${regenerated}/timings.json`, '{"alpha": 99}\n');
    assert.equal(await compareProfiles(committed, regenerated), null);
  });
});

Deno.test("compareProfiles names the CSV file and the first differing iteration", async () => {
  await withTwoProfiles(async (committed, regenerated) => {
    const path = `${regenerated}/beta/metrics.csv`;
    const lines = (await Deno.readTextFile(path)).split("\n");
    const index = lines.findIndex((line) => line.startsWith("17,"));
    assert.equal(index, 18);
    const original = lines[index];
    // Flip one byte in the last column of iteration 17 (and, later, of 23).
    lines[index] = original.slice(0, -1) + (original.endsWith("5") ? "6" : "5");
    const later = lines.findIndex((line) => line.startsWith("23,"));
    lines[later] = lines[later] + "1";
    await Deno.writeTextFile(path, lines.join("\n"));
    const difference = await compareProfiles(committed, regenerated);
    assert.ok(difference !== null);
    assert.equal(difference.file, "beta/metrics.csv");
    assert.equal(difference.reason, "bytes differ");
    assert.equal(
      difference.detail,
      `first differing row: iteration 17 (line 19)\ncommitted:   ${original}\nregenerated: ${
        lines[index]
      }`,
    );
    assert.match(
      describeDifference(difference),
      /^beta\/metrics\.csv: bytes differ\n {2}first differing row: iteration 17/,
    );
  });
});

Deno.test("compareProfiles reports a missing experiment", async () => {
  await withTwoProfiles(async (committed, regenerated) => {
    await Deno.remove(`${regenerated}/alpha`, { recursive: true });
    const difference = await compareProfiles(committed, regenerated);
    assert.equal(difference?.file, "alpha/");
    assert.equal(difference?.reason, "missing in regenerated");
    assert.match(difference?.detail ?? "", /experiment alpha/);

    const reverse = await compareProfiles(regenerated, committed);
    assert.equal(reverse?.file, "alpha/");
    assert.equal(reverse?.reason, "missing in committed");
  });
});

Deno.test("compareProfiles reports an extra experiment and a missing file", async () => {
  await withTwoProfiles(async (committed, regenerated) => {
    await writeExperiment(regenerated, "gamma", { "a.txt": "a" });
    await writeProfileManifest(regenerated, "quick");
    assert.deepEqual(await compareProfiles(committed, regenerated), {
      file: "gamma/",
      reason: "missing in committed",
      detail: "experiment gamma exists in the regenerated profile only",
    });
    await Deno.remove(`${regenerated}/beta/config.json`);
    assert.deepEqual(await compareProfiles(committed, regenerated), {
      file: "beta/config.json",
      reason: "missing in regenerated",
    });
  });
});

Deno.test("compareProfiles gives the first differing line of a JSON file", async () => {
  await withTwoProfiles(async (committed, regenerated) => {
    const text = canonicalJson({ id: "alpha", returns: [1.5, 2.5, 3], success: 0.75 });
    await writeExperiment(regenerated, "alpha", {
      ...experimentFiles("alpha"),
      "evaluation.json": text,
    });
    const difference = await compareProfiles(committed, regenerated);
    assert.equal(difference?.file, "alpha/evaluation.json");
    assert.equal(difference?.reason, "bytes differ");
    assert.equal(
      difference?.detail,
      "first differing line: 5\ncommitted:       2.25,\nregenerated:     2.5,",
    );
  });
});

Deno.test("compareProfiles reports binary and manifest-only differences", async () => {
  await withTwoProfiles(async (committed, regenerated) => {
    const bytes = await Deno.readFile(`${regenerated}/alpha/params.bin`);
    bytes[2] ^= 0x80;
    await Deno.writeFile(`${regenerated}/alpha/params.bin`, bytes);
    const difference = await compareProfiles(committed, regenerated);
    assert.equal(difference?.file, "alpha/params.bin");
    assert.match(difference?.detail ?? "", /^first differing byte at offset 2: /);
  });
  await withTempDir(async (dir) => {
    await writeProfile(`${dir}/committed`, "quick");
    await writeProfile(`${dir}/regenerated`, "full");
    const difference = await compareProfiles(`${dir}/committed`, `${dir}/regenerated`);
    assert.equal(difference?.file, "manifest.json");
    assert.equal(
      difference?.detail,
      'first differing line: 7\ncommitted:     "profile": "quick",\nregenerated:   "profile": "full",',
    );
  });
});

// ---------------------------------------------------------------------------
// CSV

Deno.test("csvFormat writes deterministic CSV", () => {
  assert.equal(
    csvFormat(["iteration", "loss"], [[0, 0.1], [1, -0], [2, NaN], [3, Infinity], [4, -Infinity], [
      5,
      1e-7,
    ]]),
    "iteration,loss\n0,0.1\n1,0\n2,NaN\n3,Infinity\n4,-Infinity\n5,1e-7\n",
  );
  assert.equal(csvFormat(["a"], []), "a\n");
  assert.equal(csvFormat(["a"], [[""]]), 'a\n""\n');
  assert.throws(() => csvFormat(["a", "b"], [[1]]), /row 0 has 1 fields/);
  assert.throws(() => csvFormat([], []), /no columns/);
});

Deno.test("csvFormat and csvParse round-trip, including quoting", () => {
  const header = ["name", "with,comma", 'quote"d'];
  const rows: (number | string)[][] = [
    ["plain", 1.5, -2],
    ['say "hi"', "a,b", "line\nbreak"],
    ["", " spaced ", "cr\r\nlf"],
    ['"', ",", "\n"],
  ];
  const text = csvFormat(header, rows);
  assert.equal(
    text.split("\n")[0],
    'name,"with,comma","quote""d"',
  );
  const parsed = csvParse(text);
  assert.deepEqual(parsed.header, header);
  assert.deepEqual(parsed.rows, rows.map((row) => row.map(String)));
  assert.equal(csvFormat(parsed.header, parsed.rows), text);
  assert.deepEqual(csvParse(csvFormat(["a"], [[""], ["x"]])).rows, [[""], ["x"]]);
});

Deno.test("csvParse accepts CRLF and a missing final newline, and rejects malformed input", () => {
  assert.deepEqual(csvParse("a,b\r\n1,2"), { header: ["a", "b"], rows: [["1", "2"]] });
  assert.deepEqual(csvParse(""), { header: [], rows: [] });
  assert.deepEqual(csvParse("a,b\n1,\n"), { header: ["a", "b"], rows: [["1", ""]] });
  assert.throws(() => csvParse('a\n"open\n'), /unterminated quoted field starting on line 2/);
  assert.throws(() => csvParse('a\n"x"y\n'), /after closing quote on line 2/);
  assert.throws(() => csvParse("a,b\n1\n"), /line 2 has 1 fields/);
});
