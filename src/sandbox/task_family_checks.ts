/**
 * What the task sandbox and its parent exchange, and the checks that hold a task module to the
 * {@linkcode TaskFamily} contract: dimensions in range, finite action bounds with low < high, and
 * on every call an episode with a step function, observations of `obsDim` finite numbers, finite
 * rewards and boolean `done`. A broken or hostile family fails with one line saying which part of
 * the contract it broke, instead of a TypeError or a numerical failure blamed on the policy.
 *
 * @module
 */
import type { Episode, TaskFamily } from "../envs/env.ts";
import type { Purpose, RandomStream } from "../core/rng.ts";
import type { PortableSampleRequest, SampleJob } from "../estimators/sampler.ts";

/** Most observation or action dimensions a task module may declare. */
export const MAX_TASK_DIM = 4096;

/** What a task family tells the parent about itself: plain, checked data. */
export interface TaskFamilyMetadata {
  readonly id: string;
  readonly obsDim: number;
  readonly actDim: number;
  readonly discreteActions: boolean;
  readonly actionLow: readonly number[];
  readonly actionHigh: readonly number[];
}

/** A request to the sandbox. */
export type SandboxRequest =
  | { readonly kind: "load"; readonly url: string; readonly heapLimitMiB: number }
  | {
    readonly kind: "tasks";
    readonly seed: number;
    readonly purpose: Purpose;
    readonly iteration: number;
    readonly indices: readonly number[];
  }
  | {
    readonly kind: "sample";
    readonly request: PortableSampleRequest;
    readonly jobs: readonly SampleJob[];
  };

/** The sandbox's reply to request `id`, or a heartbeat while it works on it. */
export type SandboxReply =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: string }
  | { readonly id: number; readonly alive: true };

/**
 * Check that `value` (a module's default export) has a TaskFamily's shape and return its
 * metadata; throws an Error saying what is wrong (the first of {@linkcode metadataProblems}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { familyMetadata } from "./task_family_checks.ts";
 * const family = {
 *   id: "line", obsDim: 1, actDim: 1, actionLow: [-1], actionHigh: [1],
 *   sampleTask: () => ({}), describeTask: () => ({}), reset: () => ({}),
 * };
 * assert.equal(familyMetadata(family).actDim, 1, "checked");
 * let message = "";
 * try { familyMetadata({ ...family, actionLow: [2] }); } catch (e) { message = (e as Error).message; }
 * assert.ok(message.includes("actionLow[0] = 2 must be below actionHigh[0] = 1"), message);
 * ```
 */
export function familyMetadata(value: unknown): TaskFamilyMetadata {
  const problems = metadataProblems(value);
  if (problems.length > 0) throw new Error(problems[0]);
  const f = value as Record<string, unknown>;
  return {
    id: typeof f.id === "string" ? f.id.slice(0, 100) : "task-module",
    obsDim: f.obsDim as number,
    actDim: f.actDim as number,
    discreteActions: f.discreteActions === true,
    actionLow: [...f.actionLow as number[]],
    actionHigh: [...f.actionHigh as number[]],
  };
}

/**
 * Every way in which `value` is not shaped like a {@linkcode TaskFamily} (empty when it is):
 * dimensions, action bounds and the three functions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metadataProblems } from "./task_family_checks.ts";
 * const problems = metadataProblems({ obsDim: 0, actDim: 1, actionLow: [1], actionHigh: [1] });
 * assert.equal(problems.length, 5, problems.join("\n")); // obsDim, bounds, 3 functions
 * ```
 */
