/**
 * An experiment's final policy as safetensors (https://github.com/huggingface/safetensors, the
 * format's specification in its README), the weight format other frameworks load:
 *
 * ```text
 * 8 bytes      N, the header's length, unsigned little-endian
 * N bytes      the header: UTF-8 JSON, padded with spaces to a multiple of 8 bytes
 * the rest     the tensors' bytes, little-endian, row-major, back to back in header order
 * ```
 *
 * The tensors follow PyTorch's conventions for the Gaussian MLP, so that
 * `torch.nn.Sequential(Linear, act, …, Linear)` loads the mean network as it is: `mean.{2k}.weight`
 * ([out, in], float32; the package stores [in, out]), `mean.{2k}.bias` ([out]) for layer k, and
 * `log_std` ([actDim]). The header's `__metadata__` (strings only, as the format requires) holds
 * the architecture (`architecture`: obs_dim, act_dim, hidden, activation — applied after every
 * layer but the last — and init_std), the action scaling the environment applies
 * (`action_scaling`: env action = clip(low + (a + 10)(high − low)/20, low, high)), the experiment's
 * id, its configuration (canonical JSON) and the SHA-256 of the params.bin it came from.
 *
 * @module
 */
import { canonicalJson } from "../core/canonical_json.ts";
import { InputError } from "../core/errors.ts";
import { readRegularFile } from "../core/safe_fs.ts";
import { sha256Hex } from "../core/sha256.ts";
import { POLICY_ACTION_BOUND } from "../envs/env.ts";
import { isEnvironmentId, loadTaskFamily } from "../envs/registry.ts";
import type { PolicyParams, PolicySpec } from "../estimators/policy.ts";
import { paramShapes } from "../estimators/policy.ts";
import { type ExperimentConfig, validateConfig } from "../training/config.ts";
import { policySpec } from "../training/trainer.ts";
import { checkExperimentDirectory } from "./artifacts.ts";

/** One tensor of a safetensors file: its name, shape and float32 values (row-major). */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/**
 * The bytes of a safetensors file holding float32 `tensors` (in this order) and `metadata`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { safetensorsBytes } from "./export.ts";
 * const bytes = safetensorsBytes([{ name: "w", shape: [2], values: new Float32Array([1, -2]) }], {});
 * const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
 * const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
 * assert.equal(n % 8, 0, JSON.stringify(header));
 * assert.equal(header.w.dtype, "F32", JSON.stringify(header));
 * assert.equal(header.w.data_offsets.join(), "0,8", JSON.stringify(header));
 * assert.equal(new DataView(bytes.buffer).getFloat32(8 + n + 4, true), -2, "data");
 * ```
 */
export function safetensorsBytes(
  tensors: readonly NamedTensor[],
  metadata: Readonly<Record<string, string>>,
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.values.length) {
      throw new RangeError(
        `${t.name}: shape [${t.shape}] holds ${count} values, not ${t.values.length}`,
      );
    }
    header[t.name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const spaced = new Uint8Array(padded).fill(0x20);
    spaced.set(json);
    json = spaced;
  }
  const bytes = new Uint8Array(8 + json.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    for (const v of t.values) (view.setFloat32(at, v, true), at += 4);
  }
  return bytes;
}

/**
 * The Gaussian MLP's parameters as PyTorch-named tensors (module documentation): weights
 * transposed to [out, in].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policyTensors } from "./export.ts";
 * const spec = { obsDim: 2, actDim: 1, hidden: [], activation: "tanh", initStd: 1 } as const;
 * // W is [in = 2, out = 1] in the package, [out, in] = [1, 2] in PyTorch: the same two values.
 * const t = policyTensors(spec, [new Float32Array([3, 4]), new Float32Array([5]), new Float32Array([0])]);
 * assert.equal(
 *   t.map((x) => `${x.name}[${x.shape}]`).join(),
 *   "mean.0.weight[1,2],mean.0.bias[1],log_std[1]",
 * );
 * ```
 */
