/**
 * The built-in problems of the exact bias analysis.
 *
 * @module
 */
import type { TheoryInput } from "./theory.ts";

const WORKED_TASK = {
  weight: 1,
  mu: [0.6, 0.4],
  P: [[[0.2, 0.8], [0.7, 0.3]], [[0.5, 0.5], [0.1, 0.9]]],
  r: [[0.3, 0.9], [0.6, 0.1]],
};

/**
 * The worked example: 2 states, 2 actions, H = 1 (two steps), γ = 0.9, α = 0.5, one task,
 * θ = [0.3, −0.2, 0.5, 0.1], |D_t| = |D_o| = 1, ζ inner steps.
 */
export function workedExample(innerSteps: number): TheoryInput {
  return {
    states: 2,
    actions: 2,
    horizon: 1,
    gamma: 0.9,
    alpha: 0.5,
    innerSteps,
    batchIn: 1,
    batchOut: 1,
    tasks: [WORKED_TASK],
    theta: [0.3, -0.2, 0.5, 0.1],
  };
}

/** The worked example's task mixed half and half with a task of other dynamics and rewards. */
export function twoTaskMixture(): TheoryInput {
  return {
    ...workedExample(1),
    tasks: [
      { ...WORKED_TASK, weight: 0.5 },
      {
        weight: 0.5,
        mu: [0.3, 0.7],
        P: [[[0.9, 0.1], [0.4, 0.6]], [[0.2, 0.8], [0.6, 0.4]]],
        r: [[0.8, 0.1], [0.2, 0.7]],
      },
    ],
  };
}

/**
 * The built-in suite, by name, in the order of the summary (problems added later come last, so
 * that the summary of the earlier ones stays a prefix of it).
 */
export const THEORY_SUITE: Readonly<Record<string, () => TheoryInput>> = {
  "worked-example-z1": () => workedExample(1),
  "worked-example-z2": () => workedExample(2),
  "two-task-mixture-z1": twoTaskMixture,
  "worked-example-z3": () => workedExample(3),
};

/** The ids of the worked example at ζ = 1, 2, 3, compared side by side in the summary. */
export const WORKED_EXAMPLE_BY_STEPS: readonly string[] = [
  "worked-example-z1",
  "worked-example-z2",
  "worked-example-z3",
];
