// export with "dtype": "bf16" writes every tensor as BF16 rounded to nearest even from the model's fp32 values (the
// values the cuda backend holds for the same preset; what the transformers peer loads for a bf16 cell) at half the
// size, with torch_dtype "bfloat16"; the folder loads back, and exporting it again as bf16 is bit-identical (the
// rounding is idempotent). Any other dtype is a bad_param.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openRunner } from "./helpers/native.ts";
import { f32Values, readSafetensors, toBf16Bits } from "./helpers/safetensors.ts";

test("bf16 export: every value rounded to nearest even, half the bytes, reloadable, idempotent", async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-export-bf16-"));
  const r = await openRunner();
  try {
    await r.ok({ op: "load", model: "synthetic:tiny-qwen2", seed: 5 });
    const f32 = await r.ok({ op: "export", dir: path.join(tmp, "f32") });
    const bf = await r.ok({ op: "export", dir: path.join(tmp, "bf16"), dtype: "bf16" });
    const a = readSafetensors(path.join(tmp, "f32", "model.safetensors"));
    const b = readSafetensors(path.join(tmp, "bf16", "model.safetensors"));
    t.deepEqual([...b.keys()], [...a.keys()]);
    let values = 0;
    for (const [name, ta] of a) {
      const tb = b.get(name)!;
      t.is(tb.dtype, "BF16", name);
      t.deepEqual(tb.shape, ta.shape, name);
      const src = f32Values(ta);
      let same = true;
      src.forEach((x, i) => {
        same &&= tb.data.readUInt16LE(2 * i) === toBf16Bits(x);
      });
      t.true(same, `${name}: bf16 bits are the round-to-nearest-even of the fp32 values`);
      values += src.length;
    }
    t.true(values > 1000);
    t.true((bf.bytes as number) < 0.55 * (f32.bytes as number), "about half the bytes");
    const cfg = JSON.parse(fs.readFileSync(path.join(tmp, "bf16", "config.json"), "utf8")) as { torch_dtype: string };
    t.is(cfg.torch_dtype, "bfloat16");

    await r.ok({ op: "load", model: path.join(tmp, "bf16") });
    await r.ok({ op: "export", dir: path.join(tmp, "again"), dtype: "bf16" });
    t.true(fs.readFileSync(path.join(tmp, "again", "model.safetensors")).equals(fs.readFileSync(path.join(tmp, "bf16", "model.safetensors"))));

    const bad = await r.send({ op: "export", dir: path.join(tmp, "f16"), dtype: "f16" });
    t.false(bad.ok);
    if (!bad.ok) t.is(bad.error.code, "bad_param");
  } finally {
    await r.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
