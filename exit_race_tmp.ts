import { createThreads } from "./src/training/trainer.ts";
import { useBackend } from "./src/core/backend.ts";
import { runExperiments } from "./src/experiments/reproduce.ts";
import { tinyConfig } from "./test/helpers.ts";
await useBackend((Deno.env.get("B") ?? "wasm") as "wasm");
const threads = createThreads(2);
const dir = await Deno.makeTempDir();
await runExperiments(
  [tinyConfig("sgmrl", "autodiff", 1, 0, {
    iterations: 2,
    backend: (Deno.env.get("B") ?? "wasm") as "wasm",
  })],
  dir,
  "t",
  {},
  threads,
);
threads.close();
await Deno.remove(dir, { recursive: true });
Deno.exit(0);
