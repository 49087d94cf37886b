// The WebAssembly dense layer: the plain loop's bits in float64 and float32 through memory growth,
// and its refusal of inconsistent shapes.
import assert from "node:assert/strict";
import { DENSE_PRECISIONS, denseLayer, DenseStack } from "../src/kernels/dense_simd.ts";
import { plainLoopMean } from "../src/bench/sampling_bench.ts";
import { stream } from "../src/core/rng.ts";

function layer(nIn: number, nOut: number, key: number) {
  const rng = stream({ seed: 5, purpose: "test", task: key });
  const w = Float32Array.from({ length: nIn * nOut }, () => rng.uniformIn(-1, 1));
  const b = Float32Array.from({ length: nOut }, () => rng.uniformIn(-1, 1));
  return { w, b, rng };
}

for (const precision of DENSE_PRECISIONS) {
  Deno.test(`denseLayer (${precision}): the plain loop's bits on layers that grow the module's memory, and after`, () => {
    for (const [rows, nIn, nOut] of [[64, 500, 1030], [3, 7, 11], [1, 1, 1], [0, 4, 4]]) {
      const { w, b, rng } = layer(nIn, nOut, rows + nIn);
      const input = Float64Array.from({ length: rows * nIn }, () => {
        const u = rng.uniform();
        return u < 0.4 ? 0 : rng.uniformIn(-2, 2); // ReLU-like zeros
      });
      const spec = {
        obsDim: nIn,
        actDim: nOut,
        hidden: [],
        activation: "relu",
        initStd: 1,
        samplingPrecision: precision,
      } as const;
      const plain = plainLoopMean(spec, [w, b, new Float32Array(nOut)], input, rows);
      const fast = denseLayer(input, rows, nIn, w, b, nOut, precision);
      assert.equal(fast.length, rows * nOut);
      assert.deepEqual(
        new Uint8Array(fast.buffer),
        new Uint8Array(plain.buffer),
        `${rows}×${nIn}→${nOut}`,
      );
    }
  });
}

Deno.test("a prepared stack keeps its weights: changing the arrays later, or running another stack in between, changes nothing", () => {
  const { w, b } = layer(6, 10, 9);
  const { w: w2, b: b2 } = layer(10, 3, 10);
  const stacks = DENSE_PRECISIONS.map((p) => new DenseStack([6, 10, 3], [w, b, w2, b2], p));
  const input = Float64Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 0 : i / 7 - 0.8));
  const first = stacks.map((stack) => stack.forward(input, 2));
  w[0] += 1;
  b2[1] -= 1;
  for (const p of DENSE_PRECISIONS) {
    const other = layer(6, 6, 11);
    denseLayer(input, 1, 6, other.w, other.b, 6, p); // another stack in each module's memory
  }
  stacks.forEach((stack, k) => assert.deepEqual(stack.forward(input, 2), first[k]));
  assert.equal(first[0].length, 2 * 3);
  assert.notDeepEqual(first[0], first[1]); // float32 is not float64
});

Deno.test("denseLayer: inconsistent shapes are refused before anything runs", () => {
  const { w, b } = layer(2, 3, 0);
  assert.throws(
    () => denseLayer(new Float64Array(3), 2, 2, w, b, 3),
    /2 rows of 2 inputs expected/,
  );
  assert.throws(
    () => denseLayer(new Float64Array(4), 2, 2, w.subarray(1), b, 3),
    /layer 0 needs 2 × 3 weights and 3 biases/,
  );
  assert.throws(() => denseLayer(new Float64Array(4), 2, 2, w, b.subarray(1), 3), /3 biases/);
  assert.throws(() => new DenseStack([2], []), /sizes must be two or more positive integers/);
  assert.throws(
    () => new DenseStack([2, 3], [w, b], "float16" as "float32"),
    /precision must be one of float64, float32, got "float16"/,
  );
});
