// Verify is a trust boundary: every case of the adversarial review, one test each (named by its
// case number), run through the tasks as deno.json defines them. Each refusal is one line, with
// the documented exit code, before anything runs or is written, and never quotes a file the task
// should not show.
import assert from "node:assert/strict";
import { checkManifests, readProfileManifest } from "../src/experiments/artifacts.ts";
import { useBackend } from "../src/kernels/backend.ts";
import { runExperiments } from "../src/experiments/reproduce.ts";
import { forgeExperiment, runDenoTask, tinyConfig } from "./helpers.ts";

await useBackend("wasm");

const CONFIGS = [
  tinyConfig("sgmrl", "autodiff", 1, 0, { iterations: 4, checkpointEvery: 2 }),
  tinyConfig("maml", "autodiff", 1, 0, { iterations: 4, checkpointEvery: 2 }),
];
const SECRET = "TOP-SECRET-LINE do not print";
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

/** A scratch results directory under results/ (where the tasks may write), removed afterwards. */
async function scratch(f: (dir: string) => Promise<void>, label = "trust"): Promise<void> {
  await Deno.mkdir("results", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: "results", prefix: "tmp-trust-" });
  try {
    await runExperiments(CONFIGS, `${dir}/r`, label);
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A secret file outside the project, removed afterwards. */
async function outsideSecret(f: (path: string, outsideDir: string) => Promise<void>) {
  const outside = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${outside}/secret.txt`, `${SECRET}\n`);
    await f(`${outside}/secret.txt`, outside);
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
}

function assertOneLine(r: { code: number; stderr: string }, code: number, message: RegExp) {
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.split("\n").length, 1, r.stderr);
  assert.ok(!r.stderr.includes(SECRET), r.stderr);
}

Deno.test("case 1: verify checks every manifest, config and cost before it runs anything", async () => {
  await scratch(async (dir) => {
    const r = `${dir}/r`;
    const id = CONFIGS[0].id;
    // An edited iteration count, manifests left alone: a digest problem, nothing run.
    const config = JSON.parse(await Deno.readTextFile(`${r}/${id}/config.json`));
    await Deno.writeTextFile(
      `${r}/${id}/config.json`,
      JSON.stringify({ ...config, iterations: 1_000_000 }),
    );
    let v = await runDenoTask("verify", ["--dir", r, "--workers", "1"]);
    assertOneLine(
      v,
      1,
      new RegExp(`^MISMATCH in ${r}: ${id}/config.json: digest .*; nothing was run$`),
    );
    // The same edit with every manifest rewritten: the cost budget refuses it (exit 2).
    await forgeExperiment(r, id, (f) => {
      f["config.json"] = bytes(JSON.stringify({ ...config, iterations: 1_000_000 }, null, 2));
    });
    v = await runDenoTask("verify", ["--dir", r, "--workers", "1"]);
    assertOneLine(
      v,
      2,
      /^error: experiment nav2d-sgmrl-so-z1-s0: config\.iterations = 1000000 is more than the 500 iterations of the paper's 2D-navigation experiment, verify's budget; pass --allow-expensive/,
    );
    // In-schema but huge sizes: the memory estimate refuses them, naming the field.
    await forgeExperiment(r, id, (f) => {
      f["config.json"] = bytes(JSON.stringify({ ...config, metaBatchSize: 4096, horizon: 100000 }));
    });
    v = await runDenoTask("verify", ["--dir", r, "--workers", "1", "--allow-expensive"]);
    assertOneLine(
      v,
      2,
      /^error: experiment .*: config\.horizon = 100000 makes sampling need about/,
    );
  });
  await scratch(async (dir) => {
    const r = `${dir}/r`;
    // An edited env is blamed on config.json, not on a later file.
    const id = CONFIGS[1].id;
    const path = `${r}/${id}/config.json`;
    const original = await Deno.readTextFile(path);
    await Deno.writeTextFile(path, original.replace('"nav2d"', '"half-cheetah-dir"'));
    const v = await runDenoTask("verify", ["--dir", r, "--workers", "1"]);
    assertOneLine(v, 1, new RegExp(`${id}/config.json: digest`));
    await Deno.writeTextFile(path, original);
    // params.bin swapped for a device (through a link) or a pipe: refused unread, at once.
    await Deno.remove(`${r}/${CONFIGS[0].id}/params.bin`);
    await Deno.symlink("/dev/zero", `${r}/${CONFIGS[0].id}/params.bin`);
    const device = await runDenoTask("verify", ["--dir", r, "--workers", "1"]);
    assertOneLine(device, 1, /params\.bin: a symbolic link/);
    await Deno.remove(`${r}/${CONFIGS[0].id}/params.bin`);
    await new Deno.Command("mkfifo", { args: [`${r}/${CONFIGS[0].id}/params.bin`] }).output();
    const pipe = await runDenoTask("verify", ["--dir", r, "--workers", "1"]);
    assertOneLine(pipe, 1, /params\.bin: not a regular file or directory/);
  });
});

Deno.test("case 2: symbolic links never lead a task outside what it may read or write", async () => {
  await outsideSecret(async (secret, outside) => {
    await scratch(async (dir) => {
      const r = `${dir}/r`;
      // A results file replaced by a link to a file outside the project.
      const metrics = `${r}/${CONFIGS[0].id}/metrics.csv`;
      await Deno.remove(metrics);
      await Deno.symlink(secret, metrics);
      const v = await runDenoTask("verify", ["--dir", r, "--workers", "1"]);
      assertOneLine(v, 1, /metrics\.csv: a symbolic link/);
      assert.ok(!v.stdout.includes(SECRET));
      // --config through a link, and --config naming a file that is not JSON.
      await Deno.symlink(secret, `${dir}/config-link.json`);
      const linked = await runDenoTask("reproduce", ["--config", `${dir}/config-link.json`]);
      assertOneLine(
        linked,
        2,
        /^error: config: ".*config-link\.json" is outside what this task may read/,
      );
      await Deno.writeTextFile(`${dir}/not-json.json`, SECRET);
      const notJson = await runDenoTask("reproduce", ["--config", `${dir}/not-json.json`]);
      assertOneLine(notJson, 2, /^error: config: ".*not-json\.json" is not valid JSON/);
      // --out through a link to a directory outside results/.
      await Deno.symlink(outside, `${dir}/out-link`);
      const out = await runDenoTask("reproduce", [
        "--out",
        `${dir}/out-link`,
        "--only",
        "nav2d-sgmrl-so-z1-s0",
      ]);
      assertOneLine(out, 2, /^error: out: ".*out-link" is not writable: it resolves to/);
      assert.deepEqual((await Array.fromAsync(Deno.readDir(outside))).map((e) => e.name), [
        "secret.txt",
      ]);
    });
  });
});

Deno.test("case 3: every task runs with --no-prompt, so a terminal never offers to widen its permissions", async () => {
  const tasks = JSON.parse(await Deno.readTextFile("deno.json")).tasks as Record<string, string>;
  for (const name of ["reproduce", "verify", "bench", "theory", "bounds"]) {
    assert.match(tasks[name], /^deno run --no-prompt /, name);
  }
  // In a real terminal (script(1) allocates one), a write outside results/ is refused at once.
  const outside = await Deno.makeTempDir();
  try {
    const command = tasks.reproduce.replace(/^deno /, `${Deno.execPath()} `);
    const out = await new Deno.Command("script", {
      args: ["-qec", `${command} --only nav2d-sgmrl-so-z1-s0 --out ${outside}/sub`, "/dev/null"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const shown = text(out.stdout);
    assert.equal(out.code, 2, shown);
    assert.match(shown, /out: .* is not writable/);
    assert.ok(!/Allow\?|Grant|\[y\/n/.test(shown), shown);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(outside)), []);
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("case 4: counts have upper bounds, with the allowed range in the message", async () => {
  for (
    const [task, args, message] of [
      ["reproduce", ["--seeds", "999999999"], /^error: seeds must be an integer in \[1, 1000\]/],
      ["reproduce", ["--workers", "1000"], /^error: workers must be an integer in \[1, 64\]/],
      ["verify", ["--workers", "1000"], /^error: workers must be an integer in \[1, 64\]/],
      ["verify", ["--spot", "99999999999999999999"], /^error: spot must be a positive integer/],
    ] as const
  ) {
    assertOneLine(await runDenoTask(task, [...args]), 2, message);
  }
});

Deno.test("case 5: overrides that would give two experiments one id are refused", async () => {
  await Deno.mkdir("results", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: "results", prefix: "tmp-trust-" });
  try {
    await Deno.writeTextFile(`${dir}/env.json`, '{"env": "nav2d"}');
    const r = await runDenoTask("reproduce", [
      "--profile",
      "paper",
      "--config",
      `${dir}/env.json`,
      "--out",
      `${dir}/out`,
    ]);
    assertOneLine(
      r,
      2,
      /^error: config: two experiments would share the id "nav2d-maml-so-z1-s0" \(they differ in .*\)/,
    );
    await assert.rejects(Deno.stat(`${dir}/out`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("case 6: no task writes into, or relabels, the results root or another profile's directory", async () => {
  const before = await Deno.readFile("results/quick/manifest.json");
  const theoryBefore = await Deno.readFile("results/theory/manifest.json");
  for (
    const [task, args, message] of [
      [
        "reproduce",
        ["--out", "results", "--only", "nav2d-sgmrl-so-z1-s0"],
        /out: "results" holds profile directories \(.*quick.*theory.*\)/,
      ],
      [
        "reproduce",
        ["--out", "results/theory", "--only", "nav2d-sgmrl-so-z1-s0"],
        /out: "results\/theory" holds the theory profile's results; write the quick profile's elsewhere/,
      ],
      ["reproduce", [
        "--profile",
        "paper",
        "--out",
        "results/quick",
        "--only",
        "nav2d-sgmrl-so-z1-s0",
      ], /out: "results\/quick" is the quick profile's directory/],
      [
        "theory",
        ["--out", "results/quick"],
        /out: "results\/quick" holds the quick profile's results/,
      ],
      ["theory", ["--out", "results"], /out: "results" holds profile directories/],
    ] as const
  ) {
    assertOneLine(await runDenoTask(task, [...args]), 2, message);
  }
  await assert.rejects(Deno.stat("results/manifest.json"), Deno.errors.NotFound);
  assert.deepEqual(await Deno.readFile("results/quick/manifest.json"), before);
  assert.deepEqual(await Deno.readFile("results/theory/manifest.json"), theoryBefore);
});

Deno.test("case 7: leftovers of a kill between renames are ignored by git at any depth and removed by the next run", async () => {
  const ignore = await Deno.readTextFile(".gitignore");
  for (const pattern of ["results/**/.partial-*", "results/**/.run-*"]) {
    assert.ok(ignore.split("\n").includes(pattern), pattern);
  }
  // The kill itself, between moving a replaced experiment aside and moving the new one in, is
  // test/kill_resume_test.ts's "kill -9 between moving a replaced experiment aside …".
  await scratch(async (dir) => {
    const r = `${dir}/r`;
    await Deno.rename(
      `${r}/${CONFIGS[0].id}`,
      `${r}/.partial-old-${CONFIGS[0].id}-0123456789abcdef`,
    );
    await runExperiments(CONFIGS, r, "trust");
    assert.deepEqual(await checkManifests(r), []);
  });
});

Deno.test("case 8: verify reports unlisted files, custom directories and the root digest; --config never overwrites a profile's results", async () => {
  await scratch(async (dir) => {
    const r = `${dir}/r`;
    await Deno.writeTextFile(`${r}/${CONFIGS[0].id}/extra.txt`, "nobody listed me");
    const extra = await runDenoTask("verify", ["--dir", r, "--workers", "1"]);
    assertOneLine(extra, 1, /extra\.txt: not listed in .*manifest\.json; nothing was run/);
  });
  await scratch(async (dir) => {
    // A tiny run labelled "quick" passes its own regeneration, but is called custom, loudly.
    const r = `${dir}/r`;
    const v = await runDenoTask("verify", ["--dir", r, "--workers", "1"]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(
      v.stdout,
      /NOTE: .* is labelled "quick" but is a CUSTOM directory, not the quick profile: nav2d-maml-so-z1-s0\/config\.json: .*iterations.* differ/,
    );
    assert.match(v.stdout, /verified: 2 experiment\(s\) .* \(root [0-9a-f]{64}\)/);
    assert.ok(v.stdout.includes((await readProfileManifest(r)).root));
  }, "quick");
  // --config with --out results/quick would overwrite the committed results: refused. Without
  // --out the run is the user's own, under results/runs/quick (--list: checked, nothing written).
  const before = await Deno.readFile("results/quick/manifest.json");
  await Deno.mkdir("results", { recursive: true });
  const file = await Deno.makeTempFile({ dir: "results", prefix: "tmp-trust-", suffix: ".json" });
  try {
    await Deno.writeTextFile(file, '{"iterations": 3}');
    const only = ["--config", file, "--only", "nav2d-sgmrl-so-z1-s0"];
    const r = await runDenoTask("reproduce", [...only, "--out", "results/quick"]);
    assertOneLine(
      r,
      2,
      /^error: out: "results\/quick" holds the quick profile's own results, and --config or --backend change them \(.*iterations.*\)/,
    );
    const own = await runDenoTask("reproduce", [...only, "--list"]);
    // Where the user has trained the quick profile without --out, their own experiment of the
    // profile's configuration is not overwritten either: refused, naming it.
    const users = await Deno.stat("results/runs/quick/nav2d-sgmrl-so-z1-s0").then(
      () => true,
      () => false,
    );
    if (users) {
      assertOneLine(
        own,
        2,
        /^error: out: "results\/runs\/quick\/nav2d-sgmrl-so-z1-s0" holds a finished experiment of another configuration/,
      );
    } else {
      assert.equal(own.code, 0, own.stderr);
      assert.match(own.stdout, /^nav2d-sgmrl-so-z1-s0\t/);
    }
  } finally {
    await Deno.remove(file);
  }
  assert.deepEqual(await Deno.readFile("results/quick/manifest.json"), before);
});

Deno.test("case 9: theory refuses values that would overflow, and one-action problems", async () => {
  await Deno.mkdir("results", { recursive: true });
  const file = await Deno.makeTempFile({ dir: "results", prefix: "tmp-trust-", suffix: ".json" });
  const problem = {
    states: 1,
    actions: 2,
    horizon: 1,
    gamma: 0.9,
    alpha: 0.5,
    innerSteps: 1,
    batchIn: 1,
    batchOut: 1,
    tasks: [{ weight: 1, mu: [1], P: [[[1], [1]]], r: [[1, 0]] }],
    theta: [0.1, -0.1],
  };
  try {
    for (
      const [change, message] of [
        [{ alpha: 1e308 }, /^error: alpha: .*1000/],
        [{ theta: [1e308, 0] }, /^error: theta\.0: .*1000/],
        [
          { tasks: [{ ...problem.tasks[0], r: [[1e308, 0]] }] },
          /^error: tasks\.0\.r\.0\.0: .*1000000/,
        ],
        [
          { actions: 1, theta: [0], tasks: [{ weight: 1, mu: [1], P: [[[1]]], r: [[1]] }] },
          /^error: actions: at least 2 actions/,
        ],
      ] as const
    ) {
      await Deno.writeTextFile(file, JSON.stringify({ ...problem, ...change }));
      for (const task of ["theory", "bounds"]) {
        const args = task === "theory"
          ? ["--mdp", file]
          : ["--mdp", file, "--rho", "1", "--B", "1", "--epsilon", "0.1"];
        assertOneLine(await runDenoTask(task, args), 2, message);
      }
    }
    // Within the bounds, a problem whose ∇V is 0 prints no NaN.
    await Deno.writeTextFile(
      file,
      JSON.stringify({ ...problem, tasks: [{ ...problem.tasks[0], r: [[1, 1]] }] }),
    );
    const flat = await runDenoTask("theory", ["--mdp", file]);
    assert.equal(flat.code, 0, flat.stderr);
    assert.ok(!flat.stdout.includes("NaN"), flat.stdout);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("case 10: a profile name from Object.prototype is an unknown profile", async () => {
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    const r = await runDenoTask("reproduce", ["--profile", name]);
    assertOneLine(
      r,
      2,
      new RegExp(
        `^error: profile must be one of paper, quick, multistep, published, ablation, compare, got "${name}"`,
      ),
    );
  }
});

Deno.test("case 11: a configuration near WebAssembly's 4 GiB is refused before it starts, naming experiment and field", async () => {
  await Deno.mkdir("results", { recursive: true });
  const file = await Deno.makeTempFile({ dir: "results", prefix: "tmp-trust-", suffix: ".json" });
  try {
    for (
      const [config, message] of [
        [
          { horizon: 3400 },
          /^error: experiment nav2d-sgmrl-so-z1-s0: config\.horizon = 3400 makes the learner \(one WebAssembly heap\) need about 3\.\d GiB, over the 3\.0 GiB limit/,
        ],
        [{
          policy: {
            hidden: [4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096],
            activation: "relu",
            initStd: 1,
          },
        }, /^error: experiment nav2d-sgmrl-so-z1-s0: config\.policy\.hidden = \[4096,.*\] makes/],
      ] as const
    ) {
      await Deno.writeTextFile(file, JSON.stringify(config));
      const r = await runDenoTask("reproduce", [
        "--profile",
        "paper",
        "--only",
        "nav2d-sgmrl-so-z1-s0",
        "--config",
        file,
        "--out",
        "results/tmp-trust-never",
      ]);
      assertOneLine(r, 2, message);
      await assert.rejects(Deno.stat("results/tmp-trust-never"), Deno.errors.NotFound);
    }
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("case 12: problem and config files are read only as regular files of at most 1 MiB", async () => {
  await Deno.mkdir("results", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: "results", prefix: "tmp-trust-" });
  try {
    await Deno.writeTextFile(`${dir}/big.json`, `{"x": "${"a".repeat(2 << 20)}"}`);
    await new Deno.Command("mkfifo", { args: [`${dir}/pipe.json`] }).output();
    for (
      const [task, option, path, message] of [
        [
          "theory",
          "--mdp",
          "/dev/zero",
          /^error: mdp: cannot read "\/dev\/zero": not a regular file/,
        ],
        [
          "bounds",
          "--mdp",
          "/dev/zero",
          /^error: mdp: cannot read "\/dev\/zero": not a regular file/,
        ],
        [
          "theory",
          "--mdp",
          `${dir}/pipe.json`,
          /^error: mdp: cannot read ".*pipe\.json": not a regular file/,
        ],
        [
          "theory",
          "--mdp",
          `${dir}/big.json`,
          /^error: mdp: cannot read ".*big\.json": 2\.0 MiB, larger than 1\.0 MiB/,
        ],
        [
          "reproduce",
          "--config",
          `${dir}/pipe.json`,
          /^error: config: cannot read ".*pipe\.json": not a regular file/,
        ],
      ] as const
    ) {
      assertOneLine(await runDenoTask(task, [option, path]), 2, message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
