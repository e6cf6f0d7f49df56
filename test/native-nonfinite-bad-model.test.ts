// Values that overflow to Inf/NaN inside the forward pass end the case as a bad_model error naming the first layer
// where they appear — never a "completed" case whose output is token 0.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openRunner } from "./helpers/native.ts";
import { readSafetensors, writeSafetensors } from "./helpers/safetensors.ts";

test("o_proj weights that overflow at layer 1: bad_model names layer 1; the runner keeps serving", async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-nonfinite-"));
  const r = await openRunner();
  try {
    await r.ok({ op: "load", model: "synthetic:tiny-llama", seed: 3 });
    await r.ok({ op: "export", dir: tmp });
    const file = path.join(tmp, "model.safetensors");
    const tensors = readSafetensors(file);
    const wo = tensors.get("model.layers.1.self_attn.o_proj.weight")!;
    const big = Buffer.alloc(wo.data.length);
    for (let i = 0; i < big.length; i += 4) big.writeFloatLE(3e38, i); // finite, but any sum of two overflows
    tensors.set("model.layers.1.self_attn.o_proj.weight", { ...wo, data: big });
    writeSafetensors(file, tensors);
    await r.ok({ op: "load", model: tmp });
    for (const method of [{ name: "dense" }, { name: "h2o", params: { k: 4, recent: 1 } }]) {
      const reply = await r.send({ op: "generate", inputIds: [1, 70, 80, 90, 100, 110], method, maxNewTokens: 3 });
      t.false(reply.ok, `${method.name} must fail`);
      if (!reply.ok) {
        t.is(reply.error.code, "bad_model");
        t.regex(reply.error.message, /non-finite values \((Inf|NaN)\) in the hidden states after layer 1$/);
      }
    }
    // GemFilter's filter pass at r = 1 stops after layer 1's Q/K, so it is fine; its second pass is not.
    const g = await r.send({ op: "generate", inputIds: [1, 70, 80, 90, 100, 110], method: { name: "gemfilter", params: { filterLayer: 1, k: 4 } }, maxNewTokens: 3 });
    t.true(!g.ok && g.error.code === "bad_model" && / layer 1$/.test(g.error.message));
    t.true(r.alive());
  } finally {
    await r.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
