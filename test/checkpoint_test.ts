// The training state's bytes, its digest chain and checkpoint files: layout by hand, the chain
// against an independent SHA-256 (node:crypto), and every kind of damaged file refused.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  advanceChain,
  CheckpointError,
  checkpointIteration,
  checkpointName,
  checkpointSchedule,
  decodeCheckpoint,
  encodeCheckpoint,
  initialState,
  stateBytes,
  type TrainingState,
} from "../src/training/checkpoint.ts";

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
};
const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((b) => parseInt(b, 16)));

Deno.test("state bytes: u32 step, float32 parameters, float64 first then second moments, little-endian", () => {
  const params = [new Float32Array([1, -2]), new Float32Array([0.5])];
  const adam = {
    step: 258,
    m: [new Float64Array([1, 2]), new Float64Array([3])],
    v: [new Float64Array([4, 5]), new Float64Array([6])],
  };
  const expected: number[] = [2, 1, 0, 0]; // 258 = 0x0102
  const f32 = (x: number) => [...new Uint8Array(new Float32Array([x]).buffer)];
  const f64 = (x: number) => [...new Uint8Array(new Float64Array([x]).buffer)];
  expected.push(...f32(1), ...f32(-2), ...f32(0.5));
  for (const x of [1, 2, 3, 4, 5, 6]) expected.push(...f64(x));
  // The machine running the test is little-endian (x86-64, ARM64), so typed-array bytes are LE.
  assert.deepEqual([...stateBytes(params, adam)], expected);
});

Deno.test("the digest chain is SHA-256(previous ‖ state), starting from SHA-256(S0)", async () => {
  const state = await initialState([new Float32Array([0.25, -1]), new Float32Array([3])]);
  const s0 = stateBytes(state.params, state.adam);
  assert.equal(state.digest, sha256(s0));
  const digests = [state.digest];
  for (let k = 1; k <= 3; k++) {
    state.params[0][0] += k;
    state.adam.m[1][0] = k / 3;
    state.adam.step = k;
    const before = state.digest;
    await advanceChain(state);
    assert.equal(state.completed, k);
    assert.equal(state.previousDigest, before);
    assert.equal(state.digest, sha256(fromHex(before), stateBytes(state.params, state.adam)));
    digests.push(state.digest);
  }
  assert.equal(new Set(digests).size, 4);
});

Deno.test("changing one iteration's state changes its digest and every later one, no earlier one", async () => {
  const states = Array.from({ length: 6 }, (_, k) => ({
    params: [new Float32Array([k, k / 2])],
    adam: { step: k, m: [new Float64Array([k, 1])], v: [new Float64Array([1, k])] },
  }));
  const chain = async (tamperAt: number) => {
    const s = await initialState(states[0].params);
    const out: string[] = [];
    for (let k = 1; k < states.length; k++) {
      s.params[0].set(states[k].params[0]);
      s.adam.m[0].set(states[k].adam.m[0]);
      s.adam.v[0].set(states[k].adam.v[0]);
      s.adam.step = states[k].adam.step;
      if (k === tamperAt) s.adam.v[0][1] += 1e-12; // one float64 moment, by a hair
      out.push(await advanceChain(s));
    }
    return out;
  };
  const honest = await chain(-1);
  const tampered = await chain(3);
  for (let i = 0; i < honest.length; i++) {
    if (i < 2) assert.equal(tampered[i], honest[i], `digest ${i} before the change`);
    else assert.notEqual(tampered[i], honest[i], `digest ${i} from the change on`);
  }
});

async function sampleState(): Promise<TrainingState> {
  const s = await initialState([new Float32Array([0.1, 0.2, 0.3]), new Float32Array([-0.5])]);
  s.params[0][1] = 7.5;
  s.adam.m[0][2] = 1e-300;
  s.adam.v[1][0] = Math.PI;
  s.adam.step = 1;
  await advanceChain(s);
  return s;
}

Deno.test("a checkpoint decodes to exactly the state it encodes", async () => {
  const s = await sampleState();
  const back = await decodeCheckpoint(encodeCheckpoint(s), "c.bin", [3, 1]);
  assert.equal(back.completed, 1);
  assert.equal(back.digest, s.digest);
  assert.equal(back.previousDigest, s.previousDigest);
  assert.equal(back.adam.step, 1);
  assert.deepEqual(back.params, s.params);
  assert.deepEqual(back.adam.m, s.adam.m);
  assert.deepEqual(back.adam.v, s.adam.v);
  const bytes = encodeCheckpoint(s);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), "SGMRLCKP");
  const h = new DataView(bytes.buffer).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + h)));
  assert.deepEqual(header, {
    completedIterations: 1,
    format: 1,
    previousDigest: s.previousDigest,
    stateBytes: 4 + 4 * 4 + 16 * 4,
    stateDigest: s.digest,
    tensors: [3, 1],
  });
  assert.deepEqual(bytes.subarray(12 + h), stateBytes(s.params, s.adam));
});

Deno.test("a truncated, extended, corrupted or foreign checkpoint is refused with one line naming the file", async () => {
  const good = encodeCheckpoint(await sampleState());
  const h = new DataView(good.buffer).getUint32(8, true);
  const flip = (i: number) => {
    const b = good.slice();
    b[i] ^= 1;
    return b;
  };
  const cases: [string, Uint8Array, RegExp, number[]?][] = [
    ["empty", new Uint8Array(), /truncated \(0 bytes\)/],
    ["inside the signature", good.slice(0, 5), /truncated/],
    ["inside the header", good.slice(0, 12 + Math.floor(h / 2)), /truncated header/],
    ["one byte short", good.slice(0, good.length - 1), /truncated or overlong/],
    ["one byte long", new Uint8Array([...good, 0]), /truncated or overlong/],
    ["a flipped state byte", flip(good.length - 3), /do not hash to stateDigest/],
    ["a flipped step byte", flip(12 + h), /Adam step|do not hash/],
    ["a flipped digest digit", flip(12 + h - 10), /digest|not valid JSON/],
    ["another file", new TextEncoder().encode("iteration,pre_return\n0,1\n"), /not a checkpoint/],
    ["another policy", good, /tensor lengths \[3,1\] do not match the experiment's \[3,2\]/, [
      3,
      2,
    ]],
  ];
  for (const [what, bytes, message, tensors] of cases) {
    await assert.rejects(
      () => decodeCheckpoint(bytes, "run/checkpoint-0000001.bin", tensors ?? [3, 1]),
      (e: unknown) => {
        assert.ok(e instanceof CheckpointError, what);
        assert.match(e.message, /^checkpoint run\/checkpoint-0000001\.bin: /, what);
        assert.match(e.message, message, what);
        assert.equal(e.message.split("\n").length, 1, what);
        return true;
      },
    );
  }
});

Deno.test("checkpoint names and the schedule: every checkpointEvery iterations and the last", () => {
  assert.equal(checkpointName(5), "checkpoint-0000005.bin");
  assert.equal(checkpointIteration(checkpointName(1_000_000)), 1_000_000);
  assert.equal(checkpointIteration("checkpoint-5.bin"), null);
  assert.throws(() => checkpointName(-1), RangeError);
  assert.deepEqual(checkpointSchedule(500, 125), [125, 250, 375, 500]);
  assert.deepEqual(checkpointSchedule(20, 5), [5, 10, 15, 20]);
  assert.deepEqual(checkpointSchedule(7, 3), [3, 6, 7]);
  assert.deepEqual(checkpointSchedule(4, 10), [4]);
});
