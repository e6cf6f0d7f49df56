// Synthetic presets have the published architectures (parameter counts equal the released models' exact counts,
// computed by `describe` without allocating anything); weights are a pure function of preset + overrides + seed;
// overrides go through the same validation as a config.json.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openRunner } from "./helpers/native.ts";

test("full-size presets: published shapes and exact parameter counts", async (t) => {
  const r = await openRunner();
  try {
    const want: Record<string, Record<string, unknown>> = {
      // Llama-3.1-8B 8,030,261,248; Mistral-Nemo-Base-2407 12,247,782,400; Phi-3.5-mini 3,821,079,552; Qwen2.5-7B 7,615,616,512.
      "llama-3.1-8b": { family: "llama", layers: 32, heads: 32, kvHeads: 8, headDim: 128, hiddenSize: 4096, intermediateSize: 14336, vocabSize: 128256, maxPositions: 131072, ropeScaling: "llama3", eosIds: [128001, 128008, 128009], parameterCount: 8030261248 },
      "mistral-nemo-12b": { family: "mistral", layers: 40, heads: 32, kvHeads: 8, headDim: 128, hiddenSize: 5120, intermediateSize: 14336, vocabSize: 131072, ropeScaling: "none", parameterCount: 12247782400 },
      "phi-3.5-mini": { family: "phi3", layers: 32, heads: 32, kvHeads: 32, headDim: 96, hiddenSize: 3072, intermediateSize: 8192, vocabSize: 32064, maxPositions: 131072, ropeScaling: "longrope", parameterCount: 3821079552 },
      "qwen2.5-7b": { family: "qwen2", layers: 28, heads: 28, kvHeads: 4, headDim: 128, hiddenSize: 3584, intermediateSize: 18944, vocabSize: 152064, qkvBias: true, slidingWindow: null, parameterCount: 7615616512 },
    };
    for (const [preset, fields] of Object.entries(want)) {
      const info = await r.ok({ op: "describe", model: `synthetic:${preset}` });
      for (const [k, v] of Object.entries(fields)) t.deepEqual(info[k], v, `${preset}.${k}`);
      t.is((info.residentBytes as { weights: number }).weights, (fields.parameterCount as number) * 4);
    }
    // Overrides shrink a preset; describe and load agree on the count.
    const small = { num_hidden_layers: 2, hidden_size: 128, intermediate_size: 256, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 512, bos_token_id: 1, eos_token_id: 2 };
    const d = await r.ok({ op: "describe", model: "synthetic:llama-3.1-8b", overrides: small });
    const l = await r.ok({ op: "load", model: "synthetic:llama-3.1-8b", overrides: small });
    t.is(d.parameterCount, l.parameterCount);
    t.is(l.headDim, 32);
    t.is(l.layers, 2);
    t.is(l.ropeScaling, "llama3");
    // A bad override is named like a bad config.json key.
    const bad = await r.send({ op: "load", model: "synthetic:tiny-llama", overrides: { num_attention_heads: 5 } });
    t.true(!bad.ok && bad.error.code === "model_error" && /num_key_value_heads = 2 does not divide num_attention_heads = 5/.test(bad.error.message));
  } finally {
    await r.close();
  }
});

test("weights are a function of preset + overrides + seed", async (t) => {
  const r = await openRunner();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-seed-"));
  try {
    const exportWith = async (name: string, seed: number, overrides: Record<string, unknown> = {}) => {
      await r.ok({ op: "load", model: "synthetic:tiny-mistral", seed, overrides });
      await r.ok({ op: "export", dir: path.join(tmp, name) });
      return fs.readFileSync(path.join(tmp, name, "model.safetensors"));
    };
    const a = await exportWith("a", 5);
    const b = await exportWith("b", 5);
    const c = await exportWith("c", 6);
    const d = await exportWith("d", 5, { num_hidden_layers: 2 });
    t.true(a.equals(b), "same seed → identical bytes");
    t.false(a.equals(c), "another seed → other weights");
    t.true(d.length < a.length);
  } finally {
    await r.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
