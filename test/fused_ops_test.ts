// The fused ops of the explicit derivatives: composed from TensorFlow.js' ops on the default
// backend, one kernel each on native (those runs need FFI permission and run in `deno task
// test:native`; elsewhere they are reported ignored).
import assert from "node:assert/strict";
import { tf, useBackend } from "../src/kernels/backend.ts";
import {
  gaussianHead,
  gaussianScore,
  gaussianScoreR,
  matMulSum,
  reluWithOnes,
  withOnes,
} from "../src/kernels/fused_ops.ts";
import {
  GAUSSIAN_HEAD,
  GAUSSIAN_SCORE,
  GAUSSIAN_SCORE_R,
  MAT_MUL_SUM,
  RELU_WITH_ONES,
} from "../src/kernels/native_fused_kernels.ts";
import { stream } from "../src/core/rng.ts";
import { FFI_ALLOWED, product64 } from "./helpers.ts";

const BACKENDS = [
  { backend: "wasm", ignore: false },
  { backend: "native", ignore: !FFI_ALLOWED },
] as const;

/** tf.relu: NaN for NaN, x above 0, else +0 (also for −0). */
const relu = (x: number) => Number.isNaN(x) ? NaN : x > 0 ? x : 0;
/** tf.step: NaN for NaN, 1 above 0, else 0. */
const step = (x: number) => Number.isNaN(x) ? NaN : x > 0 ? 1 : 0;

/** Values every lane and every tail column must see: signed zeros, infinities, NaN, subnormals. */
const SPECIAL = [0, -0, 1, -1, Infinity, -Infinity, NaN, 1e-45, -1e-45, 3.4e38, -3.4e38, 0.5];

for (const { backend, ignore } of BACKENDS) {
  Deno.test(
    `${backend}: reluWithOnes is relu and a column of ones, and step, bit for bit at every width`,
    {
      ignore,
    },
    async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      assert.equal(tf.getKernel(RELU_WITH_ONES, backend) !== undefined, backend === "native");
      const rng = stream({ seed: 5, purpose: "test" });
      for (const cols of [1, 2, 3, 4, 5, 7, 8, 9, 16, 100, 101]) {
        for (const rows of [1, 3, 12]) {
          const values = Float32Array.from(
            { length: rows * cols },
            (_, i) =>
              i < SPECIAL.length * 2 ? SPECIAL[(i * 7) % SPECIAL.length] : rng.uniformIn(-2, 2),
          );
          tf.tidy(() => {
            const { output, slope } = reluWithOnes(tf.tensor2d(values, [rows, cols]));
            assert.deepEqual(output.shape, [rows, cols + 1]);
            assert.deepEqual(slope.shape, [rows, cols]);
            const o = output.dataSync(), s = slope.dataSync();
            for (let r = 0; r < rows; r++) {
              assert.ok(
                Object.is(o[r * (cols + 1) + cols], 1),
                `${cols} columns, row ${r}: the one`,
              );
              for (let c = 0; c < cols; c++) {
                const x = values[r * cols + c];
                const where = `${cols} columns, row ${r}, column ${c}, x = ${x}`;
                assert.ok(Object.is(o[r * (cols + 1) + c], relu(x)), `relu: ${where}`);
                assert.ok(Object.is(s[r * cols + c], step(x)), `step: ${where}`);
              }
            }
          });
        }
      }
      // No rows: empty outputs of the right shapes.
      tf.tidy(() => {
        const empty = reluWithOnes(tf.zeros([0, 3]) as tf.Tensor2D);
        assert.deepEqual([empty.output.shape, empty.slope.shape], [[0, 4], [0, 3]]);
      });
      assert.equal(tf.memory().numTensors, before);
      await useBackend("wasm");
    },
  );

  Deno.test(`${backend}: reluWithOnes after the tensor memory has grown`, { ignore }, async () => {
    await useBackend(backend);
    // Some 100 MB of tensors: the WebAssembly memory the kernel works on grows under it.
    const [rows, cols] = [250_000, 33];
    const values = Float32Array.from({ length: rows * cols }, (_, i) => (i % 13) - 6);
    tf.tidy(() => {
      const { output, slope } = reluWithOnes(tf.tensor2d(values, [rows, cols]));
      const o = output.dataSync(), s = slope.dataSync();
      for (const r of [0, 1, rows - 1]) {
        for (let c = 0; c < cols; c++) {
          const x = values[r * cols + c];
          assert.equal(o[r * (cols + 1) + c], relu(x));
          assert.equal(s[r * cols + c], step(x));
        }
        assert.equal(o[r * (cols + 1) + cols], 1);
      }
    });
    await useBackend("wasm");
  });

  Deno.test(
    `${backend}: matMulSum is the sum of two products, every transpose, inner dimensions apart`,
    {
      ignore,
    },
    async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      assert.equal(tf.getKernel(MAT_MUL_SUM, backend) !== undefined, backend === "native");
      const rng = stream({ seed: 6, purpose: "test" });
      const [m, n, k1, k2] = [37, 23, 19, 7];
      const operand = (rows: number, cols: number, integers: boolean) =>
        tf.tensor2d(
          Float32Array.from(
            { length: rows * cols },
            () => integers ? Math.round(rng.uniformIn(-8, 8)) : rng.uniformIn(-1, 1),
          ),
          [rows, cols],
        );
      for (const integers of [false, true]) {
        for (const transposeA of [false, true]) {
          for (const transposeB of [false, true]) {
            tf.tidy(() => {
              const shape = (rows: number, cols: number, t: boolean) =>
                t ? [cols, rows] : [rows, cols];
              const [a1, b1, a2, b2] = [
                shape(m, k1, transposeA),
                shape(k1, n, transposeB),
                shape(m, k2, transposeA),
                shape(k2, n, transposeB),
              ].map(([r, c]) => operand(r, c, integers));
              const got = matMulSum([[a1, b1], [a2, b2]], { transposeA, transposeB });
              assert.deepEqual(got.shape, [m, n]);
              const data = (t: tf.Tensor) => t.dataSync() as Float32Array;
              const p1 = product64(data(a1), data(b1), m, n, k1, transposeA, transposeB);
              const p2 = product64(data(a2), data(b2), m, n, k2, transposeA, transposeB);
              const g = data(got);
              for (let e = 0; e < m * n; e++) {
                const expected = p1[e] + p2[e];
                const where = `${transposeA} ${transposeB} ${integers}: ${e}`;
                // Small integers: every partial sum is exact, so every summation order agrees.
                if (integers) assert.equal(g[e], expected, where);
                else assert.ok(Math.abs(g[e] - expected) < 1e-5, where);
              }
            });
          }
        }
      }
      // An empty inner dimension is a product of zeros (native; the WebAssembly backend's own
      // matMul leaves such a product uninitialised).
      if (backend === "native") {
        tf.tidy(() => {
          const a = tf.tensor2d([[1, 2], [3, 4]]), b = tf.tensor2d([[1, 0], [0, 1]]);
          const none = tf.zeros([2, 0]) as tf.Tensor2D, noneB = tf.zeros([0, 2]) as tf.Tensor2D;
          assert.deepEqual(Array.from(matMulSum([[a, b], [none, noneB]]).dataSync()), [1, 2, 3, 4]);
          assert.deepEqual(Array.from(matMulSum([[none, noneB], [a, b]]).dataSync()), [1, 2, 3, 4]);
          const zeros = Array.from(matMulSum([[none, noneB], [none, noneB]]).dataSync());
          assert.deepEqual(zeros, [0, 0, 0, 0]);
        });
      }
      assert.equal(tf.memory().numTensors, before);
      await useBackend("wasm");
    },
  );
}

