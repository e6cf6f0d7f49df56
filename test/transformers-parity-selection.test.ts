// Opt-in (GEMBENCH_TRANSFORMERS_PYTHON = a Python with torch and transformers): the transformers engine (server.py,
// engines/transformers/methods/) and the native runner make the same selections on the same weights, for every method
// and variant, on stories260K (a real model, HF folder as-is) and on each tiny synthetic family (exported once by the
// native runner as F32): gemfilter (with and without keepLast), random, snapkv (avg/max pooling, gqa mean/max/
// per-query-head), h2o (gqa mean/max/per-query-head, evictDuringDecode with gqa mean and per-query-head),
// streamingllm (sinks 4 and 0), knorm (window 0 and 6), tova, observed (recent 0 and 6), pyramidkv (avg/mean,
// max/max, a layer clipped to the prompt), chunkkv (a cut chunk, a short last chunk, chunk 1). Positions
// are compared exactly (both break ties toward the lower index; no tie occurred on these inputs), and so are the
// kept length and the greedy tokens (fp32 both; the engines' arithmetic differs only in summation order).
import test from "ava";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Engine, GenerateRequest, GenerateResult } from "../core/engine.ts";
import { NativeEngine } from "../engines/native-engine.ts";
import { createTransformersEngineFactory } from "../engines/transformers/engine.ts";
import { peerPython, skipMessage } from "./helpers/transformers.ts";

const stories = join(import.meta.dirname, "..", "..", "shared", "models", "stories260K");
const skip = skipMessage("the native/transformers selection parity test");
if (skip) console.warn(skip);

const CASES: [string, Record<string, string | number | boolean>][] = [
  ["dense", {}],
  ["gemfilter", { filterLayer: 1, k: 24, keepLast: 0 }],
  ["gemfilter", { filterLayer: 0, k: 20, keepLast: 4 }],
  ["random", { k: 30, seed: 3 }],
  ["snapkv", { k: 24, window: 8, pool: "avg", kernel: 5, gqa: "mean" }],
  ["snapkv", { k: 24, window: 8, pool: "max", kernel: 7, gqa: "max" }],
  ["snapkv", { k: 24, window: 8, pool: "avg", kernel: 5, gqa: "per-query-head" }],
  ["h2o", { k: 24, recent: 8, evictDuringDecode: false, gqa: "mean" }],
  ["h2o", { k: 24, recent: 8, evictDuringDecode: false, gqa: "max" }],
  ["h2o", { k: 24, recent: 8, evictDuringDecode: false, gqa: "per-query-head" }],
  ["h2o", { k: 24, recent: 8, evictDuringDecode: true, gqa: "mean" }],
  ["h2o", { k: 24, recent: 8, evictDuringDecode: true, gqa: "per-query-head" }],
  ["streamingllm", { k: 24, sinks: 4 }],
  ["streamingllm", { k: 20, sinks: 0 }],
  ["knorm", { k: 24, window: 0 }],
  ["knorm", { k: 24, window: 6 }],
  ["tova", { k: 24 }],
  ["observed", { k: 24, recent: 0 }],
  ["observed", { k: 24, recent: 6 }],
  ["pyramidkv", { k: 24, window: 8, pool: "avg", kernel: 5, beta: 20, gqa: "mean" }],
  ["pyramidkv", { k: 24, window: 4, pool: "max", kernel: 7, beta: 3, gqa: "max" }],
  ["pyramidkv", { k: 48, window: 8, pool: "avg", kernel: 5, beta: 20, gqa: "mean" }], // layer 0's 78 rows clipped to 72
  ["chunkkv", { k: 24, window: 8, pool: "avg", kernel: 5, chunk: 5 }], // 16 = 3 whole chunks + 1 row of a fourth
  ["chunkkv", { k: 30, window: 6, pool: "max", kernel: 3, chunk: 7 }], // 74 prefix rows: a last chunk of 4
  ["chunkkv", { k: 20, window: 4, pool: "avg", kernel: 1, chunk: 1 }],
];
const prompt = [1, ...Array.from({ length: 79 }, (_, i) => 3 + ((i * 37) % 200))];
const T = { timeoutMs: 300_000 };

async function gen(e: Engine, name: string, params: Record<string, string | number | boolean>): Promise<GenerateResult> {
  const req: GenerateRequest = { inputIds: prompt, method: { name, params }, maxNewTokens: 12, minNewTokens: 0, stopIds: [], ignoreEos: true, returnSelection: true, allowLongInput: false };
  const out = await e.generate(req, T);
  if (!out.ok) throw new Error(`${e.info.build} ${name}: ${out.failure.message}`);
  return out.value;
}

const models = ["stories260K", "synthetic:tiny-llama", "synthetic:tiny-mistral", "synthetic:tiny-qwen2", "synthetic:tiny-phi3"];
for (const model of models) {
  const noStories = model === "stories260K" && !existsSync(stories) ? "skipping stories260K: ../shared/models/stories260K is not there" : null;
  if (noStories) console.warn(noStories);
  (skip || noStories ? test.skip : test)(`${model}: every method's selection, kept length and tokens equal on both engines`, async (t) => {
    const native = await NativeEngine.start("cpu", { args: [], log: () => undefined });
    const tf = await createTransformersEngineFactory({ python: peerPython, log: () => undefined })("cpu");
    try {
      let dir = stories;
      const loaded = await native.load({ model: model === "stories260K" ? stories : model, overrides: {}, seed: 0, dtype: "f32", maxContext: null }, T);
      t.true(loaded.ok);
      if (model.startsWith("synthetic:")) {
        dir = mkdtempSync(join(tmpdir(), "gembench-tf-sel-"));
        const ex = await native.exportHf!(dir, { ...T, overwrite: true, dtype: "f32" });
        t.true(ex.ok);
      }
      const tl = await tf.load({ model: dir, overrides: {}, seed: 0, dtype: "auto", maxContext: null }, T);
      t.true(tl.ok, tl.ok ? "" : tl.failure.message);
      for (const [name, params] of CASES) {
        const a = await gen(native, name, params);
        const b = await gen(tf, name, params);
        const what = `${model} ${name} ${JSON.stringify(params)}`;
        t.deepEqual(b.selection, a.selection, `${what}: selection`);
        t.is(b.keptLength, a.keptLength, `${what}: kept length`);
        t.deepEqual(b.outputIds, a.outputIds, `${what}: greedy tokens`);
      }
    } finally {
      await native.close();
      await tf.close();
    }
  });
}
