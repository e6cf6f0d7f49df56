// synthetic:retrieval-tiny is a real Llama model: it answers a passkey prompt by copying the value, it exports as a
// Hugging Face folder that loads back to the same outputs and logits, and its written shape refuses overrides.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { ByteTokenizer } from "../harness/tokenizer.ts";
import { openRunner } from "./helpers/native.ts";

const tok = new ByteTokenizer();
const PROMPT =
  "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them.\n" +
  "The grass is green. The sky is blue. The pass key is 60417. Remember it. 60417 is the pass key. The sun is yellow.\n" +
  "What is the pass key? The pass key is";

test("dense copies the pass key; the exported folder reproduces it; overrides are refused", async (t) => {
  const r = await openRunner();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-retrieval-"));
  try {
    const info = await r.ok({ op: "load", model: "synthetic:retrieval-tiny" });
    t.like(info, { family: "llama", layers: 3, heads: 3, kvHeads: 3, headDim: 256, hiddenSize: 384, vocabSize: 259, maxPositions: 8192 });
    const req = { op: "generate", inputIds: tok.encode(PROMPT, { addSpecialTokens: true }), method: { name: "dense" }, maxNewTokens: 7, returnLogits: true };
    const a = (await r.ok(req)) as { outputIds: number[]; firstLogits: number[] };
    t.is(tok.decode(a.outputIds), " 60417.");
    await r.ok({ op: "export", dir: path.join(dir, "m") });
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, "m", "config.json"), "utf8")) as Record<string, unknown>;
    t.like(cfg, { model_type: "llama", head_dim: 256, rope_theta: 1e24 });
    await r.ok({ op: "load", model: path.join(dir, "m") });
    const b = (await r.ok(req)) as { outputIds: number[]; firstLogits: number[] };
    t.deepEqual(b.outputIds, a.outputIds);
    t.deepEqual(b.firstLogits, a.firstLogits);
    const bad = await r.send({ op: "load", model: "synthetic:retrieval-tiny", overrides: { num_hidden_layers: 2 } });
    t.true(!bad.ok && bad.error.code === "bad_request" && /cannot be overridden/.test(bad.error.message));
  } finally {
    await r.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
