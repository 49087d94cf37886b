// The task sandbox and the rest of the trust model for a stranger's results directory, one test
// per case of the adversarial review (issue "a stranger's results directory never runs code
// outside a sandbox"), each run through the tasks as deno.json defines them.
import assert from "node:assert/strict";
import { forgeExperiment, runDenoTask } from "./helpers.ts";
import { readProfileManifest } from "../src/experiments/artifacts.ts";
import { wildcardMatch } from "../src/experiments/select.ts";
import { createScratch, removeStaleScratch } from "../src/verification/scratch.ts";
import { importSpecifiers } from "../src/sandbox/module_graph.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

/**
 * The source of a small task family (a point mass holding a task's velocity) with `prelude` at the
 * top level and `hook` at the start of every step: the shape of every hostile module below.
 */
function familySource(prelude = "", hook = "", fields = ""): string {
  return `${prelude}
class Episode {
  observation = new Float64Array(2);
  constructor(private task: { v: number }, rng: { uniformIn(a: number, b: number): number }) {
    this.observation[0] = rng.uniformIn(-0.1, 0.1);
  }
  step(action: Float64Array) {
    ${hook}
    this.observation[1] += action[0] * 0.1;
    this.observation[0] += this.observation[1] * 0.1;
    return { reward: -Math.abs(this.observation[1] - this.task.v), done: false };
  }
}
type Rng = { uniformIn(a: number, b: number): number };
export default {
  id: "hostile", obsDim: 2, actDim: 1, actionLow: [-1], actionHigh: [1],
  sampleTask: (rng: Rng) => ({ v: rng.uniformIn(-1, 1) }),
  describeTask: (t: { v: number }) => ({ v: t.v }),
  reset: (t: { v: number }, rng: Rng) => new Episode(t, rng),
  ${fields}
};
`;
}

/** A scratch folder under results/ (where the tasks may write), removed afterwards. */
async function scratch(f: (dir: string) => Promise<void>): Promise<void> {
  await Deno.mkdir("results", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: "results", prefix: "tmp-sandbox-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Write module `name` (and its --config file) into `dir`; the config's path. */
async function writeModule(dir: string, name: string, source: string, extra = {}) {
  await Deno.writeTextFile(`${dir}/${name}.ts`, source);
  const config = `${dir}/${name}.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ env: `${dir}/${name}.ts`, iterations: 2, checkpointEvery: 1, ...extra }),
  );
  return config;
}

function reproduce(config: string, out: string, ...more: string[]) {
  return runDenoTask("reproduce", [
    ...["--profile", "compare", "--seeds", "1", "--config", config, "--out", out],
    ...["--workers", "1", ...more],
  ]);
}

function assertOneLine(r: { code: number; stderr: string }, code: number, message: RegExp) {
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.split("\n").length, 1, r.stderr);
}

/** The committed quick profile's root, which nothing in these tests may change. */
const QUICK_ROOT = (await readProfileManifest("results/quick")).root;

Deno.test("case 1: a results directory's own task module is listed with its digest and refused without --allow-task-modules, by verify, verify --all and reproduce", async () => {
  await scratch(async (dir) => {
    const config = await writeModule(dir, "own", familySource());
    const refusal =
      /^error: 1 task module\(s\) that are not part of the package would run: "results\/tmp-sandbox-\w+\/own\.ts" sha256 [0-9a-f]{64} \(named by .*\); pass --allow-task-modules/;
    assertOneLine(await reproduce(config, `${dir}/out`), 2, refusal);
    assert.ok(!(await exists(`${dir}/out`)), "nothing written");
    const made = await reproduce(config, `${dir}/out`, "--allow-task-modules");
    assert.equal(made.code, 0, made.stderr);
    assertOneLine(await runDenoTask("verify", ["--dir", `${dir}/out`]), 2, refusal);
    // verify --all finds such a directory under results/ and refuses before it verifies anything.
    const top = `results/tmp-sandbox-all-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.rename(`${dir}/out`, top);
    try {
      const all = await runDenoTask("verify", ["--all"]);
      assertOneLine(all, 2, refusal);
      assert.match(all.stderr, new RegExp(`named by ${top}/own-maml-so-z1-s0 and 1 more`));
      assert.equal(all.stdout, "", "nothing was verified first");
    } finally {
      await Deno.rename(top, `${dir}/out`);
    }
    const allowed = await runDenoTask("verify", ["--dir", `${dir}/out`, "--allow-task-modules"]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /verified: 2 experiment\(s\)/);
  });
});

