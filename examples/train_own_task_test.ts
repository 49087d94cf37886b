// The smallest program on an own task: it runs with read permission on the project alone, prints
// one line per algorithm, and prints the same bytes every time.
import assert from "node:assert/strict";

async function runProgram(args: string[]): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read=.", "examples/train_own_task.ts", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  assert.equal(out.code, 0, decode(out.stderr));
  return { code: out.code, stdout: decode(out.stdout) };
}

Deno.test("train_own_task.ts: SG-MRL and MAML on the point mass, read permission only, the same bytes twice", async () => {
  const first = await runProgram(["2"]);
  const lines = first.stdout.trim().split("\n");
  assert.equal(lines.length, 2);
  const line = /^(sgmrl|maml): (-?\d+\.\d{3}) before adaptation, (-?\d+\.\d{3}) after$/;
  const parsed = lines.map((l) => line.exec(l));
  assert.ok(parsed.every((m) => m !== null), first.stdout);
  assert.deepEqual(parsed.map((m) => m![1]), ["sgmrl", "maml"]);
  // Every point-mass reward −|v − target| − 0.01·force² is at most 0, and so is every return.
  for (const m of parsed) assert.ok(Number(m![2]) <= 0 && Number(m![3]) <= 0, m![0]);
  assert.equal((await runProgram(["2"])).stdout, first.stdout);
});
