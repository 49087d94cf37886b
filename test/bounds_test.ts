// The constants of the convergence theory: hand-computed values, the ζ = 1 case of the general-ζ
// formulas, monotonicity, admissibility, validation, and the `deno task bounds` command line.
import assert from "node:assert/strict";
import { workedExample } from "../src/theory/theory_suite.ts";
import {
  alphaMax,
  betaMax,
  type BoundsInput,
  etaG,
  etaH,
  etaRho,
  gradientBoundV,
  iterationBound,
  iterationBoundEq83,
  lipschitzV,
  lipschitzV1,
  lipschitzVTheorem3,
  SOFTMAX_ONE_HOT,
  stationarityBound,
  theoryBounds,
} from "../src/theory/bounds.ts";

/** Relative closeness, for values that are not exact in binary floating point. */
function close(actual: number, expected: number, rel = 1e-12): void {
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.abs(expected),
    `${actual} is not within ${rel} (relative) of ${expected}`,
  );
}

// A small input in which every intermediate value is a dyadic rational, so the arithmetic below is
// exact: (1 − γ)² = 1/4, α = 1/16, β = 1/256.
const SMALL = { G: 1, L: 1, rho: 1, R: 1, gamma: 0.5, H: 1, Din: 1 };
const SMALL_ALPHA = 1 / 16;
const SMALL_BETA = 1 / 256;

Deno.test("Lemma 1 and α_max by hand (γ = 1/2, H = 1, G = L = ρ = R = 1)", () => {
  // η_G = G·R/(1−γ)² = 1·1/(1/4) = 4
  assert.equal(etaG(SMALL), 4);
  // η_H = ((H+1)G² + L)·R/(1−γ)² = (2·1 + 1)·1·4 = 12
  assert.equal(etaH(SMALL), 12);
  // η_ρ = (2(H+1)G·L + ρ)·R/(1−γ)² = (2·2·1·1 + 1)·1·4 = 20
  assert.equal(etaRho(SMALL), 20);
  // α_max = 1/η_H = 1/12
  assert.equal(alphaMax(SMALL), 1 / 12);
});

Deno.test("Lemma 1 by hand with γ = 0.9, H = 2, G = 2, L = 3, ρ = 5, R = 7", () => {
  const p = { G: 2, L: 3, rho: 5, R: 7, gamma: 0.9, H: 2 };
  // 1/(1 − 0.9)² = 100 (up to rounding of 0.1)
  // η_G = 2·7·100 = 1400
  close(etaG(p), 1400);
  // η_H = (3·4 + 3)·7·100 = 15·700 = 10500
  close(etaH(p), 10500);
  // η_ρ = (2·3·2·3 + 5)·7·100 = 41·700 = 28700
  close(etaRho(p), 28700);
});

Deno.test("Proposition 1 (ζ = 1) by hand: G_V, L_V of eq. 17, and eqs. 49 and 66 at ζ = 1", () => {
  const p = { ...SMALL, alpha: SMALL_ALPHA };
  // G_V = 2GR[(1−γ)⁻² + D_in(H+1)] = 2·1·1·(4 + 1·2) = 12
  assert.equal(gradientBoundV({ ...p, innerSteps: 1 }), 12);
  // eq. 17: α·η_ρ·η_G + 4η_H + 8R·D_in(H+1)(L + D_in·G²(H+1))
  //       = (1/16)·20·4 + 4·12 + 8·1·1·2·(1 + 1·1·2) = 5 + 48 + 48 = 101
  assert.equal(lipschitzV1(p), 101);
  // eq. 66 at ζ = 1: 1·2⁰·α·η_ρ·η_G + 2²·η_H
  //   + 2²·D_in(H+1)·(R(2L + 3·D_in·G²(H+1) + 0·α·η_ρ·G) + 2²·η_G·G)
  //   = 5 + 48 + 4·2·((2 + 6 + 0) + 16) = 5 + 48 + 192 = 245
  assert.equal(lipschitzV({ ...p, innerSteps: 1 }), 245);
  // eq. 49 at ζ = 1: the third term has 2¹ instead of 2²: 5 + 48 + 2·2·24 = 149
  assert.equal(lipschitzVTheorem3({ ...p, innerSteps: 1 }), 149);
  // β_max = 1/L_V(1) = 1/245
  assert.equal(betaMax({ ...p, innerSteps: 1 }), 1 / 245);
});

