/**
 * `deno task bounds`: every constant of the convergence theory of SG-MRL (Lemma 1,
 * Proposition 1, Theorems 1, 3 and 4) for given policy, reward and batch constants.
 *
 * @module
 */
import {
  HELP_OPTION,
  optionsHelp,
  type OptionTable,
  type ParsedOptions,
  parseOptionTable,
  readJsonFile,
  runMain,
} from "../src/cli.ts";
import { InputError } from "../src/training/config.ts";
import {
  type BoundsInput,
  SOFTMAX_ONE_HOT,
  type TheoryBounds,
  theoryBounds,
} from "../src/theory/bounds.ts";
import { parseTheoryInput } from "../src/theory/theory.ts";

const OPTIONS = {
  G: {
    type: "string",
    value: "G",
    help: "bound on ‖∇log π‖ (Assumption 2), > 0 (tabular softmax, one-hot features: √2)",
  },
  L: {
    type: "string",
    value: "L",
    help: "bound on ‖∇²log π‖ (Assumption 2), > 0 (tabular softmax, one-hot features: 1)",
  },
  rho: { type: "string", value: "RHO", help: "Lipschitz constant of ∇²log π (Assumption 3), > 0" },
  R: { type: "string", value: "R", help: "reward bound, 0 ≤ r ≤ R (Assumption 1), > 0" },
  gamma: { type: "string", value: "GAMMA", help: "discount, in [0, 1)" },
  H: { type: "string", value: "H", help: "horizon: steps h = 0..H, integer ≥ 0" },
  Din: { type: "string", value: "DIN", help: "inner batch size |D_t|, integer ≥ 1" },
  B: { type: "string", value: "B", help: "task batch size, integer ≥ 1" },
  Do: { type: "string", value: "DO", help: "outer batch size, integer ≥ 1" },
  epsilon: { type: "string", value: "EPS", help: "target accuracy, in (0, 1)" },
  zeta: { type: "string", value: "ZETA", help: "inner steps ζ, integer ≥ 1 (default: 1)" },
  alpha: {
    type: "string",
    value: "A",
    help: "inner step size, > 0 (default: the largest admissible, 1/η_H)",
  },
  beta: {
    type: "string",
    value: "B",
    help: "outer step size, > 0 (default: the largest admissible, 1/L_V(ζ))",
  },
  mdp: {
    type: "string",
    value: "FILE",
    help:
      "a tabular problem file (the format of deno task theory --mdp): takes G = √2 and L = 1 (tabular softmax with one-hot features), R = max |r|, γ, H, D_in, D_o, ζ and α from it; options given explicitly override those values",
  },
  json: { type: "boolean", help: "exactly one JSON object on stdout instead of the table" },
  ...HELP_OPTION,
} as const satisfies OptionTable;

const HELP = `Usage: deno task bounds --G G --L L --rho RHO --R R --gamma GAMMA --H H --Din DIN
                        --B B --Do DO --epsilon EPS [--zeta ZETA] [--alpha A] [--beta B] [--json]

Print the constants of the convergence theory of SG-MRL: η_G, η_H, η_ρ (Lemma 1), the largest
admissible inner step size 1/η_H, G_V(ζ) (eq. 48), L_V(ζ) (eq. 66; eqs. 49 and 17 for
comparison), the largest admissible outer step size 1/L_V(ζ), the bound on E‖∇V_ζ(θ_ε)‖²
(eq. 70) and the iteration bounds (eq. 71 with O(1) = 1, and eq. 83).

Options:
${optionsHelp(OPTIONS)}

A given α or β is used as given and reported as admissible or not.

Exit codes: 0 done; 2 bad input (a missing, malformed or out-of-range value, an unknown option).
`;

/** The numeric options, with the field of BoundsInput each one fills. */
const NUMERIC = [
  ["G", "G"],
  ["L", "L"],
  ["rho", "rho"],
  ["R", "R"],
  ["gamma", "gamma"],
  ["H", "H"],
  ["Din", "Din"],
  ["B", "B"],
  ["Do", "Do"],
  ["epsilon", "epsilon"],
  ["zeta", "innerSteps"],
  ["alpha", "alpha"],
  ["beta", "beta"],
] as const;

const OPTIONAL = new Set(["zeta", "alpha", "beta"]);

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The constants a tabular softmax problem determines, by BoundsInput field. */
export function constantsFromProblem(value: unknown): Record<string, number> {
  const p = parseTheoryInput(value);
  const R = Math.max(...p.tasks.flatMap((t) => t.r.flat().map(Math.abs)));
  return {
    G: SOFTMAX_ONE_HOT.G,
    L: SOFTMAX_ONE_HOT.L,
    R,
    gamma: p.gamma,
    H: p.horizon,
    Din: p.batchIn,
    Do: p.batchOut,
    innerSteps: p.innerSteps,
    alpha: p.alpha,
  };
}

function parseInput(
  o: ParsedOptions<typeof OPTIONS>,
  fromProblem: Record<string, number> = {},
): BoundsInput {
  const input: Record<string, number> = {};
  for (const [option, field] of NUMERIC) {
    const text = o[option];
    if (text === undefined) {
      if (field in fromProblem) {
        input[field] = fromProblem[field];
        continue;
      }
      if (OPTIONAL.has(option)) continue;
      throw new InputError(`${option} must be given (--${option} NUMBER)`);
    }
    if (!DECIMAL.test(text)) {
      throw new InputError(`${option} must be a decimal number, got "${text}"`);
    }
    input[field] = Number(text);
  }
  return input as unknown as BoundsInput;
}

