/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The inside of the task sandbox (src/sandbox/task_sandbox.ts): the only place where a task
 * module's code runs. The worker is created with no write, FFI, subprocess, network or
 * environment access and reads only the package and the module's own pinned files. Before the
 * module is imported, the realm is closed off: `console`, `Deno.stdout`, `Deno.stderr`, Node's
 * `process.stdout` / `process.stderr` writes, `Deno.exit` and `close` are replaced and the runtime's
 * internals (`Deno[Deno.internal]`) are removed, so the module neither writes through them nor ends
 * anything (docs/verification.md, "the trust model", says what this does not cover).
 *
 * It answers three requests, each with plain data that the parent checks: `load` (the family's
 * dimensions and bounds, validated), `tasks` (tasks drawn from their streams) and `sample`
 * (trajectories). While sampling it posts a heartbeat at most once a second, so the parent's
 * watchdog can tell a slow task from a stuck one, and every 32 steps it checks its JavaScript heap
 * against the limit the parent set.
 *
 * @module
 */
import process from "node:process";
import { stream } from "../core/rng.ts";
import type { TaskFamily } from "../envs/env.ts";
import { gaussianSampling, type Path, samplePaths } from "../estimators/sampler.ts";
import {
  checkedFamily,
  familyMetadata,
  type SandboxReply,
  type SandboxRequest,
} from "./task_family_checks.ts";

const scope = globalThis as unknown as {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  onmessage: ((event: MessageEvent<{ id: number; request: SandboxRequest }>) => void) | null;
};
const post = scope.postMessage.bind(scope);
let currentId = -1;

// An error the module throws outside a request's own code (a timer, a rejected promise) fails the
// request in progress, as one line, instead of being printed by the runtime; one raised between
// requests fails the next request.
let active = false;
let stray: string | undefined;
const strayError = (error: string) => {
  if (active) post({ id: currentId, error });
  else stray ??= error;
};
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  strayError(`it raised an uncaught error: ${describe(event.error ?? event.message)}`);
});
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  strayError(`it left a promise rejected: ${describe(event.reason)}`);
});

/** Close the realm off before untrusted code runs (see the module documentation). */
function harden(): void {
  const quiet = () => {};
  const silentConsole: Record<string, unknown> = {};
  for (const key of Object.keys(console)) silentConsole[key] = quiet;
  Object.defineProperty(globalThis, "console", {
    value: Object.freeze(silentConsole),
    writable: false,
    configurable: false,
  });
  const sink = Object.freeze({
    write: (b: Uint8Array) => Promise.resolve(b.length),
    writeSync: (b: Uint8Array) => b.length,
    isTerminal: () => false,
  });
  for (const stream of [process.stdout, process.stderr]) {
    Object.defineProperty(stream, "write", {
      value: () => true,
      writable: false,
      configurable: false,
    });
  }
  const denoNs = Deno as unknown as Record<string | symbol, unknown>;
  for (const key of ["stdout", "stderr"]) {
    Object.defineProperty(Deno, key, { value: sink, writable: false, configurable: false });
  }
  Object.defineProperty(Deno, "exit", {
    value: () => {
      throw new Error("Deno.exit is not available to a task module");
    },
    writable: false,
    configurable: false,
  });
  Object.defineProperty(globalThis, "close", {
    value: () => {
      throw new Error("close() is not available to a task module");
    },
    writable: false,
    configurable: false,
  });
  const internal = denoNs.internal as symbol | undefined;
  if (internal !== undefined) delete denoNs[internal];
}

let family: TaskFamily | undefined;
// Captured before the module runs, so it cannot be replaced by a liar.
const heapUsed = ((usage) => () => usage().heapUsed)(Deno.memoryUsage.bind(Deno));
let heapLimit = Infinity;

/** Stop the module once this worker's JavaScript heap has grown past its limit. */
function checkHeap(): void {
  const used = heapUsed();
  if (used > heapLimit) {
    throw new Error(
      `its JavaScript heap grew to ${Math.round(used / 2 ** 20)} MiB, over the limit of ${
        Math.round(heapLimit / 2 ** 20)
      } MiB`,
    );
  }
}
let lastBeat = 0;
let steps = 0;

/**
 * Every 32 steps: check the heap, and post a heartbeat for the current request at most once a
 * second.
 */
function beat(): void {
  if ((++steps & 31) !== 0) return;
  checkHeap();
  const now = performance.now();
  if (now - lastBeat < 1000) return;
  lastBeat = now;
  post({ id: currentId, alive: true });
}

async function handle(request: SandboxRequest): Promise<unknown> {
  if (request.kind === "load") {
    if (family !== undefined) throw new Error("internal error: the sandbox loads one module");
    heapLimit = request.heapLimitMiB * 2 ** 20;
    harden();
    let module: { default?: unknown };
    try {
      module = await import(request.url);
    } catch (e) {
      throw new Error(`importing it failed: ${describe(e)}`);
    }
    let meta;
    try {
      meta = familyMetadata(module.default);
    } catch (e) {
      throw new Error(`must export a TaskFamily as its default export (${(e as Error).message})`);
    }
    family = checkedFamily(module.default as TaskFamily, meta, beat);
    return meta;
  }
  if (family === undefined) throw new Error("internal error: no module loaded");
  if (request.kind === "tasks") {
    const f = family;
    return request.indices.map((task) =>
      f.sampleTask(
        stream({
          seed: request.seed,
          purpose: request.purpose,
          iteration: request.iteration,
          task,
        }),
      )
    );
  }
  const { policy, ...rest } = request.request;
  return samplePaths({ ...rest, family, policy: gaussianSampling(policy) }, request.jobs);
}

/** An error as text; never throws, whatever the module threw (a getter that throws, a symbol). */
function describe(e: unknown): string {
  try {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } catch {
    return "(an error that cannot be printed)";
  }
}

scope.onmessage = async (event) => {
  const { id, request } = event.data;
  currentId = id;
  lastBeat = performance.now();
  let reply: SandboxReply;
  let transfer: ArrayBuffer[] = [];
  active = true;
  try {
    if (stray !== undefined) throw new Error(stray);
    const result = await handle(request);
    checkHeap();
    reply = { id, result };
    if (request.kind === "sample") {
      transfer = (result as Path[]).flatMap((p) =>
        [p.observations, p.actions, p.rewards].map((a) => a.buffer as ArrayBuffer)
      );
    }
  } catch (e) {
    reply = { id, error: describe(e).slice(0, 2000) };
  }
  active = false;
  try {
    post(reply, transfer);
  } catch (e) {
    // A task that cannot be copied to the parent (a function, a symbol): say so instead.
    post({ id, error: `its result cannot be sent to the verifier: ${describe(e)}` });
  }
};
