// The hand-assembled WebAssembly kernels and their committed text form are one: each module's
// bytes disassemble to its src/kernels/wat/*.wat, and the file assembles back to those bytes.
import assert from "node:assert/strict";
import { KERNEL_MODULES, kernelBytes, kernelText } from "../src/kernels/kernel_text.ts";

Deno.test("every kernel's text form (src/kernels/wat) is its bytes, both ways", async () => {
  for (const [name, make] of Object.entries(KERNEL_MODULES)) {
    const bytes = make();
    const committed = await Deno.readTextFile(`src/kernels/wat/${name}.wat`);
    assert.equal(await kernelText(bytes), committed, `${name}: run deno task wat`);
    assert.deepEqual(
      await kernelBytes(committed),
      bytes,
      `${name}: the text assembles to the bytes`,
    );
  }
});

Deno.test("a changed instruction in the text is a changed module", async () => {
  const bytes = KERNEL_MODULES["fused-passes"]();
  const text = await kernelText(bytes);
  const changed = text.replace("f32x4.mul", "f32x4.add");
  assert.notEqual(changed, text);
  assert.notDeepEqual(await kernelBytes(changed), bytes);
});
