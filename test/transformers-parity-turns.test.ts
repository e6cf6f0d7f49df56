// Opt-in (GEMBENCH_TRANSFORMERS_PYTHON = a Python with torch and transformers): the transformers engine's `turns`
// (server.py generate_turns: context-only compression, multi-request, multi-turn) answer every turn with the native
// runner's tokens, on synthetic:tiny-llama exported as F32, for dense, gemfilter, random, snapkv and h2o (gqa mean);
// the kept length and each turn's cache length are equal too. Per-query-head caches and H2O's evictDuringDecode are
// refused with `unsupported` (not implemented here).
import test from "ava";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Engine, GenerateRequest, GenerateResult } from "../core/engine.ts";
import { NativeEngine } from "../engines/native-engine.ts";
import { createTransformersEngineFactory } from "../engines/transformers/engine.ts";
import { peerPython, skipMessage } from "./helpers/transformers.ts";
import { context, turns } from "./helpers/turns.ts";

const skip = skipMessage("the native/transformers turns parity test");
if (skip) console.warn(skip);
const T = { timeoutMs: 300_000 };
const METHODS: [string, Record<string, string | number | boolean>][] = [
  ["dense", {}],
  ["gemfilter", { filterLayer: 1, k: 12 }],
  ["random", { k: 12, seed: 5 }],
  ["snapkv", { k: 12, window: 4 }],
  ["h2o", { k: 12, recent: 4 }],
];

async function gen(e: Engine, name: string, params: Record<string, string | number | boolean>, turnMode: "multi-request" | "multi-turn"): Promise<GenerateResult> {
  const req: GenerateRequest = { inputIds: context, method: { name, params }, maxNewTokens: 5, minNewTokens: 0, stopIds: [], ignoreEos: true, returnSelection: false, allowLongInput: false, turns: turns.map((ids) => ({ inputIds: ids })), turnMode };
  const out = await e.generate(req, T);
  if (!out.ok) throw new Error(`${e.info.kind} ${name} ${turnMode}: ${out.failure.message}`);
  return out.value;
}

(skip ? test.skip : test)("tiny-llama: every turn's tokens, kept length and cache length equal on both engines", async (t) => {
  const native = await NativeEngine.start("cpu", { args: [], log: () => undefined });
  const tf = await createTransformersEngineFactory({ python: peerPython, log: () => undefined })("cpu");
  try {
    t.true((await native.load({ model: "synthetic:tiny-llama", overrides: {}, seed: 11, dtype: "f32", maxContext: null }, T)).ok);
    const dir = mkdtempSync(join(tmpdir(), "gembench-tf-turns-"));
    t.true((await native.exportHf!(dir, { ...T, overwrite: true, dtype: "f32" })).ok);
    t.true((await tf.load({ model: dir, overrides: {}, seed: 0, dtype: "f32", maxContext: null }, T)).ok);
    t.deepEqual(tf.info.turnModes, ["multi-request", "multi-turn"]);
    for (const [name, params] of METHODS)
      for (const mode of ["multi-request", "multi-turn"] as const) {
        const a = await gen(native, name, params, mode);
        const b = await gen(tf, name, params, mode);
        const what = `${name} ${JSON.stringify(params)} ${mode}`;
        t.is(b.keptLength, a.keptLength, what);
        t.deepEqual(b.turns?.map((x) => x.outputIds), a.turns?.map((x) => x.outputIds), what);
        t.deepEqual(b.turns?.map((x) => x.cacheLength), a.turns?.map((x) => x.cacheLength), what);
      }
    const refused = await tf.generate({ inputIds: context, method: { name: "snapkv", params: { k: 12, window: 4, gqa: "per-query-head" } }, maxNewTokens: 2, minNewTokens: 0, stopIds: [], ignoreEos: true, returnSelection: false, allowLongInput: false, turns: [{ inputIds: turns[0]! }] }, T);
    t.true(!refused.ok && refused.failure.kind === "error" && refused.failure.code === "unsupported");
  } finally {
    await native.close();
    await tf.close();
  }
});
