// Bad requests each come back as their structured error (code + message + hint) and the runner stays alive.
import test from "ava";
import { openRunner } from "./helpers/native.ts";

test("bad params, unknown methods and bad inputs are errors, not crashes", async (t) => {
  const r = await openRunner();
  try {
    const info = await r.ok({ op: "load", model: "synthetic:tiny-llama", seed: 0 });
    const L = info.layers as number;
    const vocab = info.vocabSize as number;
    const maxPos = info.maxPositions as number;
    const ids = [1, 5, 6, 7];
    const gen = (method: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      r.send({ op: "generate", inputIds: ids, method, maxNewTokens: 2, ...extra });
    const cases: [string, Promise<Awaited<ReturnType<typeof gen>>>, string][] = [
      ["filterLayer = layers", gen({ name: "gemfilter", params: { filterLayer: L, k: 2 } }), "bad_param"],
      ["filterLayer < 0", gen({ name: "gemfilter", params: { filterLayer: -1, k: 2 } }), "bad_param"],
      ["gemfilter k < 1", gen({ name: "gemfilter", params: { filterLayer: 0, k: 0 } }), "bad_param"],
      ["gemfilter without k", gen({ name: "gemfilter", params: { filterLayer: 0 } }), "bad_param"],
      ["keepLast > k", gen({ name: "gemfilter", params: { filterLayer: 0, k: 2, keepLast: 3 } }), "bad_param"],
      ["random k < 1", gen({ name: "random", params: { k: 0 } }), "bad_param"],
      ["snapkv k ≤ window", gen({ name: "snapkv", params: { k: 32 } }), "bad_param"],
      ["snapkv even kernel", gen({ name: "snapkv", params: { k: 64, kernel: 4 } }), "bad_param"],
      ["snapkv bad gqa", gen({ name: "snapkv", params: { k: 64, gqa: "sum" } }), "bad_param"],
      ["h2o k ≤ recent", gen({ name: "h2o", params: { k: 10, recent: 10 } }), "bad_param"],
      ["unknown param", gen({ name: "h2o", params: { k: 64, window: 3 } }), "bad_param"],
      ["dense with a param", gen({ name: "dense", params: { k: 1 } }), "bad_param"],
      ["unknown method", gen({ name: "snapkvv", params: {} }), "unknown_method"],
      ["k and ratio", gen({ name: "streamingllm", params: { k: 8, ratio: 0.5 } }), "bad_param"],
      ["neither k nor ratio", gen({ name: "knorm", params: {} }), "bad_param"],
      ["ratio > 1", gen({ name: "tova", params: { ratio: 1.5 } }), "bad_param"],
      ["ratio 0", gen({ name: "observed", params: { ratio: 0 } }), "bad_param"],
      ["sinks > k", gen({ name: "streamingllm", params: { k: 3, sinks: 4 } }), "bad_param"],
      ["chunk < 1", gen({ name: "chunkkv", params: { k: 64, chunk: 0 } }), "bad_param"],
      ["floor > 1", gen({ name: "adasnapkv", params: { k: 64, floor: 1.2 } }), "bad_param"],
      ["floor < 0", gen({ name: "adasnapkv", params: { k: 64, floor: -0.1 } }), "bad_param"],
      ["unknown paramSet", gen({ name: "snapkv", params: { k: 64, paramSet: "nope" } }), "bad_param"],
      ["paramSet contradicted", gen({ name: "snapkv", params: { k: 64, paramSet: "kvpress", window: 8 } }), "bad_param"],
      ["paramSet on a method without sets", gen({ name: "h2o", params: { k: 64, paramSet: "kvpress" } }), "bad_param"],
      ["token id ≥ vocab", r.send({ op: "generate", inputIds: [1, vocab], method: { name: "dense" }, maxNewTokens: 1 }), "bad_input"],
      ["empty input", r.send({ op: "generate", inputIds: [], method: { name: "dense" }, maxNewTokens: 1 }), "bad_input"],
      ["too long", gen({ name: "dense" }, { maxNewTokens: maxPos }), "bad_input"],
    ];
    for (const [label, pending, code] of cases) {
      const reply = await pending;
      t.false(reply.ok, `${label} should fail`);
      if (!reply.ok) {
        t.is(reply.error.code, code, `${label}: ${reply.error.message}`);
        t.true(reply.error.message.length > 0, `${label}: message`);
      }
      t.true(r.alive(), `runner alive after ${label}`);
    }
    const tooLong = await gen({ name: "dense" }, { maxNewTokens: maxPos });
    t.true(!tooLong.ok && (tooLong.error.hint ?? "").includes("allowLongInput"), "the too-long hint names allowLongInput");
    // Still serving: a valid request after all the errors.
    const ok = await r.ok({ op: "generate", inputIds: ids, method: { name: "gemfilter", params: { filterLayer: 0, k: 2 } }, maxNewTokens: 2 });
    t.is(ok.keptLength, 2);
  } finally {
    await r.close();
  }
});