Deno.test("general ζ by hand: ζ = 2 on the small input", () => {
  const p = { ...SMALL, alpha: SMALL_ALPHA, innerSteps: 2 };
  // G_V(2) = 2²·1·1·(4 + 2) = 24
  assert.equal(gradientBoundV(p), 24);
  // eq. 66 at ζ = 2:
  //   ζ·2^(ζ−1)·α·η_ρ·η_G = 2·2·(1/16)·20·4 = 20
  //   2^(2ζ)·η_H = 16·12 = 192
  //   bracket = R(2²·L + (2 + 4)·D_in·G²(H+1) + 1·α·η_ρ·G) + 2³·η_G·G
  //           = (4 + 12 + 1.25) + 32 = 49.25
  //   2^(2ζ)·D_in(H+1)·bracket = 16·2·49.25 = 1576
  //   total = 20 + 192 + 1576 = 1788
  assert.equal(lipschitzV(p), 1788);
  // eq. 49 at ζ = 2: 20 + 192 + 2²·2·49.25 = 20 + 192 + 394 = 606
  assert.equal(lipschitzVTheorem3(p), 606);
});

Deno.test("Theorem 1 by hand: stationarity and iteration bounds (eqs. 70, 71, 83)", () => {
  const c = { GV: 12, LV: 245, beta: SMALL_BETA, B: 2, Do: 4, epsilon: 0.5, R: 1 };
  // 2·G_V²·L_V·β/(B·D_o) + ε² = 2·144·245/256/8 + 1/4 = 70560/2048 + 0.25 = 34.703125
  assert.equal(stationarityBound(c), 34.703125);
  // G_V²·L_V·β = 144·245/256 = 137.8125;  B·D_o/137.8125 = 8/137.8125 < 1/ε² = 4
  // (R/β)·min{…} = 256·8/137.8125 = 2048/137.8125 = 524288/35280
  close(iterationBound(c), 524288 / 35280);
  // With D_o = 10000 the other branch is the smaller: 20000/137.8125 ≈ 145.1 > 4, so 256·4
  assert.equal(iterationBound({ ...c, Do: 10000 }), 1024);
  // eq. 83: R/(β·ε²/2 + G_V²·L_V·β²/(2B·D_o)) = 1/(1/2048 + 137.8125/(256·16))
  //       = 1/((512 + 35280)/2²⁰) = 1048576/35792
  assert.equal(iterationBoundEq83(c), 1048576 / 35792);
  // (71) with O(1) = 1 is within a factor 2 of (83), for both branches of the minimum
  for (const Do of [4, 10000]) {
    const q = { ...c, Do };
    assert.ok(iterationBound(q) <= iterationBoundEq83(q));
    assert.ok(iterationBoundEq83(q) <= 2 * iterationBound(q));
  }
});

