// The native MuJoCo library through FFI (deno task test:native, which installs Debian's
// libmujoco2.2.2 and libmujoco-dev; without FFI permission the tests are reported as ignored): its layout offsets are the headers' (re-derived with a C
// compiler), its compiled models carry the WebAssembly engine's dynamics parameters field by field,
// its trajectories follow the WebAssembly engine's, it repeats itself bit for bit, and its states
// are freed.
import assert from "node:assert/strict";
import {
  DYNAMICS_ARRAYS,
  type DynamicsArray,
  loadNativeMujoco,
  MUJOCO_222_LAYOUT,
  NATIVE_MUJOCO_PACKAGE,
  NATIVE_NJMAX,
  type NativeModel,
  setsNjmax,
} from "../src/envs/native_mujoco.ts";
import { compileModelXml, loadMujoco } from "../src/envs/mujoco.ts";
import { loadLocomotionFamily, sharedModel } from "../src/envs/locomotion.ts";
import { InputError } from "../src/core/errors.ts";
import { useBackend } from "../src/kernels/backend.ts";
import { runExperiments } from "../src/experiments/reproduce.ts";
import { createThreads } from "../src/training/trainer.ts";
import { verifyProfile } from "../src/verification/verify.ts";
import { FFI_ALLOWED, inTempDirs, runHalfCheetahEpisodes, tinyConfig } from "./helpers.ts";

const native = { ignore: !FFI_ALLOWED };

const MODELS = ["half_cheetah", "swimmer"];
const modelXml = (name: string) => Deno.readTextFileSync(`src/envs/models/${name}.xml`);

/** The same control sequence as the MJCF conformance check: a sine per actuator plus noise. */
function controls(nu: number, steps: number): Float64Array[] {
  let s = 12345 >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  return Array.from({ length: steps }, (_, t) =>
    Float64Array.from(
      { length: nu },
      (_, j) => 0.7 * Math.sin(0.013 * t * (j + 1)) + 0.3 * rand(),
    ));
}

async function compiler(): Promise<string | undefined> {
  for (const cc of ["cc", "gcc"]) {
    try {
      const out = await new Deno.Command(cc, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      })
        .output();
      if (out.success) return cc;
    } catch {
      // not installed
    }
  }
  return undefined;
}