function compute(input: BoundsInput): TheoryBounds {
  try {
    return theoryBounds(input);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new InputError(e.message.replace(/\binnerSteps\b/g, "zeta"));
    }
    throw e;
  }
}

function formatNumber(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  const text = a >= 1e-3 && a < 1e7 ? x.toPrecision(7) : x.toExponential(6);
  return text.replace(/\.?0+(e|$)/, "$1");
}

function stepSize(given: boolean, admissible: boolean, max: string): string {
  if (!given) return `${max} (the largest admissible value)`;
  return admissible ? `given; admissible (≤ ${max})` : `given; NOT admissible (> ${max})`;
}

function table(b: TheoryBounds): string {
  const i = b.input;
  const rows: [string, string, string][] = [
    ["η_G", formatNumber(b.etaG), "G·R/(1−γ)²  [Lemma 1(i)]"],
    ["η_H", formatNumber(b.etaH), "((H+1)G² + L)·R/(1−γ)²  [Lemma 1(ii)]"],
    ["η_ρ", formatNumber(b.etaRho), "(2(H+1)G·L + ρ)·R/(1−γ)²  [Lemma 1(iii)]"],
    ["α_max", formatNumber(b.alphaMax), "1/η_H  [Proposition 1, Theorem 3]"],
    ["α", formatNumber(b.alpha), stepSize(b.alphaGiven, b.alphaAdmissible, "α_max")],
    ["G_V(ζ)", formatNumber(b.GV), "2^ζ·G·R·((1−γ)⁻² + D_in(H+1))  [eq. 48]"],
    [
      "L_V(ζ)",
      formatNumber(b.LV),
      "ζ·2^(ζ−1)·α·η_ρ·η_G + 4^ζ·η_H + 4^ζ·D_in(H+1)·(R(2^ζ·L + (ζ+2^ζ)·D_in·G²(H+1)" +
      " + (ζ−1)·α·η_ρ·G) + 2^(ζ+1)·η_G·G)  [eq. 66; used below]",
    ],
    [
      "L_V(ζ), Thm 3",
      formatNumber(b.LVTheorem3),
      "as eq. 66 with 2^ζ instead of 4^ζ before D_in(H+1)  [eq. 49; comparison]",
    ],
  ];
  if (b.LVProposition1 !== null) {
    rows.push([
      "L_V, Prop. 1",
      formatNumber(b.LVProposition1),
      "α·η_ρ·η_G + 4η_H + 8R·D_in(H+1)(L + D_in·G²(H+1))  [eq. 17; comparison]",
    ]);
  }
  rows.push(
    ["β_max", formatNumber(b.betaMax), "1/L_V(ζ)  [Theorems 1, 4]"],
    ["β", formatNumber(b.beta), stepSize(b.betaGiven, b.betaAdmissible, "β_max")],
    [
      "E‖∇V_ζ‖² ≤",
      formatNumber(b.stationarityBound),
      "2·G_V²·L_V·β/(B·D_o) + ε²  [eq. 70]",
    ],
    [
      "iterations ≤",
      formatNumber(b.iterationBound),
      "(R/β)·min{1/ε², B·D_o/(G_V²·L_V·β)}, O(1) taken as 1  [eq. 71]",
    ],
    [
      "iterations, (83)",
      formatNumber(b.iterationBoundEq83),
      "R/(β·ε²/2 + G_V²·L_V·β²/(2B·D_o))  [eq. 83]",
    ],
  );
  const width = (s: string) => [...s].length;
  const pad = (s: string, n: number) => s + " ".repeat(Math.max(0, n - width(s)));
  const header: [string, string, string] = ["name", "value", "formula"];
  const w0 = Math.max(...[header, ...rows].map((r) => width(r[0])));
  const w1 = Math.max(...[header, ...rows].map((r) => width(r[1])));
  const line = (r: [string, string, string]) => `${pad(r[0], w0)}  ${pad(r[1], w1)}  ${r[2]}`;
  const problems = [
    ...(b.alphaAdmissible ? [] : ["α > 1/η_H"]),
    ...(b.betaAdmissible ? [] : ["β > 1/L_V(ζ)"]),
  ];
  return [
    `ζ = ${i.innerSteps}, G = ${i.G}, L = ${i.L}, ρ = ${i.rho}, R = ${i.R}, γ = ${i.gamma}, ` +
    `H = ${i.H}, D_in = ${i.Din}, B = ${i.B}, D_o = ${i.Do}, ε = ${i.epsilon}`,
    "",
    line(header),
    ...rows.map(line),
    "",
    b.theoremApplies
      ? `The step-size hypotheses of Theorem ${i.innerSteps === 1 ? "1" : "4"} hold.`
      : `The step-size hypotheses of Theorem ${i.innerSteps === 1 ? "1" : "4"} do NOT hold (${
        problems.join(", ")
      }): the last three rows are not guaranteed.`,
  ].join("\n");
}

async function main(): Promise<number> {
  const o = parseOptionTable(Deno.args, OPTIONS);
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  const fromProblem = o.mdp === undefined
    ? {}
    : constantsFromProblem(await readJsonFile("mdp", o.mdp));
  const bounds = compute(parseInput(o, fromProblem));
  console.log(o.json ? JSON.stringify(bounds) : table(bounds));
  return 0;
}

if (import.meta.main) await runMain(main);