Deno.test("theoryBounds on the small input: every field, given and default step sizes", () => {
  const base: BoundsInput = { ...SMALL, B: 2, Do: 4, epsilon: 0.5 };
  const b = theoryBounds({ ...base, alpha: SMALL_ALPHA, beta: SMALL_BETA });
  assert.deepEqual(b, {
    input: { ...SMALL, B: 2, Do: 4, epsilon: 0.5, innerSteps: 1 },
    etaG: 4,
    etaH: 12,
    etaRho: 20,
    alphaMax: 1 / 12,
    alpha: 1 / 16,
    alphaGiven: true,
    alphaAdmissible: true,
    GV: 12,
    LV: 245,
    LVTheorem3: 149,
    LVProposition1: 101,
    betaMax: 1 / 245,
    beta: 1 / 256,
    betaGiven: true,
    betaAdmissible: true,
    theoremApplies: true,
    stationarityBound: 34.703125,
    iterationBound: 524288 / 35280,
    iterationBoundEq83: 1048576 / 35792,
  });
  // Omitted α and β are the largest admissible values; with β = 1/L_V eq. 70 is 2G_V²/(B·D_o) + ε²
  const d = theoryBounds(base);
  assert.equal(d.alpha, 1 / 12);
  assert.equal(d.alphaGiven, false);
  assert.equal(d.beta, d.betaMax);
  assert.equal(d.betaGiven, false);
  assert.ok(d.alphaAdmissible && d.betaAdmissible && d.theoremApplies);
  // α = 1/12: α·η_ρ·η_G = 80/12 = 20/3, so L_V(1) = 20/3 + 48 + 192 = 740/3
  close(d.LV, 740 / 3);
  close(d.stationarityBound, (2 * 144) / 8 + 0.25);
  // ζ > 1: no Proposition 1 value
  assert.equal(theoryBounds({ ...base, innerSteps: 2 }).LVProposition1, null);
});

Deno.test("ζ = 1 case of the general-ζ formulas against Proposition 1", () => {
  const grid = [
    { G: 1, L: 1, rho: 1, R: 1, gamma: 0.5, H: 1, Din: 1, alpha: 1 / 16 },
    { G: Math.SQRT2, L: 1, rho: 1, R: 1, gamma: 0.9, H: 1, Din: 1, alpha: 1e-3 },
    { G: 2, L: 3, rho: 5, R: 7, gamma: 0.99, H: 10, Din: 20, alpha: 1e-7 },
    { G: 0.3, L: 0.2, rho: 4, R: 0.5, gamma: 0, H: 0, Din: 3, alpha: 0.01 },
  ];
  for (const p of grid) {
    const q = { ...p, innerSteps: 1 };
    // G_V(1) of eq. 48 is Proposition 1's G_V = 2GR[(1−γ)⁻² + D_in(H+1)]
    close(
      gradientBoundV(q),
      2 * p.G * p.R * (1 / (1 - p.gamma) ** 2 + p.Din * (p.H + 1)),
    );
    // eq. 66 at ζ = 1 is eq. 17 plus 4R·D_in²G²(H+1)² + 16·D_in(H+1)·G·η_G (so never smaller):
    // the third term of (66) is 4·D_in(H+1)(R(2L + 3D_in·G²(H+1)) + 4η_G·G)
    //   = 8R·D_in(H+1)L + 12R·D_in²G²(H+1)² + 16D_in(H+1)G·η_G,
    // that of (17) is 8R·D_in(H+1)L + 8R·D_in²G²(H+1)².
    const extra = 4 * p.R * (p.Din * p.G * (p.H + 1)) ** 2 +
      16 * p.Din * (p.H + 1) * p.G * etaG(p);
    close(lipschitzV(q), lipschitzV1(p) + extra);
    assert.ok(lipschitzV(q) > lipschitzV1(p));
    // (66) is never smaller than Theorem 3's statement (49)
    assert.ok(lipschitzV(q) >= lipschitzVTheorem3(q));
  }
});

