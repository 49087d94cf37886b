// Shards of a grid: a partition that is balanced and stable when seeds are added; shards running
// at once into one directory end with the bytes of one run; the shared files are rewritten under
// a lock so that no experiment is lost; merge rebuilds and checks the directory.
import assert from "node:assert/strict";
import {
  checkManifests,
  readProfileManifest,
  writeExperiment,
} from "../src/experiments/artifacts.ts";
import { compareProfiles } from "../src/experiments/compare.ts";
import { withDirectoryLock } from "../src/experiments/directory_lock.ts";
import { type ExperimentConfig, InputError } from "../src/training/config.ts";
import { expandProfile, PROFILES } from "../src/training/profiles.ts";
import { refreshProfileDirectory, removePartials } from "../src/experiments/reproduce.ts";
import { mergeShards } from "../src/experiments/merge.ts";
import { parseShard, selectShard, shardAssignment, shardCost } from "../src/experiments/shards.ts";
import { inTempDirs, runDenoTask } from "./helpers.ts";

const QUICK = expandProfile(PROFILES.quick);
const PAPER = expandProfile(PROFILES.paper);

Deno.test("--shard: I/N with 1 <= I <= N is accepted, anything else is an error naming the option", () => {
  assert.deepEqual(parseShard("1/1"), { index: 1, count: 1 });
  assert.deepEqual(parseShard("7/12"), { index: 7, count: 12 });
  for (const bad of ["0/3", "4/3", "1/0", "a/b", "1.5/3", "-1/3", "1/3/4", " 1/3", "1/10001", ""]) {
    assert.throws(
      () => parseShard(bad),
      (e) => e instanceof InputError && /^shard: /.test(e.message),
    );
  }
});

