// FLOPs and minimum bytes of the second-wave methods (engines/phase-work.ts) on the hand-countable shape of
// engines-phase-work.test.ts (L = 2, H = 2, G = 1, d = 4, f32; n = 5, 3 decode steps): the prefill is dense over n, plus
// each method's scoring QKᵀ at 2·d·H·L = 32 FLOPs per scored (query, key) pair; the cache keeps keptLength rows.
import test from "ava";
import { phaseWork, type CaseFacts, type ModelShape } from "../engines/phase-work.ts";

const shape: ModelShape = { layers: 2, hidden: 8, heads: 2, kvHeads: 1, headDim: 4, intermediate: 16, vocab: 10 };
const facts = (method: string, params: CaseFacts["params"], keptLength: number): CaseFacts => ({ method, params, inputLength: 5, keptLength, decodeTokens: 3, bytesPerValue: 4 });
const densePrefill = 2 * 6240 + 160;
const pairFlops = 2 * 4 * 2 * 2;

test("scoring work per method at n = 5, k = 3 (keptLength 3)", (t) => {
  const extra = (method: string, params: CaseFacts["params"]): number => (phaseWork(shape, facts(method, params, 3))?.prefill.flops ?? NaN) - densePrefill;
  t.is(extra("streamingllm", { k: 3, sinks: 1 }), 0);
  t.is(extra("knorm", { k: 3, window: 0 }), 0); // norms, not a matrix product
  t.is(extra("tova", { k: 3 }), 5 * pairFlops); // the last query's row
  t.is(extra("observed", { k: 3, recent: 0 }), 15 * pairFlops); // every causal pair
  for (const m of ["pyramidkv", "chunkkv", "adasnapkv"]) t.is(extra(m, { k: 3, window: 2 }), 2 * 3 * pairFlops, m); // w·(n − w)
  // n ≤ k: nothing is scored.
  t.is((phaseWork(shape, facts("tova", { k: 5 }, 5))?.prefill.flops ?? NaN) - densePrefill, 0);
});

test("the cache bytes and decode reads follow keptLength (adasnapkv's per-head rows average to k)", (t) => {
  const w = phaseWork(shape, facts("adasnapkv", { k: 3, window: 2 }, 3));
  t.is(w?.prefill.bytes, 4608 + 320 + 3 * 64);
  t.deepEqual(w?.decode, { flops: 3 * 2464 + 64 * (4 + 5 + 6), bytes: 3 * 4928 + 64 * (4 + 5 + 6) });
});