Deno.test("monotonicity: L_V grows with H, D_in, α, γ and ζ; G_V doubles per inner step", () => {
  const p = { G: Math.SQRT2, L: 1, rho: 1, R: 1, gamma: 0.9, H: 1, Din: 1, alpha: 1e-3 };
  for (let zeta = 1; zeta <= 6; zeta++) {
    const q = { ...p, innerSteps: zeta };
    const lv = lipschitzV(q);
    assert.ok(lipschitzV({ ...q, H: 2 }) > lv, `H, ζ = ${zeta}`);
    assert.ok(lipschitzV({ ...q, Din: 2 }) > lv, `Din, ζ = ${zeta}`);
    assert.ok(lipschitzV({ ...q, alpha: 2e-3 }) > lv, `alpha, ζ = ${zeta}`);
    assert.ok(lipschitzV({ ...q, gamma: 0.95 }) > lv, `gamma, ζ = ${zeta}`);
    assert.ok(lipschitzV({ ...q, innerSteps: zeta + 1 }) > lv, `ζ = ${zeta}`);
    assert.ok(lipschitzV(q) >= lipschitzVTheorem3(q));
    // G_V(ζ+1) = 2·G_V(ζ) exactly (multiplication by a power of two)
    assert.equal(gradientBoundV({ ...q, innerSteps: zeta + 1 }), 2 * gradientBoundV(q));
    // (ζ+1)·2^ζ = (2(ζ+1)/ζ)·ζ·2^(ζ−1) ≥ 2·ζ·2^(ζ−1), and the 4^ζ factors of the other two terms
    // quadruple (their brackets grow too): L_V(ζ+1) ≥ 4·L_V(ζ) − 2·ζ·2^(ζ−1)·α·η_ρ·η_G ≥ 2·L_V(ζ)
    const first = zeta * 2 ** (zeta - 1) * p.alpha * etaRho(p) * etaG(p);
    const next = lipschitzV({ ...q, innerSteps: zeta + 1 });
    assert.ok(next >= 4 * lv - 2 * first, `ζ = ${zeta}`);
    assert.ok(next >= 2 * lv, `ζ = ${zeta}`);
  }
  // η_H and η_ρ grow with H; η_G does not depend on it
  const longer = { ...p, H: 2 };
  assert.ok(etaH(longer) > etaH(p));
  assert.ok(etaRho(longer) > etaRho(p));
  assert.equal(etaG(longer), etaG(p));
  // a larger L_V means a smaller admissible β
  assert.ok(betaMax({ ...p, innerSteps: 2 }) < betaMax({ ...p, innerSteps: 1 }));
});

Deno.test("admissibility of given step sizes", () => {
  const base: BoundsInput = { ...SMALL, B: 2, Do: 4, epsilon: 0.5 };
  // α_max = 1/12: 1/12 itself is admissible, 1/11 is not
  assert.equal(theoryBounds({ ...base, alpha: 1 / 12 }).alphaAdmissible, true);
  const tooLargeAlpha = theoryBounds({ ...base, alpha: 1 / 11 });
  assert.equal(tooLargeAlpha.alphaAdmissible, false);
  assert.equal(tooLargeAlpha.theoremApplies, false);
  assert.equal(tooLargeAlpha.alpha, 1 / 11);
  // β_max = 1/245 for α = 1/16: 1/245 is admissible, 1/244 is not
  assert.equal(theoryBounds({ ...base, alpha: SMALL_ALPHA, beta: 1 / 245 }).betaAdmissible, true);
  const tooLargeBeta = theoryBounds({ ...base, alpha: SMALL_ALPHA, beta: 1 / 244 });
  assert.equal(tooLargeBeta.betaAdmissible, false);
  assert.equal(tooLargeBeta.alphaAdmissible, true);
  assert.equal(tooLargeBeta.theoremApplies, false);
  // β_max depends on α through L_V: a β admissible for α = 1/16 need not be for α = 1/12
  const b = 1 / 245;
  assert.equal(theoryBounds({ ...base, alpha: 1 / 12, beta: b }).betaAdmissible, false);
  // the one-hot softmax constants give admissible defaults
  const s = theoryBounds({ ...base, ...SOFTMAX_ONE_HOT, gamma: 0.9 });
  assert.ok(s.theoremApplies);
});