for (const { backend, ignore } of BACKENDS) {
  Deno.test(`${backend}: matMulSum with a mask is the sum times the mask, bit for bit`, {
    ignore,
  }, async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const rng = stream({ seed: 7, purpose: "test" });
    const random = (rows: number, cols: number) =>
      tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.uniformIn(-1, 1)), [
        rows,
        cols,
      ]);
    // 7 × 9: lanes of four and a tail; the mask holds every special value.
    const [m, n] = [7, 9];
    const mask = tf.tensor2d(
      Float32Array.from({ length: m * n }, (_, i) => i < SPECIAL.length ? SPECIAL[i] : i % 2),
      [m, n],
    );
    for (const terms of [1, 2]) {
      tf.tidy(() => {
        const products: [tf.Tensor2D, tf.Tensor2D][] = [[random(m, 5), random(5, n)]];
        if (terms === 2) products.push([random(m, 3), random(3, n)]);
        const masked = matMulSum(products, { mask }).dataSync();
        const expected = tf.mul(matMulSum(products), mask).dataSync();
        for (let e = 0; e < m * n; e++) {
          assert.ok(Object.is(masked[e], expected[e]), `${terms} terms: ${e}`);
        }
      });
    }
    mask.dispose();
    assert.equal(tf.memory().numTensors, before);
    await useBackend("wasm");
  });
}

Deno.test("matMulSum takes one or two products", async () => {
  await useBackend("wasm");
  const a = tf.ones([1, 1]) as tf.Tensor2D;
  assert.throws(() => matMulSum([]), /terms must be one or two products, got 0/);
  assert.throws(() => matMulSum([[a, a], [a, a], [a, a]]), /got 3/);
  a.dispose();
});