Deno.test(
  "the layout offsets are those of MuJoCo 2.2.2's headers (offsetof, compiled here)",
  native,
  async (t) => {
    const cc = await compiler();
    let headers = true;
    try {
      await Deno.stat("/usr/include/mujoco/mujoco.h");
    } catch {
      headers = false;
    }
    if (cc === undefined || !headers) {
      await t.step({
        name: `skipped: needs a C compiler and the headers (${cc ?? "no cc"}, libmujoco-dev)`,
        ignore: true,
        fn: () => {},
      });
      return;
    }
    const lines: string[] = [];
    const emit = (struct: string, section: string, fields: Record<string, number>) => {
      for (const field of Object.keys(fields)) {
        lines.push(`printf("${section}.${field} %zu\\n", offsetof(${struct}, ${field}));`);
      }
    };
    emit("mjModel", "model", MUJOCO_222_LAYOUT.model);
    emit("mjOption", "option", MUJOCO_222_LAYOUT.option);
    emit("mjData", "data", MUJOCO_222_LAYOUT.data);
    lines.push(`printf("vfs.size %zu\\n", sizeof(mjVFS));`);
    lines.push(`printf("vfs.filedata %zu\\n", offsetof(mjVFS, filedata));`);
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/layout.c`,
        `#include <stdio.h>\n#include <stddef.h>\n#include <mujoco/mujoco.h>\nint main(void) {\n${
          lines.join("\n")
        }\nreturn 0;\n}\n`,
      );
      const built = await new Deno.Command(cc, {
        args: [`${dir}/layout.c`, "-o", `${dir}/layout`],
        stderr: "piped",
      }).output();
      assert.ok(built.success, new TextDecoder().decode(built.stderr));
      const run = await new Deno.Command(`${dir}/layout`, { stdout: "piped" }).output();
      const measured: Record<string, number> = {};
      for (const line of new TextDecoder().decode(run.stdout).trim().split("\n")) {
        const [key, value] = line.split(" ");
        measured[key] = Number(value);
      }
      const expected: Record<string, number> = {};
      for (const [section, fields] of Object.entries(MUJOCO_222_LAYOUT)) {
        for (const [field, offset] of Object.entries(fields)) {
          expected[`${section}.${field}`] = offset;
        }
      }
      assert.deepEqual(measured, expected);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "compiled by either engine, the models carry the same dynamics parameters, field by field",
  native,
  async () => {
    const native = loadNativeMujoco();
    const wasm = await loadMujoco();
    for (const name of MODELS) {
      const own = native.compile(modelXml(name), name);
      const reference = compileModelXml(wasm, modelXml(name), name);
      try {
        const model = reference.model as unknown as Record<string, ArrayLike<number>> & {
          opt: Record<string, number | ArrayLike<number>>;
        };
        for (const size of ["nq", "nv", "nu", "nbody", "njnt", "ngeom"] as const) {
          assert.equal(own[size], Number(model[size]), `${name}: ${size}`);
        }
        // Integer fields exactly; real ones to 1e-12 relative (the two builds round a compiled
        // inertia's last bits differently: 0.5224297915933467 against …473).
        for (const field of Object.keys(DYNAMICS_ARRAYS) as DynamicsArray[]) {
          const mine = [...own.array(field)], theirs = Array.from(model[field], Number);
          if (DYNAMICS_ARRAYS[field][0] !== "f64") {
            assert.deepEqual(mine, theirs, `${name}.${field}`);
            continue;
          }
          assert.equal(mine.length, theirs.length, `${name}.${field}`);
          mine.forEach((x, i) =>
            assert.ok(
              Math.abs(x - theirs[i]) <= 1e-12 * Math.max(1, Math.abs(x)),
              `${name}.${field}[${i}]: ${x} native, ${theirs[i]} WebAssembly`,
            )
          );
        }
        for (const [field, value] of Object.entries(own.option) as [string, number | number[]][]) {
          const theirs = model.opt[field];
          assert.deepEqual(
            Array.isArray(value) ? value : [value],
            typeof theirs === "number" ? [theirs] : Array.from(theirs),
            `${name}: opt.${field}`,
          );
        }
      } finally {
        own.free();
        reference.free();
      }
    }
  },
);

/** The largest |Δqpos| between the engines after each of `steps` steps of the same controls. */
async function divergence(name: string, steps: number): Promise<number[]> {
  const native = loadNativeMujoco();
  const wasm = await loadMujoco();
  const own = native.compile(modelXml(name), name);
  const reference = compileModelXml(wasm, modelXml(name), name);
  const a = own.makeData(), b = reference.acquire();
  const worst: number[] = [];
  let max = 0;
  for (const u of controls(own.nu, steps)) {
    a.ctrl.set(u);
    b.ctrl.set(u);
    a.step();
    wasm.mj_step(reference.model, b);
    for (let i = 0; i < own.nq; i++) max = Math.max(max, Math.abs(a.qpos[i] - b.qpos[i]));
    worst.push(max);
  }
  a.free();
  own.free();
  reference.release(b);
  reference.free();
  return worst;
}

Deno.test(
  "the same controls: HalfCheetah's trajectories agree to 1e-6 over 1000 steps; the swimmer's part (MuJoCo 2.2.2 against 3.1.16)",
  native,
  async () => {
    const cheetah = await divergence("half_cheetah", 1000);
    assert.ok(cheetah[999] < 1e-6, `half_cheetah: ${cheetah[999]}`);
    assert.ok(cheetah[0] < 1e-15, `half_cheetah, one step: ${cheetah[0]}`);
    // The swimmer's fluid forces (density 4000, viscosity 0.1) are computed differently by the two
    // versions: equal for a step, apart within a hundred.
    const swimmer = await divergence("swimmer", 1000);
    assert.ok(swimmer[0] < 1e-15, `swimmer, one step: ${swimmer[0]}`);
    assert.ok(swimmer[99] > 1e-6 && swimmer[999] < 1, `swimmer: ${swimmer[99]}, ${swimmer[999]}`);
  },
);

Deno.test(
  "native physics repeats itself bit for bit, resets to the initial state, and frees its states",
  native,
  () => {
    const native = loadNativeMujoco();
    const model: NativeModel = native.compile(modelXml("half_cheetah"), "half_cheetah");
    try {
      const run = () => {
        const data = model.makeData();
        const out: number[] = [];
        for (const u of controls(model.nu, 200)) {
          data.ctrl.set(u);
          data.step(5);
          out.push(...data.qpos, ...data.qvel);
        }
        const time = data.time;
        data.reset();
        assert.deepEqual([...data.qpos], [...model.array("qpos0")]);
        assert.deepEqual([...data.qvel], new Array(model.nv).fill(0));
        assert.equal(data.time, 0);
        data.free();
        data.free(); // idempotent
        assert.throws(() => data.step(), /freed/);
        return { out, time };
      };
      const first = run(), second = run();
      assert.deepEqual(second.out, first.out);
      assert.ok(Math.abs(first.time - 200 * 5 * model.option.timestep) < 1e-9);
      // forward() writes a set state: the same state stepped gives the same next state.
      const a = model.makeData(), b = model.makeData();
      a.ctrl.fill(0.3);
      a.step(7);
      b.qpos.set(a.qpos);
      b.qvel.set(a.qvel);
      b.forward();
      a.ctrl.fill(-0.2);
      b.ctrl.fill(-0.2);
      a.step();
      b.step();
      assert.deepEqual([...b.qpos], [...a.qpos]);
      a.free();
      b.free();
      // Thousands of states made and freed: no growth that a leak of an mjData (about 50 kB each)
      // would show.
      const before = Deno.memoryUsage().rss;
      for (let i = 0; i < 5000; i++) model.makeData().free();
      const grown = Deno.memoryUsage().rss - before;
      assert.ok(grown < 50 * 2 ** 20, `RSS grew by ${grown} bytes over 5000 states`);
    } finally {
      model.free();
    }
  },
);

Deno.test(
  "native states hold NATIVE_NJMAX constraint rows where the model sets none, with the dynamics of MuJoCo's 500; a step needing more throws",
  native,
  () => {
    const native = loadNativeMujoco();
    const withNjmax = (xml: string, rows: number) =>
      xml.replace(/<mujoco\b[^>]*>/, (tag) => `${tag}<size njmax="${rows}"/>`);
    for (const name of MODELS) {
      const xml = modelXml(name);
      assert.equal(setsNjmax(xml), false, name);
      const sized = native.compile(xml, name);
      const full = native.compile(withNjmax(xml, 500), `${name} with njmax 500`);
      try {
        assert.equal(sized.njmax, NATIVE_NJMAX);
        assert.equal(full.njmax, 500);
        // Three episodes of strong controls: bit for bit the same states with either size.
        const a = sized.makeData(), b = full.makeData();
        for (let episode = 0; episode < 3; episode++) {
          a.reset();
          b.reset();
          for (const u of controls(sized.nu, 300)) {
            const strong = u.map((x) => Math.max(-1, Math.min(1, 3 * x)));
            a.ctrl.set(strong);
            b.ctrl.set(strong);
            a.step(5);
            b.step(5);
            assert.deepEqual([...a.qpos, ...a.qvel], [...b.qpos, ...b.qvel], name);
          }
        }
        a.free();
        b.free();
      } finally {
        sized.free();
        full.free();
      }
    }
    // A box resting on the floor needs 4 contacts × 4 pyramidal rows: 3 rows do not hold them.
    const box = `<mujoco><size njmax="3"/><worldbody><geom type="plane" size="5 5 0.1"/>
      <body pos="0 0 0.1"><freejoint/><geom type="box" size="0.1 0.1 0.1"/></body>
      </worldbody></mujoco>`;
    assert.equal(setsNjmax(box), true);
    const model = native.compile(box, "box.xml");
    // MuJoCo 2.2.2 also logs the warning to MUJOCO_LOG.TXT in the working directory: a temporary one.
    const cwd = Deno.cwd(), dir = Deno.makeTempDirSync();
    try {
      assert.equal(model.njmax, 3);
      const data = model.makeData();
      Deno.chdir(dir);
      assert.throws(
        () => data.step(50),
        /^RangeError: box\.xml: a step needed more than njmax = 3 constraint rows/,
      );
      assert.match(Deno.readTextFileSync(`${dir}/MUJOCO_LOG.TXT`), /Increase njmax above 3/);
      data.free();
    } finally {
      Deno.chdir(cwd);
      Deno.removeSync(dir, { recursive: true });
      model.free();
    }
  },
);

Deno.test(
  "a model the native engine cannot compile, or a missing library, is one line naming what to do",
  native,
  () => {
    const native = loadNativeMujoco();
    assert.throws(
      () => native.compile("<mujoco><worldbody><geom/></mujoco>", "broken.xml"),
      (e) =>
        e instanceof InputError &&
        /^broken\.xml: the native MuJoCo could not compile/.test(e.message),
    );
    assert.throws(
      () => loadNativeMujoco(["/usr/lib/nonexistent/libmujoco.so.2.2.2"]),
      (e) =>
        e instanceof InputError && e.message.includes(`apt-get install ${NATIVE_MUJOCO_PACKAGE}`) &&
        !e.message.includes("\n"),
    );
  },
);

Deno.test(
  "training on native physics: the same bytes for 1 and 2 workers and after a stop, verified on the engine it recorded; other bytes than wasm's",
  native,
  async () => {
    await useBackend("wasm");
    const config = (physics?: "native") =>
      tinyConfig("sgmrl", "autodiff", 1, 0, {
        env: "half-cheetah-vel",
        iterations: 3,
        checkpointEvery: 1,
        horizon: 10,
        ...(physics === undefined ? {} : { physics }),
      });
    assert.equal(config("native").physics, "native");
    await inTempDirs(4, async ([one, two, stopped, wasm]) => {
      const root = async (dir: string, workers: number) => {
        const threads = createThreads(workers);
        try {
          return (await runExperiments([config("native")], dir, "native-test", {}, threads)).root;
        } finally {
          threads.close();
        }
      };
      const single = await root(one, 1);
      assert.equal(await root(two, 2), single, "1 and 2 workers");
      // Stopped after the first iteration (which checkpoints it), then resumed.
      let iterations = 0;
      const stop = { onIteration: () => void iterations++, shouldStop: () => iterations > 0 };
      const first = await runExperiments([config("native")], stopped, "native-test", stop);
      assert.ok(first.stopped);
      assert.equal(await root(stopped, 2), single, "stopped and resumed");
      const outcome = await verifyProfile(one, `${one}-scratch`);
      assert.equal(outcome.difference, null);
      assert.equal(outcome.experiments, 1);
      // The engines differ (MuJoCo 2.2.2 against 3.1.16, and their rounding): so do the bytes.
      await runExperiments([config()], wasm, "native-test");
      const metrics = (dir: string) => Deno.readTextFile(`${dir}/${config().id}/metrics.csv`);
      assert.notEqual(await metrics(one), await metrics(wasm));
    });
  },
);

Deno.test("native physics is refused for an environment without MuJoCo, naming the field", () => {
  assert.throws(
    () => tinyConfig("maml", "autodiff", 1, 0, { physics: "native" }),
    /physics: native physics steps the MuJoCo environments/,
  );
});

Deno.test(
  "native physics episodes reuse pooled states: 3000 resets and steps allocate none after the first",
  native,
  async () => {
    const family = await loadLocomotionFamily("half-cheetah-dir", "native");
    const model = await sharedModel("half_cheetah.xml", "native");
    assert.equal(model.engine, "native");
    const run = (n: number) => runHalfCheetahEpisodes(family, n);
    run(50);
    const before = { states: model.allocated, rss: Deno.memoryUsage().rss };
    run(3000);
    assert.equal(model.allocated, before.states, "no new simulation states");
    const grown = Deno.memoryUsage().rss - before.rss;
    assert.ok(grown < 50 * 2 ** 20, `RSS grew by ${grown} bytes over 3000 episodes`);
  },
);
