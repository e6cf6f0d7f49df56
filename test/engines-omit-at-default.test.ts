// GemFilter's rounds and recompute (issue 27) are left out of a cell's parameters at their defaults, so every
// gemfilter cell key, label and resumable run from before them stays what it was; other values are kept and keyed.
import test from "ava";
import { gemfilter } from "../engines/gemfilter.ts";
import { resolveParams } from "../engines/method.ts";
import { cellKeyOf } from "../harness/sweep.ts";

const key = (params: Record<string, unknown>) =>
  cellKeyOf({ model: { hash: "sha256:0", dtype: "f32", maxContext: null, tokenizer: null }, method: { name: "gemfilter", params: resolveParams(gemfilter, params) }, suite: { name: "niah", options: {}, maxNewTokens: null, ignoreEos: false } });

test("rounds single and recompute true resolve to the parameters (and key) gemfilter had before them", (t) => {
  t.deepEqual(resolveParams(gemfilter, { filterLayer: 2, k: 64 }), { filterLayer: 2, k: 64, keepLast: 0 });
  t.deepEqual(resolveParams(gemfilter, { filterLayer: 2, k: 64, rounds: "single", recompute: true }), { filterLayer: 2, k: 64, keepLast: 0 });
  t.is(key({ filterLayer: 2, k: 64, rounds: "single" }), key({ filterLayer: 2, k: 64 }));
  t.deepEqual(resolveParams(gemfilter, { filterLayer: 2, k: 64, rounds: "rerun", recompute: false }), { filterLayer: 2, k: 64, keepLast: 0, rounds: "rerun", recompute: false });
  t.not(key({ filterLayer: 2, k: 64, recompute: false }), key({ filterLayer: 2, k: 64 }));
  t.is(gemfilter.label(resolveParams(gemfilter, { filterLayer: 2, k: 64, rounds: "keep-filter-layers" })), "gemfilter r=2 k=64 rounds=keep-filter-layers");
});
