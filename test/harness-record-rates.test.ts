// The harness fills a record's timings.rates from the engine's load answer: its shape, and its dtype before the
// cell's (a runner holding bf16 moves 2 bytes a value whatever the config said); nothing when the answer lacks a
// shape field, the dtype is unknown, or the method has no work model. Weights held in another dtype than the compute
// (weightDtype) are counted at their own size.
import test from "ava";
import type { LoadedModel } from "../core/engine.ts";
import type { Timings } from "../core/records.ts";
import { ratesOf } from "../harness/case.ts";

// L = 2, D = 8, H = 2, G = 1, d = 4, I = 16, V = 10 (test/engines-phase-work.test.ts counts this shape by hand).
const model: LoadedModel = { family: "llama", layers: 2, hiddenSize: 8, heads: 2, kvHeads: 1, headDim: 4, intermediateSize: 16, vocabSize: 10, maxPositions: 64, eosIds: [2], bosId: 1 };
const cell = { method: { name: "dense", params: {} }, model: { dtype: "f32" } };
const last = { inputLength: 5, keptLength: 5 };
const t: Timings = { filterMs: 0, prefillMs: 2, decodeMs: 3, decodeTokens: 3, ttftMs: 2, totalMs: 5 };

test("f32: the dense prefill's 12640 FLOP and 5248 bytes in 2 ms, the decode's 8736 FLOP and 16128 bytes in 3 ms", (t2) => {
  t2.deepEqual(ratesOf(model, cell, last, t), { prefillTflops: 12640 / 2e9, decodeTflops: 8736 / 3e9, prefillGBps: 5248 / 2e6, decodeGBps: 16128 / 3e6 });
});

test("the engine's dtype wins over the cell's: bf16 halves the bytes, not the FLOPs", (t2) => {
  const r = ratesOf({ ...model, dtype: "bf16" }, cell, last, t);
  t2.is(r?.prefillGBps, 5248 / 2 / 2e6);
  t2.is(r?.decodeGBps, 16128 / 2 / 3e6);
  t2.is(r?.prefillTflops, 12640 / 2e9);
});

test("16-bit weights held apart from an f32 compute dtype (the cpu runner on a bf16 folder): weights at 2 bytes, the KV cache at 4", (t2) => {
  // prefill: 1232 weight values (2 layers × 576 + the 80 of the head) and 5 cache rows of 64 bytes; decode: 3 × the
  // weights and 21 rows read
  const r = ratesOf({ ...model, dtype: "f32", weightDtype: "bf16" }, cell, last, t);
  t2.is(r?.prefillGBps, (1232 * 2 + 320) / 2e6);
  t2.is(r?.decodeGBps, (3 * 1232 * 2 + 1344) / 3e6);
  t2.is(r?.prefillTflops, 12640 / 2e9);
});

test("no rates without a full shape, a known dtype, a work model, or any timed phase", (t2) => {
  const { intermediateSize: _, ...noMlp } = model;
  t2.is(ratesOf(noMlp, cell, last, t), null);
  t2.is(ratesOf({ ...model, dtype: "q4_0" }, cell, last, t), null);
  t2.is(ratesOf(model, { ...cell, method: { name: "no-such-method", params: {} } }, last, t), null);
  t2.is(ratesOf(model, cell, { inputLength: 5, keptLength: null }, t), null);
  t2.is(ratesOf(model, cell, last, { ...t, prefillMs: 0, decodeMs: 0 }), null);
});
