// deno task export: the safetensors file follows the format's specification (header, offsets,
// row-major little-endian float32), its tensors are the experiment's parameters in PyTorch's
// layout, and Python with numpy alone, reading the file as the specification describes, computes
// the package's action means (ReLU and tanh policies, 2D navigation and HalfCheetah).
import assert from "node:assert/strict";
import { useBackend } from "../src/kernels/backend.ts";
import { decodeParamsBin, exportExperiment } from "../src/experiments/export.ts";
import { runExperiments } from "../src/experiments/reproduce.ts";
import { meanActions, paramShapes } from "../src/estimators/policy.ts";
import { stream } from "../src/core/rng.ts";
import { validateConfig } from "../src/training/config.ts";
import { policySpec } from "../src/training/trainer.ts";
import { inTempDirs, runDenoTask, tinyConfig } from "./helpers.ts";

await useBackend("wasm");

/** An independent reader of the format: header, then tensors by their offsets. */
function readSafetensors(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const metadata = header.__metadata__ as Record<string, string>;
  delete header.__metadata__;
  const body = 8 + n;
  const tensors: Record<string, { shape: number[]; values: number[] }> = {};
  const spans: [number, number][] = [];
  for (
    const [name, info] of Object.entries(header) as [string, {
      dtype: string;
      shape: number[];
      data_offsets: [number, number];
    }][]
  ) {
    assert.equal(info.dtype, "F32", name);
    const [begin, end] = info.data_offsets;
    spans.push([begin, end]);
    const values = [];
    for (let at = body + begin; at < body + end; at += 4) values.push(view.getFloat32(at, true));
    assert.equal(values.length, info.shape.reduce((a, b) => a * b, 1), `${name}: shape and bytes`);
    tensors[name] = { shape: info.shape, values };
  }
  // The specification: no holes, no overlaps, the buffer covered exactly.
  spans.sort((a, b) => a[0] - b[0]);
  spans.forEach(([begin], k) => assert.equal(begin, k === 0 ? 0 : spans[k - 1][1]));
  assert.equal(spans[spans.length - 1][1], bytes.length - body);
  return { headerLength: n, metadata, tensors };
}

const experiments: [string, string][] = [
  ["results/quick", "nav2d-maml-so-z1-s0"],
  ["results/quick", "half-cheetah-dir-sgmrl-so-z1-s0"],
];

async function withTanhExperiment<T>(f: (dir: string, id: string) => Promise<T>): Promise<T> {
  return await inTempDirs(1, async ([dir]) => {
    const config = tinyConfig("sgmrl", "autodiff", 1, 0, {
      policy: { hidden: [8, 5], activation: "tanh", initStd: 0.5 },
    });
    await runExperiments([config], dir, "export-test");
    return await f(dir, config.id);
  });
}

Deno.test("export: the file follows the safetensors specification and holds the parameters in PyTorch's layout", async () => {
  for (const [dir, id] of experiments) {
    const bytes = await exportExperiment(dir, id);
    const { headerLength, metadata, tensors } = readSafetensors(bytes);
    assert.equal(headerLength % 8, 0, "header padded to 8 bytes");
    const config = validateConfig(JSON.parse(await Deno.readTextFile(`${dir}/${id}/config.json`)));
    const spec = policySpec(config);
    const params = decodeParamsBin(await Deno.readFile(`${dir}/${id}/params.bin`), spec, id);
    const shapes = paramShapes(spec);
    const layers = (shapes.length - 1) / 2;
    assert.deepEqual(Object.keys(tensors), [
      ...Array.from({ length: layers }, (_, k) => [`mean.${2 * k}.weight`, `mean.${2 * k}.bias`])
        .flat(),
      "log_std",
    ]);
    for (let k = 0; k < layers; k++) {
      const [inputs, outputs] = shapes[2 * k];
      const w = tensors[`mean.${2 * k}.weight`];
      assert.deepEqual(w.shape, [outputs, inputs]);
      // PyTorch's weight[o][i] is the package's W[i][o].
      for (let i = 0; i < inputs; i++) {
        for (let o = 0; o < outputs; o++) {
          assert.equal(w.values[o * inputs + i], params[2 * k][i * outputs + o]);
        }
      }
      assert.deepEqual(tensors[`mean.${2 * k}.bias`].values, [...params[2 * k + 1]]);
    }
    assert.deepEqual(tensors.log_std.values, [...params[params.length - 1]]);
    const architecture = JSON.parse(metadata.architecture);
    assert.deepEqual(
      [architecture.obs_dim, architecture.act_dim, architecture.hidden, architecture.activation],
      [spec.obsDim, spec.actDim, spec.hidden, spec.activation],
    );
    assert.equal(JSON.parse(metadata.action_scaling).policy_bound, 10);
    assert.equal(metadata.experiment, id);
    assert.equal(JSON.parse(metadata.config).id, id);
  }
});