Deno.test("validation: one-line RangeError naming the field and what is allowed", () => {
  const base: BoundsInput = { ...SMALL, B: 2, Do: 4, epsilon: 0.5 };
  const cases: [Partial<Record<keyof BoundsInput, unknown>>, RegExp][] = [
    [{ G: 0 }, /^G must be a positive finite number, got 0$/],
    [{ L: -1 }, /^L must be a positive finite number, got -1$/],
    [{ rho: Infinity }, /^rho must be a positive finite number, got Infinity$/],
    [{ R: NaN }, /^R must be a positive finite number, got NaN$/],
    [{ R: "1" }, /^R must be a positive finite number, got "1"$/],
    [{ gamma: 1 }, /^gamma must be a number in \[0, 1\), got 1$/],
    [{ gamma: -0.1 }, /^gamma must be a number in \[0, 1\), got -0.1$/],
    [{ H: 1.5 }, /^H must be an integer ≥ 0, got 1.5$/],
    [{ H: -1 }, /^H must be an integer ≥ 0, got -1$/],
    [{ Din: 0 }, /^Din must be an integer ≥ 1, got 0$/],
    [{ B: 2.5 }, /^B must be an integer ≥ 1, got 2.5$/],
    [{ Do: undefined }, /^Do must be an integer ≥ 1, got undefined$/],
    [{ epsilon: 1 }, /^epsilon must be a number in \(0, 1\), got 1$/],
    [{ epsilon: 0 }, /^epsilon must be a number in \(0, 1\), got 0$/],
    [{ innerSteps: 0 }, /^innerSteps must be an integer ≥ 1, got 0$/],
    [{ alpha: 0 }, /^alpha must be a positive finite number, got 0$/],
    [{ beta: -1 }, /^beta must be a positive finite number, got -1$/],
    [{ innerSteps: 5000 }, /overflows double precision/],
  ];
  for (const [edit, message] of cases) {
    const input = { ...base, ...edit } as BoundsInput;
    assert.throws(
      () => theoryBounds(input),
      (e: unknown) => e instanceof RangeError && message.test(e.message),
      JSON.stringify(edit),
    );
  }
  // the individual functions validate their own inputs
  assert.throws(() => etaG({ G: 1, R: 1, gamma: 1 }), /^RangeError: gamma must be/);
  assert.throws(
    () => stationarityBound({ GV: 1, LV: 1, beta: 1, B: 1, Do: 0, epsilon: 0.5 }),
    /^RangeError: Do must be an integer ≥ 1/,
  );
  assert.throws(
    () => lipschitzV({ ...SMALL, alpha: 1e-3, innerSteps: 0.5 }),
    /^RangeError: innerSteps must be an integer ≥ 1/,
  );
  assert.throws(
    () => theoryBounds(null as unknown as BoundsInput),
    /^RangeError: input must be an object/,
  );
});

async function cli(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read=.", "tasks/bounds.ts", ...args],
    cwd: new URL("..", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr).trim() };
}

const CLI_ARGS = [
  ...["--G", "1", "--L", "1", "--rho", "1", "--R", "1", "--gamma", "0.5", "--H", "1"],
  ...["--Din", "1", "--B", "2", "--Do", "4", "--epsilon", "0.5"],
];

Deno.test("deno task bounds --json: exactly one JSON object with every field", async () => {
  const r = await cli(...CLI_ARGS, "--alpha", "0.0625", "--beta", "0.00390625", "--json");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout.trim().split("\n").length, 1);
  const b = JSON.parse(r.stdout);
  assert.deepEqual(
    b,
    JSON.parse(JSON.stringify(theoryBounds({
      ...SMALL,
      B: 2,
      Do: 4,
      epsilon: 0.5,
      alpha: SMALL_ALPHA,
      beta: SMALL_BETA,
    }))),
  );
  assert.deepEqual(Object.keys(b).sort(), [
    "GV",
    "LV",
    "LVProposition1",
    "LVTheorem3",
    "alpha",
    "alphaAdmissible",
    "alphaGiven",
    "alphaMax",
    "beta",
    "betaAdmissible",
    "betaGiven",
    "betaMax",
    "etaG",
    "etaH",
    "etaRho",
    "input",
    "iterationBound",
    "iterationBoundEq83",
    "stationarityBound",
    "theoremApplies",
  ]);
  assert.equal(b.LV, 245);
  // --zeta is innerSteps
  const z = JSON.parse((await cli(...CLI_ARGS, "--zeta", "2", "--json")).stdout);
  assert.equal(z.input.innerSteps, 2);
  assert.equal(z.LVProposition1, null);
});

