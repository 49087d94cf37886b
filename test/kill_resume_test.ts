// Real processes killed and resumed: `deno task reproduce` (through a fixture that can kill
// itself with SIGKILL at any file-system rename) is killed at chosen renames, including inside
// the rename into place of a new and of a replaced experiment, and at random moments; SIGTERM
// and SIGINT stop it with exit 75. Rerunning the same command must end with the bytes of an
// uninterrupted run and nothing left over.
import { isLockFileName } from "../src/experiments/directory_lock.ts";
import assert from "node:assert/strict";
import { checkManifests } from "../src/experiments/artifacts.ts";
import { compareProfiles } from "../src/experiments/compare.ts";
import { stream } from "../src/core/rng.ts";
import { REPEATED_SIGNAL_MS } from "../src/cli.ts";

const FIXTURE = "test/fixtures/reproduce_with_faults.ts";
const PERMISSIONS = [
  "--allow-sys=cpus",
  "--allow-read=.",
  "--allow-write=results",
  "--allow-env=FAULT_RENAME,FAULT_MATCH,FAULT_LOG",
  "--allow-run",
];
/** Two experiments (ζ = 1 and 2) of a tiny 2D-navigation setup. */
const ONLY = "nav2d-sgmrl-so-z*-s0";
const TINY = {
  metaBatchSize: 3,
  trajectoriesPerTask: 2,
  horizon: 8,
  policy: { hidden: [8], activation: "relu", initStd: 1 },
  evaluation: { tasks: 2, trajectoriesPerTask: 2 },
};

interface Outcome {
  code: number;
  signal: Deno.Signal | null;
  stderr: string;
  seconds: number;
}

async function reproduce(
  out: string,
  config: string,
  env: Record<string, string> = {},
  workers = 1,
): Promise<Outcome> {
  const start = performance.now();
  const result = await command(out, config, env, workers, "null").output();
  return {
    code: result.code,
    signal: result.signal,
    stderr: new TextDecoder().decode(result.stderr),
    seconds: (performance.now() - start) / 1000,
  };
}

function command(
  out: string,
  config: string,
  env: Record<string, string>,
  workers: number,
  stdout: "null" | "piped",
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      FIXTURE,
      ...["--only", ONLY, "--config", config, "--out", out, "--workers", String(workers)],
    ],
    env,
    stdout,
    stderr: "piped",
  });
}

