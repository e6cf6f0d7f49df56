// F16 and BF16 checkpoints are converted to fp32 exactly: a folder rewritten in each dtype loads, and exporting it
// again (F32) gives, for every tensor, the exact value of each stored half/bfloat16 pattern — including fp16
// subnormals, signed zeros, the largest finite half and the smallest normal.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { bf16BitsToF32, f16BitsToNumber, f32Values, readSafetensors, toBf16Bits, u16Buffer, writeSafetensors, type StTensor } from "./helpers/safetensors.ts";
import { openRunner, type RunnerHandle } from "./helpers/native.ts";

let runner: RunnerHandle | null = null;
let tmp = "";
test.before(async () => {
  runner = await openRunner();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-dtypes-"));
  await runner.ok({ op: "load", model: "synthetic:tiny-llama", seed: 4, overrides: { num_hidden_layers: 2 } });
  await runner.ok({ op: "export", dir: path.join(tmp, "f32") });
});
test.after.always(async () => {
  await runner?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// Special fp16 patterns: ±0, smallest/largest subnormal, smallest normal, 1, largest finite, a few ordinary values.
const SPECIAL_F16 = [0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0xfbff, 0x8001, 0x3555, 0xc000];

function rewrite(name: string, dtype: "F16" | "BF16"): Map<string, number[]> {
  const src = readSafetensors(path.join(tmp, "f32", "model.safetensors"));
  const out = new Map<string, StTensor>();
  const bitsOf = new Map<string, number[]>();
  for (const [tn, t] of src) {
    const vals = [...f32Values(t)];
    let bits: number[];
    if (dtype === "BF16") bits = vals.map(toBf16Bits);
    else if (tn === "model.norm.weight") bits = vals.map((_, i) => SPECIAL_F16[i % SPECIAL_F16.length]!);
    else bits = vals.map((v) => Math.round(v * 1024) & 0x3ff | 0x3800); // halves in [0.5, 1): exact patterns, any mapping will do
    bitsOf.set(tn, bits);
    out.set(tn, { dtype, shape: t.shape, data: u16Buffer(bits) });
  }
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(tmp, "f32", "config.json"), path.join(dir, "config.json"));
  writeSafetensors(path.join(dir, "model.safetensors"), out);
  return bitsOf;
}

for (const dtype of ["BF16", "F16"] as const) {
  test.serial(`${dtype} weights load as their exact fp32 values`, async (t) => {
    const r = runner!;
    const bits = rewrite(dtype.toLowerCase(), dtype);
    await r.ok({ op: "load", model: path.join(tmp, dtype.toLowerCase()) });
    const back = path.join(tmp, `${dtype.toLowerCase()}-back`);
    await r.ok({ op: "export", dir: back });
    const got = readSafetensors(path.join(back, "model.safetensors"));
    t.is(got.size, bits.size);
    let compared = 0;
    for (const [tn, b] of bits) {
      const vals = f32Values(got.get(tn)!);
      const want = b.map((x) => (dtype === "BF16" ? bf16BitsToF32(x) : f16BitsToNumber(x)));
      for (let i = 0; i < want.length; i++) {
        if (!Object.is(vals[i], Math.fround(want[i]!))) {
          t.fail(`${tn}[${i}]: got ${vals[i]}, want ${want[i]} (bits 0x${b[i]!.toString(16)})`);
          return;
        }
        compared++;
      }
    }
    t.true(compared > 10000, `compared ${compared} values`);
    // The converted model runs.
    const g = await r.ok({ op: "generate", inputIds: [1, 50, 60, 70], method: { name: "dense" }, maxNewTokens: 3, ignoreEos: true });
    t.is((g.outputIds as number[]).length, 3);
  });
}