Deno.test("native: matMulSum refuses products or a mask that make no sum, in one line", {
  ignore: !FFI_ALLOWED,
}, async () => {
  await useBackend("native");
  tf.tidy(() => {
    const ones = (rows: number, cols: number) => tf.ones([rows, cols]) as tf.Tensor2D;
    const [a, b] = [ones(2, 3), ones(3, 4)];
    const refused = (f: () => unknown) =>
      assert.throws(
        f,
        (e: unknown) =>
          e instanceof Error && e.message.startsWith(`${MAT_MUL_SUM}: shapes`) &&
          !e.message.includes("\n"),
      );
    refused(() => matMulSum([[a, b], [ones(2, 3), ones(2, 4)]])); // inner dimensions
    refused(() => matMulSum([[a, b], [ones(3, 3), ones(3, 4)]])); // rows
    refused(() => matMulSum([[a, b]], { mask: ones(2, 3) })); // the mask
  });
  await useBackend("wasm");
});

/** |x − y| within float32 rounding of the terms that make y. */
const close = (x: number, y: number, scale: number, where: string) =>
  assert.ok(Math.abs(x - y) <= 1e-5 * Math.max(1, scale), `${where}: ${x} against ${y}`);

for (const { backend, ignore } of BACKENDS) {
  Deno.test(
    `${backend}: the Gaussian head, its gradient and its R-operator equal their float64 formulas`,
    {
      ignore,
    },
    async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      for (const name of [GAUSSIAN_HEAD, GAUSSIAN_SCORE, GAUSSIAN_SCORE_R]) {
        assert.equal(tf.getKernel(name, backend) !== undefined, backend === "native", name);
      }
      const rng = stream({ seed: 8, purpose: "test" });
      const [rows, act] = [13, 3];
      const values = (n: number, lo = -1.5, hi = 1.5) =>
        Float32Array.from({ length: n }, () => rng.uniformIn(lo, hi));
      const [mean, actions, rMean] = [values(rows * act), values(rows * act), values(rows * act)];
      const [logStd, vLogStd, c] = [values(act, -0.5, 0.5), values(act), values(rows, -0.5, 0.5)];
      for (const kappa of [0, 0.7]) {
        tf.tidy(() => {
          const matrix = (v: Float32Array, cols: number) => tf.tensor2d(v, [v.length / cols, cols]);
          const head = gaussianHead(matrix(mean, act), matrix(actions, act), tf.tensor1d(logStd));
          assert.deepEqual([head.z.shape, head.invStd.shape, head.logProbs.shape], [
            [rows, act],
            [act],
            [rows, 1],
          ]);
          const [z, e, lp] = [head.z, head.invStd, head.logProbs].map((t) => t.dataSync());
          const score = gaussianScore(head.z, head.invStd, matrix(c, 1));
          const r = gaussianScoreR(
            head.z,
            head.invStd,
            matrix(c, 1),
            matrix(rMean, act),
            tf.tensor1d(vLogStd),
            kappa,
          );
          assert.deepEqual([score.mean.shape, score.logStd.shape], [[rows, act], [act]]);
          assert.deepEqual([r.mean.shape, r.logStd.shape], [[rows, act], [act]]);
          const [g, gs, rg, rs] = [score.mean, score.logStd, r.mean, r.logStd].map((t) =>
            t.dataSync()
          );
          const logStdGrad = new Float64Array(act), rLogStd = new Float64Array(act);
          for (let n = 0; n < rows; n++) {
            let logProb = -0.5 * act * Math.log(2 * Math.PI);
            for (let j = 0; j < act; j++) {
              const i = n * act + j, inv = Math.exp(-logStd[j]);
              close(e[j], inv, 1, `e^{-logStd} ${j}`);
              const zi = (actions[i] - mean[i]) * inv;
              close(z[i], zi, Math.abs(zi), `z ${i}`);
              logProb += -0.5 * zi * zi - logStd[j];
              close(g[i], c[n] * zi * inv, 1, `∂/∂μ ${i}`);
              logStdGrad[j] += c[n] * (zi * zi - 1);
              const rz = -rMean[i] * inv - zi * vLogStd[j];
              close(
                rg[i],
                c[n] * inv * (rz - zi * vLogStd[j]) + kappa * zi * inv,
                1,
                `R{∂/∂μ} ${i}`,
              );
              rLogStd[j] += 2 * c[n] * zi * rz + kappa * (zi * zi - 1);
            }
            close(lp[n], logProb, Math.abs(logProb), `log π ${n}`);
          }
          for (let j = 0; j < act; j++) {
            close(gs[j], logStdGrad[j], rows, `∂/∂logStd ${j}`);
            close(rs[j], rLogStd[j], rows, `R{∂/∂logStd} ${j}, κ = ${kappa}`);
          }
        });
      }
      assert.equal(tf.memory().numTensors, before);
      await useBackend("wasm");
    },
  );
}

Deno.test("withOnes appends a column of ones", async () => {
  await useBackend("wasm");
  const out = withOnes(tf.tensor2d([[1, 2], [3, 4], [5, 6]]));
  assert.deepEqual(out.shape, [3, 3]);
  assert.deepEqual(Array.from(out.dataSync()), [1, 2, 1, 3, 4, 1, 5, 6, 1]);
  out.dispose();
});
