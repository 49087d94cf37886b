// The native backend: OpenBLAS products inside TensorFlow.js' kernel registry. The tests that call
// OpenBLAS need FFI permission and run in `deno task test:native` (which installs OpenBLAS from
// Debian when it can); without the permission they are reported as ignored. The broadcast rules,
// the loader's errors and the task's refusal without FFI are checked everywhere.
import assert from "node:assert/strict";
import { tf, useBackend } from "../src/kernels/backend.ts";
import { broadcastBatchIndices } from "../src/kernels/native_backend.ts";
import { loadOpenBlas, OPENBLAS_PACKAGE, openBlasCandidates } from "../src/kernels/openblas.ts";
import { InputError } from "../src/core/errors.ts";
import { stream } from "../src/core/rng.ts";
import {
  assertBackendRefusedBeforeWriting,
  assertTrainingRepeatsAndFollowsWasm,
  FFI_ALLOWED,
  product64,
  runDenoTask,
} from "./helpers.ts";

const native = { ignore: !FFI_ALLOWED };

Deno.test("broadcastBatchIndices: right-aligned batch dimensions, size 1 broadcast", () => {
  assert.deepEqual(broadcastBatchIndices([], [], []), { a: [0], b: [0] });
  assert.deepEqual(broadcastBatchIndices([3], [3], [1]), { a: [0, 1, 2], b: [0, 0, 0] });
  assert.deepEqual(broadcastBatchIndices([3], [], [3]), { a: [0, 0, 0], b: [0, 1, 2] });
  // [2, 1] × [3] → [2, 3]: a's matrix is the row index, b's the column index.
  assert.deepEqual(broadcastBatchIndices([2, 3], [2, 1], [3]), {
    a: [0, 0, 0, 1, 1, 1],
    b: [0, 1, 2, 0, 1, 2],
  });
  assert.deepEqual(broadcastBatchIndices([2, 2], [2, 2], [2, 2]), {
    a: [0, 1, 2, 3],
    b: [0, 1, 2, 3],
  });
});

Deno.test("loadOpenBlas: a missing library is a one-line error naming the package, or the permission", () => {
  const error = (() => {
    try {
      loadOpenBlas(["/usr/lib/nonexistent-openblas/libopenblas.so.0"]);
    } catch (e) {
      return e as Error;
    }
    throw new Error("no error");
  })();
  assert.ok(error instanceof InputError);
  assert.ok(!error.message.includes("\n"));
  if (FFI_ALLOWED) {
    assert.match(error.message, new RegExp(`install the Debian package ${OPENBLAS_PACKAGE}`));
  } else {
    assert.match(error.message, /--allow-ffi=\/usr\/lib,\/usr\/lib64/);
  }
  assert.deepEqual(openBlasCandidates("darwin", "aarch64"), []);
  for (const path of openBlasCandidates("linux", "aarch64")) assert.match(path, /^\/usr\/lib/);
});

Deno.test("native: a single-threaded OpenBLAS build is refused, naming the package to install", {
  ...native,
}, () => {
  const serial = openBlasCandidates()[0].replace("openblas-pthread", "openblas-serial");
  assert.throws(
    () => loadOpenBlas([serial]),
    (e: unknown) =>
      e instanceof InputError && /single-threaded build/.test(e.message) &&
      e.message.includes(OPENBLAS_PACKAGE) && !e.message.includes("\n"),
  );
});

Deno.test("reproduce --backend native without FFI permission: one line, exit 2, nothing written", () =>
  assertBackendRefusedBeforeWriting("native", /--allow-ffi/));

Deno.test(
  "native: BatchMatMul equals the float64 product to float32 rounding, every transpose and broadcast",
  {
    ...native,
  },
  async () => {
    await useBackend("native");
    const rng = stream({ seed: 3, purpose: "test" });
    const random = (shape: number[]) =>
      tf.tensor(
        Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.uniformIn(-1, 1)),
        shape,
      );
    const [m, k, n] = [37, 19, 23];
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        // a: batch [2, 1], b: batch [3] → output batch [2, 3].
        const a = random([2, 1, ...(transposeA ? [k, m] : [m, k])]);
        const b = random([3, ...(transposeB ? [n, k] : [k, n])]);
        const c = tf.matMul(a, b, transposeA, transposeB);
        assert.deepEqual(c.shape, [2, 3, m, n]);
        const av = a.dataSync() as Float32Array, bv = b.dataSync() as Float32Array;
        const cv = c.dataSync();
        for (let i = 0; i < 2; i++) {
          for (let j = 0; j < 3; j++) {
            const expected = product64(
              av.subarray(i * m * k, (i + 1) * m * k),
              bv.subarray(j * k * n, (j + 1) * k * n),
              m,
              n,
              k,
              transposeA,
              transposeB,
            );
            const got = cv.subarray((i * 3 + j) * m * n, (i * 3 + j + 1) * m * n);
            for (let e = 0; e < expected.length; e++) {
              assert.ok(Math.abs(got[e] - expected[e]) < 1e-5, `${transposeA} ${transposeB}: ${e}`);
            }
          }
        }
      }
    }
    // An empty inner dimension is a product of zeros, not uninitialised memory.
    assert.deepEqual(Array.from(tf.matMul(tf.ones([2, 0]), tf.ones([0, 3])).dataSync()), [
      0,
      0,
      0,
      0,
      0,
      0,
    ]);
    assert.throws(
      () => tf.matMul(tf.ones([2, 3]), tf.ones([2, 3])),
      /inner shapes \(3\) and \(2\)/,
    );
    await useBackend("wasm");
  },
);

Deno.test("native: training repeats to the byte, and follows wasm's to float32 rounding", {
  ...native,
}, () => assertTrainingRepeatsAndFollowsWasm("native"));

Deno.test(
  "native: deno task reproduce records the backend, and regenerates the same bytes with 1 and 2 workers",
  {
    ...native,
  },
  async () => {
    const outs = [1, 2].map((workers) => `results/tmp-native-${Deno.pid}-${workers}`);
    try {
      const args = ["--profile", "quick", "--only", "nav2d-maml-so-z1-s0", "--backend", "native"];
      const roots = [];
      for (const [i, out] of outs.entries()) {
        // Two learner workers call OpenBLAS at the same time.
        const workers = String(i + 1);
        const r = await runDenoTask("reproduce:native", [
          ...args,
          "--workers",
          workers,
          "--out",
          out,
        ]);
        assert.equal(r.code, 0, r.stderr);
        roots.push(r.stdout.match(/root digest ([0-9a-f]{64})/)?.[1]);
      }
      assert.ok(roots[0] !== undefined && roots[0] === roots[1], `${roots}`);
      const recorded = JSON.parse(
        await Deno.readTextFile(`${outs[0]}/nav2d-maml-so-z1-s0/config.json`),
      );
      assert.equal(recorded.backend, "native");
      const verified = await runDenoTask("verify:native", ["--dir", outs[0]]);
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    } finally {
      for (const out of outs) await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  },
);