Deno.test("case 1: inside the sandbox a module reaches no FFI, no file outside its own, no write, no subprocess, no environment", async () => {
  await scratch(async (dir) => {
    await Deno.writeTextFile(`${dir}/secret.txt`, "TOP SECRET");
    const attacks: [string, string, RegExp][] = [
      ["ffi", `Deno.dlopen("libc.so.6", {});`, /Requires ffi access/],
      ["write", `Deno.writeTextFileSync("results/quick/pwned.txt", "x");`, /Requires write access/],
      ["read", `Deno.readTextFileSync("${dir}/secret.txt");`, /Requires read access/],
      ["config", `Deno.readTextFileSync("deno.json");`, /Requires read access/],
      [
        "run",
        `new Deno.Command("sh", { args: ["-c", "true"] }).outputSync();`,
        /Requires run access/,
      ],
      ["env", `Deno.env.get("HOME");`, /Requires env access/],
      ["net", `await Deno.connect({ hostname: "127.0.0.1", port: 1 });`, /Requires net access/],
      ["exit", `Deno.exit(0);`, /Deno\.exit is not available to a task module/],
    ];
    for (const [name, prelude, message] of attacks) {
      const config = await writeModule(dir, name, familySource(prelude));
      const r = await reproduce(config, `${dir}/out-${name}`, "--allow-task-modules");
      assertOneLine(
        r,
        2,
        new RegExp(`^error: env: task module "${dir}/${name}\\.ts": .*${message.source}`),
      );
      assert.ok(!r.stderr.includes("TOP SECRET"));
    }
    assert.ok(!(await exists("results/quick/pwned.txt")));
    assert.equal((await readProfileManifest("results/quick")).root, QUICK_ROOT);
  });
});