/** A scratch directory under results/ (the only place the task may write), removed afterwards. */
async function inScratch(f: (dir: string) => Promise<void>): Promise<void> {
  await Deno.mkdir("results", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: "results", prefix: "tmp-kill-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function writeConfig(dir: string, iterations: number, every: number): Promise<string> {
  const path = `${dir}/config-${iterations}.json`;
  const evaluation = { tasks: 2, trajectoriesPerTask: 2, periodic: { every: 3, tasks: 2 } };
  await Deno.writeTextFile(
    path,
    JSON.stringify({ ...TINY, evaluation, iterations, checkpointEvery: every }),
  );
  return path;
}

/** The run finished, its directory checks, nothing is left over, and its bytes are `reference`'s. */
async function assertSameAsReference(reference: string, out: string, what: string) {
  assert.equal(await compareProfiles(reference, out), null, what);
  assert.deepEqual(await checkManifests(out), [], what);
  const names = (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name);
  // The directory's lock files (src/experiments/directory_lock.ts) are meant to stay.
  assert.deepEqual(
    names.filter((n) => n.startsWith(".") && !isLockFileName(n)),
    [],
    `${what}: leftovers`,
  );
}

function killed(o: Outcome): boolean {
  return o.signal === "SIGKILL" || o.code === 137;
}

Deno.test("kill -9 at 14 renames, inside the rename into place included, then the same command: uninterrupted bytes", async () => {
  await inScratch(async (dir) => {
    const config = await writeConfig(dir, 12, 4);
    const reference = `${dir}/reference`;
    const ref = await reproduce(reference, config, { FAULT_LOG: "1" });
    assert.equal(ref.code, 0, ref.stderr);
    const renames = [...ref.stderr.matchAll(/^rename (\d+) (\S+) -> (\S+)$/gm)].map((m) => ({
      n: Number(m[1]),
      from: m[2].replace(reference, ""),
      to: m[3].replace(reference, ""),
    }));
    const where = (p: (r: { from: string; to: string }) => boolean) =>
      renames.filter(p).map((r) => r.n);
    const intoPlace = where((r) => /^\/\.partial-nav2d-[^/]*$/.test(r.from));
    const checkpoints = where((r) => r.to.includes("/checkpoint-"));
    const metrics = where((r) => r.to.endsWith("/metrics.csv") && r.to.includes("/.run-"));
    const configs = where((r) => r.to.endsWith("/config.json"));
    const profile = where((r) => r.to === "/manifest.json" || r.to === "/timings.json");
    assert.equal(intoPlace.length, 2);
    assert.equal(checkpoints.length, 6);
    const points: [number, "before" | "after"][] = [
      [configs[0], "before"],
      [configs[0], "after"],
      [metrics[0], "after"],
      [checkpoints[0], "before"],
      [checkpoints[1], "after"],
      [checkpoints[2], "after"],
      [intoPlace[0], "before"],
      [intoPlace[0], "after"],
      [metrics[4], "before"],
      [checkpoints[5], "after"],
      [intoPlace[1], "before"],
      [intoPlace[1], "after"],
      [profile[0], "before"],
      [profile[1], "before"],
    ];
    for (const [k, [n, phase]] of points.entries()) {
      const out = `${dir}/run-${k}`;
      const what = `kill ${phase} rename ${n} (${renames[n - 1].from} -> ${renames[n - 1].to})`;
      const first = await reproduce(out, config, { FAULT_RENAME: `${n}:${phase}` });
      assert.ok(killed(first), `${what}: ${first.code} ${first.stderr}`);
      const second = await reproduce(out, config, {}, 1 + (k % 2));
      assert.equal(second.code, 0, `${what}: ${second.stderr}`);
      await assertSameAsReference(reference, out, what);
    }
  });
});

Deno.test("kill -9 between moving a replaced experiment aside and moving the new one in, then rerun (trust case 7)", async () => {
  await inScratch(async (dir) => {
    const config = await writeConfig(dir, 12, 4);
    const reference = `${dir}/reference`;
    assert.equal((await reproduce(reference, config)).code, 0);
    const out = `${dir}/replaced`;
    assert.equal((await reproduce(out, config)).code, 0);
    // Damage one finished experiment: the rerun replaces it, renaming the old one aside first.
    const id = "nav2d-sgmrl-so-z2-s0";
    const params = `${out}/${id}/params.bin`;
    const bytes = await Deno.readFile(params);
    bytes[3] ^= 0x10;
    await Deno.writeFile(params, bytes);
    const first = await reproduce(out, config, {
      FAULT_RENAME: "1:after",
      FAULT_MATCH: ".partial-old-",
    });
    assert.ok(killed(first), first.stderr);
    const names = (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort();
    assert.ok(!names.includes(id), "killed with neither copy in place");
    assert.ok(names.some((n) => n.startsWith(`.partial-old-${id}-`)), names.join());
    const second = await reproduce(out, config);
    assert.equal(second.code, 0, second.stderr);
    await assertSameAsReference(reference, out, "replaced experiment");
  });
});

Deno.test("kill -9 at five random moments in a row, then the same command: uninterrupted bytes", async () => {
  await inScratch(async (dir) => {
    const config = await writeConfig(dir, 40, 6);
    const reference = `${dir}/reference`;
    const ref = await reproduce(reference, config);
    assert.equal(ref.code, 0, ref.stderr);
    const out = `${dir}/random`;
    const s = stream({ seed: 2026, purpose: "test" });
    const delays: number[] = [];
    for (let k = 0; k < 5; k++) {
      const delay = 0.2 + s.uniform() * ref.seconds;
      delays.push(delay);
      const child = command(out, config, {}, 1 + (k % 2), "null").spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), delay * 1000);
      await child.output();
      clearTimeout(timer);
    }
    const last = await reproduce(out, config);
    assert.equal(last.code, 0, last.stderr);
    await assertSameAsReference(reference, out, `kills after ${delays.map((d) => d.toFixed(2))} s`);
  });
});