export function policyTensors(spec: PolicySpec, params: PolicyParams): NamedTensor[] {
  const shapes = paramShapes(spec);
  const tensors: NamedTensor[] = [];
  const layers = (shapes.length - 1) / 2;
  for (let k = 0; k < layers; k++) {
    const [inputs, outputs] = shapes[2 * k];
    const w = params[2 * k];
    const transposed = new Float32Array(inputs * outputs);
    for (let i = 0; i < inputs; i++) {
      for (let o = 0; o < outputs; o++) transposed[o * inputs + i] = w[i * outputs + o];
    }
    tensors.push(
      { name: `mean.${2 * k}.weight`, shape: [outputs, inputs], values: transposed },
      { name: `mean.${2 * k}.bias`, shape: [outputs], values: params[2 * k + 1] },
    );
  }
  tensors.push({ name: "log_std", shape: [spec.actDim], values: params[params.length - 1] });
  return tensors;
}

/** The float32 parameters of params.bin, in PolicyParams order; a `RangeError` on a wrong size. */
export function decodeParamsBin(bytes: Uint8Array, spec: PolicySpec, file: string): PolicyParams {
  const shapes = paramShapes(spec);
  const total = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  if (bytes.length !== 4 * total) {
    throw new RangeError(`${file}: ${bytes.length} bytes, the policy has ${4 * total}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  return shapes.map((s) => {
    const values = new Float32Array(s.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) (values[i] = view.getFloat32(at, true), at += 4);
    return values;
  });
}

/**
 * The safetensors file of experiment `id` in results directory `dir`: its files checked against
 * its manifest first, then its config.json and params.bin read. Built-in environments only (a task
 * module's action bounds live in its code, which is run only in the task sandbox).
 *
 * @example The committed quick profile's MAML policy on 2D navigation
 * ```ts
 * import assert from "node:assert/strict";
 * import { exportExperiment } from "./export.ts";
 * const bytes = await exportExperiment("results/quick", "nav2d-maml-so-z1-s0");
 * // An 8-byte little-endian header length, then the JSON header.
 * const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
 * const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
 * assert.deepEqual(header["log_std"].shape, [2]);
 * assert.equal(JSON.parse(header.__metadata__.architecture).obs_dim, 2);
 * await assert.rejects(exportExperiment("results/quick", "no-such-run"), /not exported/);
 * ```
 */
export async function exportExperiment(dir: string, id: string): Promise<Uint8Array> {
  const problems = await checkExperimentDirectory(dir, id);
  if (problems.length > 0) {
    throw new InputError(`id: ${dir}/${problems[0]}; not exported`);
  }
  const read = async (name: string) => (await readRegularFile(`${dir}/${id}/${name}`))!;
  const config: ExperimentConfig = validateConfig(
    JSON.parse(new TextDecoder().decode(await read("config.json"))),
    `${id}/config.json`,
  );
  if (!isEnvironmentId(config.env)) {
    throw new InputError(
      `id: ${id} trains on a task module; export supports the built-in environments`,
    );
  }
  const family = await loadTaskFamily(config.env);
  const spec = policySpec(config);
  const paramsBytes = await read("params.bin");
  const params = decodeParamsBin(paramsBytes, spec, `${id}/params.bin`);
  const architecture = {
    type: "gaussian-mlp",
    obs_dim: spec.obsDim,
    act_dim: spec.actDim,
    hidden: spec.hidden,
    activation: spec.activation,
    init_std: spec.initStd,
    mean: "mean.0 … mean.2L: Linear layers, the activation after each but the last",
    std: "exp(log_std), state-independent",
  };
  const scaling = {
    policy_bound: POLICY_ACTION_BOUND,
    low: family.actionLow,
    high: family.actionHigh,
    rule: "env_action = clip(low + (a + 10) * (high - low) / 20, low, high)",
  };
  return safetensorsBytes(policyTensors(spec, params), {
    format: "pt",
    architecture: canonicalJson(architecture).trim(),
    action_scaling: canonicalJson(scaling).trim(),
    experiment: id,
    config: canonicalJson(config).trim(),
    params_sha256: await sha256Hex(paramsBytes),
  });
}
