// The cpu backend keeps a BF16 checkpoint's matrices in bf16 and computes in fp32: the load answer says
// weightDtype "bf16" and counts about half the weight bytes of the same values stored as F32, and generation (dense,
// GemFilter; both kernel sets) gives the F32 folder's tokens and first logits exactly — widening bf16 is exact.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openRunner } from "./helpers/native.ts";

for (const kernels of ["fast", "reference"]) {
  test(`bf16 weights kept as stored (${kernels} kernels): half the bytes, the F32 folder's tokens and logits`, async (t) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-w16-"));
    const r = await openRunner(["--threads", "2", "--kernels", kernels]);
    try {
      await r.ok({ op: "load", model: "synthetic:tiny-llama", seed: 9 });
      await r.ok({ op: "export", dir: path.join(tmp, "bf16"), dtype: "bf16" });
      const kept = await r.ok({ op: "load", model: path.join(tmp, "bf16") });
      await r.ok({ op: "export", dir: path.join(tmp, "f32") }); // the bf16 values widened, stored as F32
      const wide = await r.ok({ op: "load", model: path.join(tmp, "f32") });
      t.is(kept.weightDtype, "bf16");
      t.is(wide.weightDtype, "f32");
      t.is(kept.dtype, "f32");
      const kb = (kept.residentBytes as { weights: number }).weights;
      const wb = (wide.residentBytes as { weights: number }).weights;
      t.true(kb > 0.5 * wb && kb < 0.52 * wb, `weights held: ${kb} bytes vs ${wb} in fp32`);

      const inputIds = Array.from({ length: 60 }, (_, i) => 3 + ((i * 37) % 250));
      const gen = async (model: string, method: Record<string, unknown>) => {
        await r.ok({ op: "load", model });
        return r.ok({ op: "generate", inputIds, method, maxNewTokens: 6, ignoreEos: true, returnLogits: true });
      };
      for (const method of [{ name: "dense" }, { name: "gemfilter", params: { filterLayer: 1, k: 24 } }]) {
        const a = await gen(path.join(tmp, "bf16"), method);
        const b = await gen(path.join(tmp, "f32"), method);
        t.deepEqual(a.outputIds, b.outputIds, `${method.name}: tokens`);
        t.deepEqual(a.firstLogits, b.firstLogits, `${method.name}: first logits, exactly`);
      }
    } finally {
      await r.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}