Deno.test("shards partition the grid: each experiment in exactly one, sizes within one, whatever the input order", () => {
  const shuffled = (configs: ExperimentConfig[]) =>
    configs.map((c, i) => [(i * 7919) % 1009, c] as const).sort((a, b) => a[0] - b[0]).map((x) =>
      x[1]
    );
  for (const grid of [QUICK, PAPER]) {
    for (let count = 1; count <= 20; count++) {
      const parts = Array.from(
        { length: count },
        (_, i) => selectShard(grid, { index: i + 1, count }),
      );
      const ids = parts.flat().map((c) => c.id).sort();
      assert.deepEqual(ids, grid.map((c) => c.id).sort(), `${count} shards`);
      const sizes = parts.map((p) => p.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${count} shards: ${sizes}`);
      assert.deepEqual(shardAssignment(shuffled(grid), count), shardAssignment(grid, count));
    }
  }
});

Deno.test("adding seeds moves no experiment of the smaller grid to another shard", () => {
  for (
    const [profile, fewer, more] of [["quick", 2, 7], ["paper", 3, 10], ["paper", 1, 4]] as const
  ) {
    const small = expandProfile(PROFILES[profile], { seeds: fewer });
    const large = expandProfile(PROFILES[profile], { seeds: more });
    for (const count of [2, 3, 5, 8, 16]) {
      const a = shardAssignment(small, count);
      const b = shardAssignment(large, count);
      for (const [id, shard] of a) assert.equal(b.get(id), shard, `${profile} ${count}: ${id}`);
    }
  }
});

Deno.test("shards are balanced by estimated cost: the paper grid's costliest shard within 20% of the mean", () => {
  // The estimate orders what costs more: MuJoCo over 2D navigation, ζ = 3 over ζ = 1.
  const byId = new Map(PAPER.map((c) => [c.id, shardCost(c)]));
  assert.ok(byId.get("swimmer-vel-sgmrl-so-z3-s0")! > byId.get("swimmer-vel-sgmrl-so-z1-s0")!);
  assert.ok(byId.get("half-cheetah-vel-maml-so-z1-s0")! > byId.get("nav2d-maml-so-z1-s0")!);
  for (const count of [2, 3, 4, 6, 8, 12, 16]) {
    const assignment = shardAssignment(PAPER, count);
    const load = new Array(count).fill(0);
    for (const c of PAPER) load[assignment.get(c.id)! - 1] += shardCost(c);
    const mean = load.reduce((a, b) => a + b) / count;
    assert.ok(Math.max(...load) / mean <= 1.2, `${count} shards: ${Math.max(...load) / mean}`);
  }
});

Deno.test("a process removes only its own leftovers of interrupted writes", async () => {
  await inTempDirs(1, async ([dir]) => {
    const r = "0123456789abcdef";
    const names = [
      `.partial-a-${r}`,
      `.partial-old-a-${r}`,
      `.partial-ab-${r}`,
      `.partial-a-${r}x`,
      `.partial-summary-${r}`,
      `.partial-manifest.json-${r}`,
      ".timings.json.tmp",
      ".run-a",
    ];
    for (const name of names) await Deno.mkdir(`${dir}/${name}`);
    const removed = await removePartials(dir, (id) => id === "a");
    assert.deepEqual(removed.sort(), [`.partial-a-${r}`, `.partial-old-a-${r}`]);
    const shared = new Set(["summary", "manifest.json", "timings.json"]);
    const more = await removePartials(dir, (id) => shared.has(id));
    assert.deepEqual(more.sort(), [
      `.partial-manifest.json-${r}`,
      `.partial-summary-${r}`,
      ".timings.json.tmp",
    ]);
  });
});

Deno.test("the profile manifest is rewritten under the directory's lock: an experiment written by the lock's holder is never lost", async () => {
  await inTempDirs(1, async ([dir]) => {
    await writeExperiment(dir, "e0", { "a.txt": "0" });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    // Another shard holds the lock, and finishes its experiment only after this one asked.
    const other = withDirectoryLock(dir, async () => {
      holding();
      await gate;
      await writeExperiment(dir, "e1", { "a.txt": "1" });
    });
    await held;
    const mine = refreshProfileDirectory(dir, "t");
    await new Promise((r) => setTimeout(r, 100));
    open();
    const manifest = await mine;
    await other;
    assert.deepEqual(Object.keys(manifest.experiments), ["e0", "e1"]);
    assert.deepEqual(await checkManifests(dir), []);
  });
});

Deno.test("twelve writers finishing at once: every experiment is in the final manifest, which checks", async () => {
  await inTempDirs(1, async ([dir]) => {
    for (let trial = 0; trial < 3; trial++) {
      await Promise.all(Array.from({ length: 12 }, async (_, i) => {
        await writeExperiment(dir, `t${trial}-e${i}`, { "a.txt": `${i}`.repeat(5000) });
        await refreshProfileDirectory(dir, "t", { [`t${trial}-e${i}`]: i });
      }));
      const listed = Object.keys((await readProfileManifest(dir)).experiments);
      assert.equal(listed.filter((id) => id.startsWith(`t${trial}-`)).length, 12);
    }
    assert.deepEqual(await checkManifests(dir), []);
    const timings = JSON.parse(await Deno.readTextFile(`${dir}/timings.json`)).seconds;
    assert.equal(Object.keys(timings).length, 36, "no timing lost either");
  });
});

Deno.test("three shards run at once into one directory end with the bytes of one run; merge checks and completes it", async () => {
  const out = `results/tmp-shards-${crypto.randomUUID()}`;
  const one = `${out}/one`;
  const sharded = `${out}/sharded`;
  const grid = ["--profile", "quick", "--only", "nav2d-*-z1-s0"];
  try {
    const single = await runDenoTask("reproduce", [...grid, "--out", one, "--workers", "1"]);
    assert.equal(single.code, 0, single.stderr);
    const shards = await Promise.all(
      [1, 2, 3].map((i) =>
        runDenoTask("reproduce", [...grid, "--out", sharded, "--workers", "1", "--shard", `${i}/3`])
      ),
    );
    const expected = QUICK.filter((c) => /^nav2d-.*-z1-s0$/.test(c.id));
    for (const [k, shard] of shards.entries()) {
      assert.equal(shard.code, 0, shard.stderr);
      const own = selectShard(expected, { index: k + 1, count: 3 });
      assert.match(shard.stdout, new RegExp(`shard ${k + 1}/3: ${own.length} of the 7 experiment`));
      for (const c of own) assert.match(shard.stdout, new RegExp(`[0-9a-f]{64}  ${c.id}\\n`));
    }
    // The last shard to finish saw a complete grid; the others said their root was partial.
    assert.equal(shards.filter((s) => s.stdout.includes("\ncomplete: ")).length >= 1, true);
    for (const s of shards.filter((s) => !s.stdout.includes("\ncomplete: "))) {
      assert.match(s.stdout, /partial: [0-6] of the 7 experiments/);
    }
    assert.equal(await compareProfiles(one, sharded), null);
    const root = (await readProfileManifest(one)).root;
    assert.equal((await readProfileManifest(sharded)).root, root);
    // Each experiment is also byte-identical to the committed quick profile's.
    for (const c of expected) {
      for await (const f of Deno.readDir(`${sharded}/${c.id}`)) {
        assert.deepEqual(
          await Deno.readFile(`${sharded}/${c.id}/${f.name}`),
          await Deno.readFile(`results/quick/${c.id}/${f.name}`),
          `${c.id}/${f.name}`,
        );
      }
    }

    const merged = await runDenoTask("merge", ["--dir", sharded, ...grid.slice(2)]);
    assert.equal(merged.code, 0, merged.stdout + merged.stderr);
    assert.match(
      merged.stdout,
      new RegExp(`complete: all 7 experiments[^\\n]*\\nroot digest ${root}`),
    );

    // A missing experiment, a shard's stale leftover and a running shard's run directory.
    const r = "0123456789abcdef";
    await Deno.remove(`${sharded}/${expected[0].id}`, { recursive: true });
    await Deno.mkdir(`${sharded}/.partial-${expected[1].id}-${r}`);
    await Deno.mkdir(`${sharded}/.run-${expected[2].id}`);
    await Deno.mkdir(`${sharded}/.partial-${expected[2].id}-${r}`);
    const partial = await runDenoTask("merge", ["--dir", sharded, ...grid.slice(2)]);
    assert.equal(partial.code, 1);
    assert.match(partial.stdout, new RegExp(`unfinished: ${expected[2].id} `));
    assert.match(partial.stdout, new RegExp(`partial: 1 of the 7 [^\\n]*: ${expected[0].id}\\n`));
    assert.match(partial.stdout, /\(of what is present\)/);
    const left = (await Array.fromAsync(Deno.readDir(sharded))).map((e) => e.name);
    assert.ok(!left.includes(`.partial-${expected[1].id}-${r}`), "a stale leftover is removed");
    assert.ok(left.includes(`.partial-${expected[2].id}-${r}`), "a running shard's is kept");
    assert.ok(!(await readProfileManifest(sharded)).experiments[expected[0].id]);

    const bad = await runDenoTask("merge", []);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: dir: required/);
    const badShard = await runDenoTask("reproduce", [...grid, "--out", sharded, "--shard", "4/3"]);
    assert.equal(badShard.code, 2);
    assert.match(badShard.stderr, /^error: shard: must be I\/N/);
  } finally {
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
});

Deno.test("merging a complete directory written by one process changes no byte of it (results/quick)", async () => {
  await inTempDirs(1, async ([dir]) => {
    const copy = `${dir}/quick`;
    await new Deno.Command("cp", { args: ["-r", "results/quick", copy] }).output();
    const before = await readProfileManifest(copy);
    const merged = await mergeShards(copy, "quick", QUICK);
    assert.deepEqual(merged.missing, []);
    assert.deepEqual(merged.problems, []);
    assert.equal(merged.root, before.root);
    assert.equal(await compareProfiles("results/quick", copy), null);
  });
});