Deno.test("SIGTERM and SIGINT finish the iteration, checkpoint, exit 75; the same command resumes to the same bytes", async () => {
  await inScratch(async (dir) => {
    const config = await writeConfig(dir, 120, 50);
    const reference = `${dir}/reference`;
    assert.equal((await reproduce(reference, config)).code, 0);
    // SIGTERM mid-way through the second experiment, delivered twice 100 ms apart (as a batch
    // scheduler signals every process of a job, and deno task passes it on): one request, still
    // exit 75. SIGINT as soon as the first one is done.
    for (const [signal, delay] of [["SIGTERM", 300], ["SIGINT", 0]] as const) {
      const out = `${dir}/${signal}`;
      const child = command(out, config, {}, 1, "null").spawn();
      const decoder = new TextDecoder();
      const reader = child.stderr.getReader();
      let stderr = "";
      let signalled = false;
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        stderr += decoder.decode(chunk.value);
        if (!signalled && stderr.includes("done ")) {
          setTimeout(() => child.kill(signal), delay);
          // The repeat may find the child already checkpointed and gone (a fast machine).
          const repeat = () => {
            try {
              child.kill(signal);
            } catch (e) {
              if (!(e instanceof TypeError)) throw e;
            }
          };
          if (signal === "SIGTERM") setTimeout(repeat, delay + 100);
          signalled = true;
        }
      }
      const status = await child.status;
      assert.equal(status.code, 75, `${signal}: ${stderr}`);
      assert.match(stderr, new RegExp(`${signal}: finishing the current iteration`));
      assert.match(stderr, /stopped: 1 of 2 experiment\(s\) finished/);
      const resumed = await reproduce(out, config, {}, 2);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, /kept nav2d-sgmrl-so-z1-s0/);
      if (signal === "SIGTERM") {
        assert.match(resumed.stderr, /resume nav2d-sgmrl-so-z2-s0 from iteration [1-9]\d*/);
      }
      await assertSameAsReference(reference, out, signal);
    }
  });
});

/**
 * A process that calls `stopOnSignals` (src/cli.ts), signals itself once, waits for the request,
 * disposes the handlers as `reproduce` does once its experiments are checkpointed, then signals
 * itself again `gapMs` later and exits 75 after 300 ms more.
 */
async function stopTwice(signal: "SIGINT" | "SIGTERM", gapMs: number): Promise<number> {
  const cli = new URL("../src/cli.ts", import.meta.url).href;
  const script = `
    import { EXIT_INTERRUPTED, stopOnSignals } from "${cli}";
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const signals = stopOnSignals();
    Deno.kill(Deno.pid, "${signal}");
    while (!signals.requested()) await sleep(5);
    signals.dispose();
    await sleep(${gapMs});
    Deno.kill(Deno.pid, "${signal}");
    await sleep(300);
    Deno.exit(EXIT_INTERRUPTED);
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=js", script],
    stdout: "null",
    stderr: "null",
  });
  return (await child.output()).code;
}

Deno.test("a repeated stop signal that arrives after the checkpoint is absorbed (exit 75); one a second later still stops at once", async () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    assert.equal(await stopTwice(signal, 0), 75, `${signal} repeated at once`);
    assert.equal(
      await stopTwice(signal, REPEATED_SIGNAL_MS + 100),
      signal === "SIGINT" ? 130 : 143,
      `${signal} repeated after ${REPEATED_SIGNAL_MS + 100} ms`,
    );
  }
});