Deno.test("deno task bounds: readable table without --json, help", async () => {
  const r = await cli(...CLI_ARGS, "--alpha", "0.1");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^name +value +formula$/m);
  assert.match(r.stdout, /^η_G +4 +G·R\/\(1−γ\)²/m);
  assert.match(r.stdout, /^L_V, Prop\. 1 +/m);
  assert.match(r.stdout, /NOT admissible/);
  assert.match(r.stdout, /do NOT hold \(α > 1\/η_H\)/);
  const h = await cli("--help");
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^Usage: deno task bounds/);
});

Deno.test("deno task bounds: exit 2 and one line on stderr for bad input", async () => {
  const bad: [string[], RegExp][] = [
    [["--G", "0"], /^error: G must be a positive finite number, got 0$/],
    [["--gamma", "1"], /^error: gamma must be a number in \[0, 1\), got 1$/],
    [["--H", "1.5"], /^error: H must be an integer ≥ 0, got 1.5$/],
    [["--Din", "abc"], /^error: Din must be a decimal number, got "abc"$/],
    [["--zeta", "0"], /^error: zeta must be an integer ≥ 1, got 0$/],
    [["--epsilon", "2"], /^error: epsilon must be a number in \(0, 1\), got 2$/],
    [["--beta", ""], /^error: beta must be a decimal number, got ""$/],
    [["--unknown", "1"], /^error: Unknown option '--unknown'/],
  ];
  for (const [extra, message] of bad) {
    // a later occurrence of an option overrides the earlier one
    const r = await cli(...CLI_ARGS, ...extra, "--json");
    assert.equal(r.code, 2, `${extra.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, message);
    assert.equal(r.stderr.split("\n").length, 1);
  }
  const missing = await cli("--G", "1");
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, "error: L must be given (--L NUMBER)");
});

Deno.test("CLI --mdp: G, L, R, γ, H, D_in, D_o, ζ and α come from a tabular problem file", async () => {
  const file = await Deno.makeTempFile({ dir: "results", suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify(workedExample(2)));
    const r = await cli("--mdp", file, "--rho", "1", "--B", "1", "--epsilon", "0.1", "--json");
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    const { input } = result;
    // The worked example: rewards up to 0.9, γ = 0.9, H = 1, |D_t| = |D_o| = 1, ζ = 2, α = 0.5.
    assert.equal(input.G, Math.SQRT2);
    assert.equal(input.L, 1);
    assert.equal(input.R, 0.9);
    assert.equal(input.gamma, 0.9);
    assert.equal(input.H, 1);
    assert.equal(input.Din, 1);
    assert.equal(input.Do, 1);
    assert.equal(input.innerSteps, 2);
    assert.equal(result.alpha, 0.5);
    assert.equal(result.alphaGiven, true);
    // Explicit options override the file.
    const o = await cli(
      "--mdp",
      file,
      "--rho",
      "1",
      "--B",
      "1",
      "--epsilon",
      "0.1",
      "--H",
      "3",
      "--json",
    );
    assert.equal(JSON.parse(o.stdout).input.H, 3);
    await Deno.writeTextFile(file, '{"states": 2}');
    const bad = await cli("--mdp", file, "--rho", "1", "--B", "1", "--epsilon", "0.1");
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(file);
  }
});