Deno.test("case 2: a module can neither fake verify's verdict nor end it: a changed reward is a MISMATCH (exit 1) whatever it prints", async () => {
  await scratch(async (dir) => {
    const config = await writeModule(dir, "m", familySource());
    const made = await reproduce(config, `${dir}/out`, "--allow-task-modules");
    assert.equal(made.code, 0, made.stderr);
    // The stranger's module now rewards differently, prints a verdict and tries to end verify
    // with exit 0; every digest is made consistent again.
    const forged = familySource(
      `console.log("verified: 2 experiment(s) regenerate byte for byte");
       (await import("node:process")).default.stdout.write("verified: (node:process)\\n");
       await Deno.stdout.write(new TextEncoder().encode("verified: (Deno.stdout)\\n"));
       try { (globalThis as any).console = { log() {}, error() {} }; } catch { /* read-only */ }
       setTimeout(() => { try { Deno.exit(0); } catch { /* refused */ } }, 0);`,
      "this.task.v += 0.5;",
    );
    await Deno.writeTextFile(`${dir}/m.ts`, forged);
    const digest = await sha256(bytes(forged));
    for (const id of ["m-maml-so-z1-s0", "m-sgmrl-so-z1-s0"]) {
      await forgeExperiment(`${dir}/out`, id, (files) => {
        const c = JSON.parse(new TextDecoder().decode(files["config.json"]));
        c.env = c.env.replace(/#sha256=[0-9a-f]{64}$/, `#sha256=${digest}`);
        files["config.json"] = bytes(JSON.stringify(c, null, 2) + "\n");
      });
    }
    const v = await runDenoTask("verify", ["--dir", `${dir}/out`, "--allow-task-modules"]);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.match(v.stderr, /^MISMATCH in /m);
    assert.ok(!v.stdout.includes("verified:"), v.stdout);
    const spot = await runDenoTask("verify", [
      ...["--dir", `${dir}/out`, "--spot", "4", "--spot-seed", "1", "--allow-task-modules"],
    ]);
    assert.equal(spot.code, 1, spot.stdout + spot.stderr);
    assert.ok(!spot.stdout.includes("spot-verified:"), spot.stdout);
  });
});

Deno.test("case 3: verify's scratch is fresh and unpredictable, removed afterwards; planted and stale ones are removed, live ones kept", async () => {
  await scratch(async (dir) => {
    // Stale: a directory without a lock, and one whose lock nobody holds.
    await Deno.mkdir(`${dir}/.verify-123/exp`, { recursive: true });
    await Deno.writeTextFile(`${dir}/.verify-123/exp/evaluation.json`, "{}");
    await Deno.mkdir(`${dir}/.verify-old`);
    await Deno.writeTextFile(`${dir}/.verify-old.lock`, "");
    const live = await createScratch(dir); // removes the stale ones first
    assert.ok(!(await exists(`${dir}/.verify-123`)) && !(await exists(`${dir}/.verify-old`)));
    assert.ok(!(await exists(`${dir}/.verify-old.lock`)));
    assert.deepEqual(await removeStaleScratch(dir), [], "a scratch in use is kept");
    assert.ok(await exists(live.path));
    assert.match(live.path, /\.verify-[0-9a-f-]{36}$/);
    await live.dispose();
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
  // Through the task: a planted results/.verify-<pid> never counts, and nothing is left behind.
  const planted = `results/.verify-${Deno.pid + 1}`;
  await Deno.mkdir(`${planted}/nav2d-maml-so-z1-s0`, { recursive: true });
  try {
    const v = await runDenoTask("verify", ["--profile", "theory"]);
    assert.equal(v.code, 0, v.stderr);
    assert.ok(!(await exists(planted)), "the planted scratch was removed as stale");
    const left = [...Deno.readDirSync("results")].filter((e) => e.name.startsWith(".verify-"));
    assert.deepEqual(left, []);
  } finally {
    await Deno.remove(planted, { recursive: true }).catch(() => {});
  }
});

Deno.test("case 4: an output inside a results directory (anything below a manifest.json) is refused before anything is written", async () => {
  const before = (await readProfileManifest("results/quick")).root;
  const cases: [string, string[], string][] = [
    [
      "reproduce",
      ["--out", "results/quick/nav2d-maml-so-z1-s0", "--only", "nav2d-maml-so-z1-s0"],
      "out",
    ],
    ["reproduce", ["--out", "results/quick/new/deeper", "--only", "nav2d-maml-so-z1-s0"], "out"],
    ["merge", ["--dir", "results/paper/nav2d-maml-so-z1-s0"], "dir"],
    ["theory", ["--out", "results/quick/x"], "out"],
    ["analyse", ["--out", "results/analysis/summary"], "out"],
  ];
  for (const [task, args, option] of cases) {
    const r = await runDenoTask(task, args);
    assertOneLine(
      r,
      2,
      new RegExp(`^error: ${option}: ".*" lies inside the results directory "results/\\w+"`),
    );
  }
  assert.ok(!(await exists("results/quick/new")));
  assert.equal((await readProfileManifest("results/quick")).root, before);
});

Deno.test("case 5: the pin covers the module graph: a changed, added or unpinned import is refused naming the file and both digests", async () => {
  await scratch(async (dir) => {
    await Deno.writeTextFile(`${dir}/helper.ts`, "export const SCALE = 0.1;\n");
    const config = await writeModule(
      dir,
      "g",
      familySource(`import { SCALE } from "./helper.ts";`, "void SCALE;"),
    );
    const made = await reproduce(config, `${dir}/out`, "--allow-task-modules");
    assert.equal(made.code, 0, made.stderr);
    const recorded = JSON.parse(await Deno.readTextFile(`${dir}/out/g-maml-so-z1-s0/config.json`));
    assert.deepEqual(Object.keys(recorded.envImports), [`${dir}/helper.ts`]);
    await Deno.writeTextFile(`${dir}/helper.ts`, "export const SCALE = 0.2;\n");
    const v = await runDenoTask("verify", ["--dir", `${dir}/out`, "--allow-task-modules"]);
    assertOneLine(
      v,
      2,
      new RegExp(
        `^error: env: task module "${dir}/g\\.ts" loads "${dir}/helper\\.ts", which has changed since this configuration was written \\(sha256 ${
          recorded.envImports[`${dir}/helper.ts`]
        } recorded, [0-9a-f]{64} now\\)`,
      ),
    );
  });
  assert.throws(() => importSpecifiers("const m = await import(`./${name}.ts`);"), /computed/);
  assert.deepEqual(
    importSpecifiers(
      'export * from "./a.ts";\nimport "./b.ts";\nconst c = await import("./c.ts");\nnew Worker(new URL("./d.ts", import.meta.url));',
    ).sort(),
    ["./a.ts", "./b.ts", "./c.ts", "./d.ts"],
  );
});

Deno.test("case 6: a module that spins is stopped after --task-timeout, naming module and experiment; signals still stop a run with one worker", async () => {
  await scratch(async (dir) => {
    const config = await writeModule(dir, "spin", familySource("", "while (true) { /* stuck */ }"));
    const r = await reproduce(config, `${dir}/out`, "--allow-task-modules", "--task-timeout", "2");
    assertOneLine(
      r,
      2,
      new RegExp(
        `^error: task module "${dir}/spin\\.ts" \\(experiment spin-maml-so-z1-s0, iteration 0\\): made no progress for 2 s`,
      ),
    );
    // A module whose import never finishes, posting heartbeats of its own, is stopped all the same.
    const forged = await writeModule(
      dir,
      "beats",
      familySource(
        `setInterval(() => self.postMessage({ id: 0, alive: true }), 100);
         await new Promise(() => {});`,
      ),
    );
    const beats = await reproduce(
      forged,
      `${dir}/out3`,
      "--allow-task-modules",
      "--task-timeout",
      "2",
    );
    assertOneLine(
      beats,
      2,
      new RegExp(`^error: env: task module "${dir}/beats\.ts": made no progress for 2 s`),
    );
    // With the default timeout, SIGTERM twice (the second a second later) still ends the run:
    // the main thread is never the one that samples.
    const tasks = JSON.parse(await Deno.readTextFile("deno.json")).tasks as Record<string, string>;
    const [, ...command] = tasks.reproduce.split(" ");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        ...command,
        ...["--profile", "compare", "--seeds", "1", "--config", config, "--out", `${dir}/out2`],
        ...["--workers", "1", "--allow-task-modules"],
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // (A machine slow enough that the first signal comes before the handler is installed ends
    // the process at once, with the same code: the second signal then finds it gone.)
    const kill = () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already ended */ }
    };
    await new Promise((resolve) => setTimeout(resolve, 4000));
    kill();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    kill();
    const status = await child.output();
    assert.equal(status.code, 143);
  });
});

Deno.test("case 6: a module whose heap grows without bound is stopped with one line, before V8's limit ends the process", async () => {
  await scratch(async (dir) => {
    const config = await writeModule(
      dir,
      "leak",
      familySource("const hoard: number[][] = [];", "hoard.push(new Array(1e6).fill(1.5));"),
    );
    const r = await reproduce(config, `${dir}/out`, "--allow-task-modules");
    assertOneLine(
      r,
      2,
      /^error: task module ".*leak\.ts" \(experiment leak-maml-so-z1-s0, iteration 0\): .*its JavaScript heap grew to \d+ MiB, over the limit of 2048 MiB$/,
    );
  });
});

Deno.test("case 7: --only matches in linear time; an empty pattern or control characters are refused", async () => {
  const stars = "*".repeat(40) + "x";
  assert.equal(wildcardMatch(stars, "a".repeat(5000)), false);
  assert.equal(wildcardMatch("a*b*c", "aXbYc"), true);
  assert.equal(wildcardMatch("a*b*c", "aXcYb"), false);
  assert.equal(wildcardMatch("*so-z1*", "nav2d-maml-so-z1-s0"), true);
  assert.equal(wildcardMatch("ab*ba", "aba"), false, "prefix and suffix may not overlap");
  const slow = await runDenoTask("reproduce", ["--only", "a*".repeat(60) + "b", "--list"]);
  assertOneLine(slow, 2, /matches no experiment id/);
  for (const pattern of ["", "nav\u001b[31m", "nav2d (x)"]) {
    const r = await runDenoTask("reproduce", ["--only", pattern, "--list"]);
    assertOneLine(r, 2, /^error: only: a pattern of 1 to 200 letters/);
    assert.ok(!r.stderr.includes("\u001b"));
  }
});

Deno.test("case 8: a broken family is one line naming the module (and the experiment and iteration when it runs) and what it broke", async () => {
  await scratch(async (dir) => {
    const cases: [string, string, string, string, RegExp][] = [
      [
        "throws",
        `throw new Error("no such table");`,
        "",
        "",
        /importing it failed: Error: no such table/,
      ],
      [
        "nanbound",
        "",
        "",
        "actionHigh: [NaN],",
        /actionHigh\[0\] must be a finite number, got NaN/,
      ],
      [
        "inverted",
        "",
        "",
        "actionLow: [2],",
        /actionLow\[0\] = 2 must be below actionHigh\[0\] = 1/,
      ],
      ["huge", "", "", "obsDim: 1e8,", /obsDim must be an integer in \[1, 4096\], got 100000000/],
      [
        "nanreward",
        "",
        "return { reward: NaN, done: false };",
        "",
        /step 1 returned reward NaN, not a finite number/,
      ],
      ["nothing", "", "return;", "", /step 1 returned undefined, not \{ reward, done \}/],
      [
        "shortobs",
        "",
        "this.observation = new Float64Array(1); return { reward: 0, done: false };",
        "",
        /after step 1: the episode's observation must be a Float64Array of obsDim \(2\) numbers, got 1 numbers/,
      ],
      [
        "donestr",
        "",
        'return { reward: 0, done: "no" };',
        "",
        /step 1 returned done "no", not a boolean/,
      ],
    ];
    for (const [name, prelude, hook, fields, message] of cases) {
      const config = await writeModule(dir, name, familySource(prelude, hook, fields));
      const r = await reproduce(config, `${dir}/out-${name}`, "--allow-task-modules");
      const where = hook === ""
        ? `env: task module "${dir}/${name}\\.ts"`
        : `task module "${dir}/${name}\\.ts" \\(experiment ${name}-maml-so-z1-s0, iteration 0\\)`;
      assertOneLine(r, 2, new RegExp(`^error: ${where}: .*${message.source}`));
      assert.ok(!(await exists(`${dir}/out-${name}/manifest.json`)), name);
    }
  });
});

Deno.test("case 9: unresolvable outputs are exit 2 naming the option; a directory named timings.json and an unfinished run are reported for what they are", async () => {
  await scratch(async (dir) => {
    await Deno.symlink("loop", `${dir}/loop`);
    assertOneLine(
      await runDenoTask("reproduce", ["--out", `${dir}/loop/x`, "--list"]),
      2,
      /^error: out: ".*\/loop\/x" cannot be resolved \(Too many levels of symbolic links\)$/,
    );
    assertOneLine(
      await runDenoTask("reproduce", ["--out", `${dir}/${"a".repeat(300)}`, "--list"]),
      2,
      /^error: out: ".*…" cannot be resolved \(File name too long\)$/,
    );
    const config = await writeModule(dir, "m", familySource());
    const made = await reproduce(config, `${dir}/out`, "--allow-task-modules");
    assert.equal(made.code, 0, made.stderr);
    await Deno.remove(`${dir}/out/timings.json`);
    await Deno.mkdir(`${dir}/out/timings.json`);
    const v = await runDenoTask("verify", ["--dir", `${dir}/out`, "--allow-task-modules"]);
    assertOneLine(v, 1, /timings\.json\/: not listed in manifest\.json; nothing was run$/);
    await Deno.remove(`${dir}/out/timings.json`);
    await Deno.mkdir(`${dir}/out/.run-m-maml-so-z1-s0`);
    const running = await runDenoTask("verify", ["--dir", `${dir}/out`, "--allow-task-modules"]);
    assertOneLine(running, 1, /\.run-m-maml-so-z1-s0\/: an unfinished run's checkpoints/);
  });
});

Deno.test("case 9: two identical reproduce runs at once both succeed with one run's bytes (one trains each experiment, the other keeps it)", async () => {
  await scratch(async (dir) => {
    const args = ["--profile", "quick", "--only", "nav2d-maml-so-z1-s*", "--out", `${dir}/out`];
    const [a, b] = await Promise.all([
      runDenoTask("reproduce", [...args, "--workers", "1"]),
      runDenoTask("reproduce", [...args, "--workers", "1"]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const root = (await readProfileManifest(`${dir}/out`)).root;
    const quick = await readProfileManifest("results/quick");
    for (const id of ["nav2d-maml-so-z1-s0", "nav2d-maml-so-z1-s1"]) {
      const ours = await readProfileManifest(`${dir}/out`);
      assert.equal(ours.experiments[id], quick.experiments[id], id);
    }
    assert.match(a.stdout + b.stdout, new RegExp(root));
  });
});

Deno.test("FFI only when the native backend is asked for: reproduce and verify have none, reproduce:native and verify:native have it", async () => {
  const tasks = JSON.parse(await Deno.readTextFile("deno.json")).tasks as Record<string, string>;
  for (const name of ["reproduce", "verify", "merge", "analyse", "theory"]) {
    assert.ok(!tasks[name].includes("--allow-ffi"), name);
  }
  for (const name of ["reproduce", "verify"]) {
    assert.equal(
      tasks[`${name}:native`],
      tasks[name].replace("--allow-read=.", "--allow-read=. --allow-ffi=/usr/lib,/usr/lib64"),
    );
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function sha256(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as BufferSource));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("case 9: docs/reproducing.md's quick-profile table and root digest are those of the committed results", async () => {
  const readme = await Deno.readTextFile("docs/reproducing.md");
  const section = readme.split("## Results of the quick profile")[1].split("\n## ")[0];
  const cells = (text: string) =>
    text.split("\n").filter((l) => l.startsWith("|") && !/^\|\s*-/.test(l)).map((l) =>
      l.split("|").slice(1, -1).map((c) => c.trim())
    );
  const table = await Deno.readTextFile("results/quick/summary/table.md");
  assert.deepEqual(cells(section), cells(table));
  const root = (await readProfileManifest("results/quick")).root;
  const shown = /root digest `([0-9a-f]{8})…([0-9a-f]{4})`/.exec(section);
  assert.ok(shown !== null, "the section names the root digest");
  assert.equal(`${shown[1]}…${shown[2]}`, `${root.slice(0, 8)}…${root.slice(-4)}`);
});
