/**
 * `deno task bench`: wall-clock figures of the pipeline, as medians and ratios measured in one run.
 *
 * @module
 */
import { BACKENDS, useBackend } from "../src/backend.ts";
import { backendOption, parseOptions, positiveInt, runMain } from "../src/cli.ts";
import { type ExperimentConfig, PAPER_NAV2D, validateConfig } from "../src/config.ts";
import type { Algorithm } from "../src/meta_gradient.ts";
import { train } from "../src/trainer.ts";

const HELP = `Usage: deno task bench [options]

Time meta-iterations of the 2D-navigation paper configuration (20 tasks × 20 trajectories,
H = 100, 100-100 ReLU policy, ζ = 1, second order) for sgmrl and maml: median seconds per
iteration, split into sampling (including the inner adaptation steps) and learning (meta-gradient
and Adam step), and the ratio sgmrl / maml. The first iteration is a warm-up and is not counted.

Options:
  --iterations N   timed iterations per algorithm (default 3)
  --backend B      ${BACKENDS.join(" | ")} (default: wasm)
  --json           print exactly one JSON object on stdout
  -h, --help       show this help
`;

interface StageMedians {
  iterSeconds: number;
  samplingSeconds: number;
  learningSeconds: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function timeAlgorithm(algorithm: Algorithm, iterations: number, backend: string): StageMedians {
  const config: ExperimentConfig = validateConfig({
    ...PAPER_NAV2D,
    id: `bench-${algorithm}`,
    algorithm,
    hessian: "autodiff",
    innerSteps: 1,
    seed: 0,
    iterations: iterations + 1,
    evaluation: { tasks: 1, trajectoriesPerTask: 1 },
    backend,
  });
  const sampling: number[] = [], learning: number[] = [];
  train(config, (m, t) => {
    if (m.iteration === 0) return;
    sampling.push(t.samplingSeconds);
    learning.push(t.learningSeconds);
  });
  return {
    iterSeconds: median(sampling.map((s, i) => s + learning[i])),
    samplingSeconds: median(sampling),
    learningSeconds: median(learning),
  };
}

async function main(): Promise<number> {
  const o = parseOptions(Deno.args, {
    iterations: { type: "string" },
    backend: { type: "string", default: "wasm" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  const iterations = positiveInt("iterations", o.iterations as string | undefined) ?? 3;
  const backend = backendOption(o.backend as string);
  await useBackend(backend);
  const sgmrl = timeAlgorithm("sgmrl", iterations, backend);
  const maml = timeAlgorithm("maml", iterations, backend);
  const result = {
    machine: { cores: navigator.hardwareConcurrency, backend, deno: Deno.version.deno },
    nav2d: {
      sgmrl,
      maml,
      sgmrlOverMaml: sgmrl.iterSeconds / maml.iterSeconds,
      paperExperimentSeconds: {
        sgmrl: sgmrl.iterSeconds * PAPER_NAV2D.iterations,
        maml: maml.iterSeconds * PAPER_NAV2D.iterations,
      },
    },
  };
  if (o.json) {
    console.log(JSON.stringify(result));
    return 0;
  }
  const f = (x: number) => x.toFixed(3);
  console.log(`2D navigation, paper configuration, ζ = 1, second order, backend ${backend}`);
  console.log(
    `median of ${iterations} iteration(s) after one warm-up, ${result.machine.cores} cores\n`,
  );
  console.log("| algorithm | s / iteration | sampling | learning | 500 iterations |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const [name, m] of [["sgmrl", sgmrl], ["maml", maml]] as const) {
    console.log(
      `| ${name} | ${f(m.iterSeconds)} | ${f(m.samplingSeconds)} | ${f(m.learningSeconds)} | ${
        (m.iterSeconds * PAPER_NAV2D.iterations / 60).toFixed(1)
      } min |`,
    );
  }
  console.log(`\nsgmrl / maml per iteration: ${result.nav2d.sgmrlOverMaml.toFixed(3)}`);
  return 0;
}

if (import.meta.main) await runMain(main);
