// The estimator analysis: its statistics against simulation (the delta-method interval covers the
// true cosine about 95% of the time), its plumbing (the global baseline at 0 is no baseline), and
// its artefacts spot-verified, with a forged record caught.
import assert from "node:assert/strict";
import { readProfileManifest } from "../src/experiments/artifacts.ts";
import {
  ANALYSIS_ESTIMATORS,
  analysisMetaBatch,
  analysisStats,
  type BatchRecord,
  dot,
  estimatesOn,
} from "../src/analysis/analysis.ts";
import {
  ANALYSIS_TANH_PROFILE,
  spotVerifyAnalysis,
  writeAnalysisArtifacts,
} from "../src/analysis/analysis_artifacts.ts";
import { useBackend } from "../src/kernels/backend.ts";

import { runExperiments } from "../src/experiments/reproduce.ts";
import { stream } from "../src/core/rng.ts";
import { createThreads, initialTrainingState } from "../src/training/trainer.ts";
import { forgeExperiment, inTempDirs, tinyConfig } from "./helpers.ts";

await useBackend("wasm");

Deno.test("the cosine's 95% interval covers the true cosine in about 95% of simulated analyses", () => {
  // Two estimators in R^6 with means μ_r and μ_e, noise N(0, 0.8²) per coordinate, K = 50.
  const mr = [1, 0.5, 0, 0, 0.3, 0], me = [0.8, 0.9, 0.2, 0, 0.1, 0.1];
  const truth = dot(mr, me) / Math.sqrt(dot(mr, mr) * dot(me, me));
  let covered = 0;
  const sims = 400;
  for (let s = 0; s < sims; s++) {
    const rng = stream({ seed: s, purpose: "test" });
    const draw = (m: number[]) => m.map((v) => v + 0.8 * rng.normal());
    const gr = Array.from({ length: 50 }, () => draw(mr));
    const ge = Array.from({ length: 50 }, () => draw(me));
    const mean = (g: number[][]) => g[0].map((_, i) => g.reduce((a, x) => a + x[i], 0) / g.length);
    const [Mr, Me] = [mean(gr), mean(ge)];
    const records: BatchRecord[] = gr.flatMap((_, k) => [
      {
        batch: k,
        estimator: "sgmrl" as const,
        digest: "",
        squaredNorm: dot(gr[k], gr[k]),
        dotOwnMean: dot(gr[k], Mr),
        dotReferenceMean: dot(gr[k], Mr),
        referenceDotMean: dot(gr[k], Mr),
      },
      {
        batch: k,
        estimator: "maml" as const,
        digest: "",
        squaredNorm: dot(ge[k], ge[k]),
        dotOwnMean: dot(ge[k], Me),
        dotReferenceMean: dot(ge[k], Mr),
        referenceDotMean: dot(gr[k], Me),
      },
    ]);
    const st = analysisStats(records).maml!;
    const direct = dot(Me, Mr) / Math.sqrt(dot(Me, Me) * dot(Mr, Mr));
    assert.ok(Math.abs(st.cosine - direct) < 1e-12);
    // tr Cov from the records equals the direct unbiased estimate.
    const trace = ge.reduce((a, g) => a + dot(g, g), 0) - 50 * dot(Me, Me);
    assert.ok(Math.abs(st.traceCovariance - trace / 49) < 1e-9);
    if (st.cosineLow <= truth && truth <= st.cosineHigh) covered++;
  }
  const rate = covered / sims;
  assert.ok(rate > 0.9 && rate < 0.99, `coverage ${rate}`);
});

const SOURCE = tinyConfig("maml", "autodiff", 1, 0, {
  iterations: 4,
  checkpointEvery: 2,
  metaBatchSize: 3,
});

Deno.test("on one meta-batch, every estimator is computed on the same draws, and a zero global baseline is no baseline", async () => {
  const threads = createThreads(1);
  try {
    const params = (await initialTrainingState(SOURCE)).params;
    const batches = await analysisMetaBatch(SOURCE, threads, params, 3);
    const again = await analysisMetaBatch(SOURCE, threads, params, 3);
    assert.deepEqual(again, batches, "a meta-batch is redrawn identically");
    const est = await estimatesOn(SOURCE, threads, params, batches, 0);
    assert.deepEqual(est["sgmrl-global-baseline"], est["sgmrl-no-baseline"]);
    assert.notDeepEqual(est.sgmrl, est.maml);
    assert.deepEqual(Object.keys(est), [...ANALYSIS_ESTIMATORS]);
  } finally {
    threads.close();
  }
});

Deno.test("analysis artefacts: written, spot-verified, and a forged record is caught", async () => {
  await inTempDirs(2, async ([source, out]) => {
    await runExperiments([SOURCE], source, "t");
    const setup = {
      profile: ANALYSIS_TANH_PROFILE,
      config: SOURCE,
      points: [{ id: "init", iteration: 0 }, { id: "later", iteration: 4 }],
      sourceDir: source,
    };
    const threads = createThreads(1);
    try {
      await writeAnalysisArtifacts(out, { batches: 3, setup, threads });
      // Written under the setup's profile name (here the tanh analysis's).
      assert.equal((await readProfileManifest(out)).profile, ANALYSIS_TANH_PROFILE);
      const ok = await spotVerifyAnalysis(out, { spots: 100, seed: 1, threads, setup });
      assert.equal(ok.failure, null);
      assert.equal(ok.replayed.length, 6);
      // A better cosine claimed for maml at the later point: stats no longer match the records.
      await forgeExperiment(out, "later", (f) => {
        const s = JSON.parse(new TextDecoder().decode(f["stats.json"]));
        s.estimators.maml.cosine = 0.99;
        f["stats.json"] = new TextEncoder().encode(JSON.stringify(s));
      });
      const bad = await spotVerifyAnalysis(out, { spots: 1, seed: 1, threads, setup });
      assert.match(bad.failure ?? "", /later\/stats\.json: not the statistics of batches\.csv/);
    } finally {
      threads.close();
    }
  });
});
