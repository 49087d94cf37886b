/**
 * The smallest useful program: meta-train SG-MRL and MAML on a task family of your own (here the
 * point mass of point_mass.ts) and print each one's meta-test return after one adaptation step.
 *
 *     deno run --allow-read=. examples/train_own_task.ts [iterations]
 *
 * The numbers are the same on every machine and for any worker count.
 *
 * @module
 */
import { PAPER_NAV2D, pinTaskModule, train, useBackend, validateConfig } from "../mod.ts";

await useBackend("wasm");
// The task module, pinned to its file's SHA-256: a changed file would be refused.
const env = await pinTaskModule("examples/point_mass.ts");
const iterations = Number(Deno.args[0] ?? 20);

for (const algorithm of ["sgmrl", "maml"] as const) {
  const config = validateConfig({
    ...PAPER_NAV2D, // γ, GAE λ, the linear baseline, α = 0.1, … as in the paper
    env,
    id: `point-mass-${algorithm}`,
    algorithm,
    hessian: "autodiff", // second order; "none" for first order
    innerSteps: 1, // ζ
    seed: 0,
    iterations,
    metaBatchSize: 8,
    trajectoriesPerTask: 8,
    horizon: 50,
    outerLr: 0.01,
    policy: { hidden: [32, 32], activation: "relu", initStd: 1 },
    evaluation: { tasks: 16, trajectoriesPerTask: 8 },
  });
  const { evaluation } = await train(config);
  const [before, after] = evaluation.returnsByStep;
  console.log(`${algorithm}: ${before.toFixed(3)} before adaptation, ${after.toFixed(3)} after`);
}