const numpy = await new Deno.Command("python3", {
  args: ["-c", "import numpy"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);

Deno.test({
  name: "export: Python with numpy alone reads the file and computes the package's action means",
  ignore: !numpy,
  fn: async () => {
    const check = async (dir: string, id: string) => {
      const bytes = await exportExperiment(dir, id);
      const file = await Deno.makeTempFile({ suffix: ".safetensors" });
      try {
        await Deno.writeFile(file, bytes);
        const config = validateConfig(
          JSON.parse(await Deno.readTextFile(`${dir}/${id}/config.json`)),
        );
        const spec = policySpec(config);
        const params = decodeParamsBin(await Deno.readFile(`${dir}/${id}/params.bin`), spec, id);
        const rng = stream({ seed: 5, purpose: "test" });
        const rows = 7;
        const obs = Float64Array.from({ length: rows * spec.obsDim }, () => 2 * rng.normal());
        const child = new Deno.Command("python3", {
          args: ["test/fixtures/safetensors_means.py", file],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const writer = child.stdin.getWriter();
        const grid = Array.from({ length: rows }, (_, r) => [
          ...obs.subarray(r * spec.obsDim, (r + 1) * spec.obsDim),
        ]);
        await writer.write(new TextEncoder().encode(JSON.stringify({ obs: grid })));
        await writer.close();
        const out = await child.output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        const python = JSON.parse(new TextDecoder().decode(out.stdout));
        const means = meanActions(spec, params, obs, rows);
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < spec.actDim; j++) {
            const a = python.means[r][j], b = means[r * spec.actDim + j];
            assert.ok(
              Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)),
              `${id} row ${r}: ${a} ≠ ${b}`,
            );
          }
        }
        const std = [...params[params.length - 1]].map(Math.exp);
        python.std.forEach((s: number, j: number) => assert.ok(Math.abs(s - std[j]) < 1e-12));
      } finally {
        await Deno.remove(file);
      }
    };
    for (const [dir, id] of experiments) await check(dir, id);
    await withTanhExperiment(check);
  },
});

Deno.test("deno task export: bad input is one line naming the field, exit 2, nothing written", async () => {
  const cases: [string[], RegExp][] = [
    [["--id", "x"], /^error: dir: required/],
    [["--dir", "results/quick"], /^error: id: required/],
    [
      ["--dir", "results/quick", "--id", "../paper"],
      /^error: id: "\.\.\/paper" is not an experiment id/,
    ],
    [
      ["--dir", "results/quick", "--id", "nope"],
      /^error: id: results\/quick\/nope\/: missing; not exported$/,
    ],
    [
      [
        "--dir",
        "results/quick",
        "--id",
        "nav2d-maml-so-z1-s0",
        "--out",
        "results/quick/x.safetensors",
      ],
      /^error: out: "results\/quick\/x\.safetensors" lies inside the results directory/,
    ],
  ];
  for (const [args, expected] of cases) {
    const { code, stderr } = await runDenoTask("export", args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, expected);
    assert.equal(stderr.split("\n").length, 1);
  }
  assert.equal(await Deno.stat("results/quick/x.safetensors").then(() => true, () => false), false);
});