export function metadataProblems(value: unknown): string[] {
  if (typeof value !== "object" || value === null) {
    return ["its default export must be a TaskFamily object"];
  }
  const problems: string[] = [];
  const f = value as Record<string, unknown>;
  for (const key of ["obsDim", "actDim"]) {
    const n = f[key];
    if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_TASK_DIM) {
      problems.push(`${key} must be an integer in [1, ${MAX_TASK_DIM}], got ${show(n)}`);
    }
  }
  const actDim = f.actDim as number;
  const bounds: number[][] = [];
  for (const key of ["actionLow", "actionHigh"]) {
    const bound = f[key];
    if (!Array.isArray(bound) || bound.length !== actDim) {
      problems.push(`${key} must be an array of actDim (${show(actDim)}) numbers`);
      continue;
    }
    bound.forEach((v, j) => {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        problems.push(`${key}[${j}] must be a finite number, got ${show(v)}`);
      }
    });
    bounds.push(bound);
  }
  if (bounds.length === 2 && f.discreteActions !== true) {
    const [low, high] = bounds;
    for (let j = 0; j < actDim; j++) {
      if (!(low[j] < high[j]) && Number.isFinite(low[j]) && Number.isFinite(high[j])) {
        problems.push(`actionLow[${j}] = ${low[j]} must be below actionHigh[${j}] = ${high[j]}`);
      }
    }
  }
  for (const key of ["sampleTask", "describeTask", "reset"]) {
    if (typeof f[key] !== "function") problems.push(`${key} must be a function`);
  }
  return problems;
}

/**
 * `family` with every call checked against the contract (and `beat` called on every step, for
 * the sandbox's heartbeat). Its metadata is the checked copy, so the module cannot change its
 * dimensions or bounds after they were checked.
 */
export function checkedFamily(
  family: TaskFamily,
  meta: TaskFamilyMetadata,
  beat: () => void = () => {},
): TaskFamily {
  const { obsDim } = meta;
  const observationOf = (episode: Episode, when: string): Float64Array => {
    const o = episode.observation;
    if (!(o instanceof Float64Array) || o.length !== obsDim) {
      throw new Error(
        `${when}: the episode's observation must be a Float64Array of obsDim (${obsDim}) numbers, got ${
          o instanceof Float64Array ? `${o.length} numbers` : show(o)
        }`,
      );
    }
    for (let i = 0; i < obsDim; i++) {
      if (!Number.isFinite(o[i])) {
        throw new Error(`${when}: observation[${i}] is ${o[i]}, not a finite number`);
      }
    }
    return o;
  };
  const checkedEpisode = (episode: Episode): Episode => {
    let steps = 0;
    let when = "after reset()";
    return {
      get observation() {
        return observationOf(episode, when);
      },
      step(action: Float64Array) {
        const result = episode.step(action) as unknown;
        steps++;
        when = `after step ${steps}`;
        if (typeof result !== "object" || result === null) {
          throw new Error(`step ${steps} returned ${show(result)}, not { reward, done }`);
        }
        const { reward, done } = result as { reward: unknown; done: unknown };
        if (typeof reward !== "number" || !Number.isFinite(reward)) {
          throw new Error(`step ${steps} returned reward ${show(reward)}, not a finite number`);
        }
        if (typeof done !== "boolean") {
          throw new Error(`step ${steps} returned done ${show(done)}, not a boolean`);
        }
        beat();
        return { reward, done };
      },
      close: () => episode.close?.(),
    };
  };
  return {
    ...meta,
    sampleTask: (rng: RandomStream) => family.sampleTask(rng),
    describeTask: (task: unknown) => family.describeTask(task),
    reset(task: unknown, rng: RandomStream) {
      const episode = family.reset(task, rng) as unknown;
      if (
        typeof episode !== "object" || episode === null ||
        typeof (episode as Episode).step !== "function"
      ) {
        throw new Error(`reset() returned ${show(episode)}, not an episode with a step function`);
      }
      return checkedEpisode(episode as Episode);
    },
  };
}

/** A short, printable description of an untrusted value (no control characters). */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (Array.isArray(value)) text = `an array of ${value.length}`;
  else if (typeof value === "object" && value !== null) text = "an object";
  else text = String(value);
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?").slice(0, 80);
}
