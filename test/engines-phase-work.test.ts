// FLOPs and minimum bytes per phase (engines/phase-work.ts), checked exactly on a shape small enough to count by hand:
// L = 2 layers, D = 8, H = 2 query heads, G = 1 KV head, d = 4, I = 16, V = 10, f32 (4 bytes).
// Linear weights per layer P = 2·8·2·4 (q, o) + 2·8·1·4 (k, v) + 3·8·16 (MLP) = 576.
// One layer over t tokens: 2·P·t + 4·d·H·t(t+1)/2 = 1152·t + 16·t(t+1); t = 5: 6240; t = 3: 3648.
// Logits of one row: 2·D·V = 160. Bytes: weights 4·576·2 = 4608, output head 4·80 = 320, one cached row
// (K and V, G heads, both layers) 2·1·4·2·4 = 64. A decode step: FLOPs 2·576·2 + 160 = 2464 plus 4·d·H·L = 64 per
// row attended; bytes 4608 + 320 = 4928 plus 64 per row read.
import test from "ava";
import { linearParamsPerLayer, parameterCount, phaseWork, type CaseFacts, type ModelShape } from "../engines/phase-work.ts";

const shape: ModelShape = { layers: 2, hidden: 8, heads: 2, kvHeads: 1, headDim: 4, intermediate: 16, vocab: 10 };
const facts = (method: string, params: CaseFacts["params"], keptLength: number): CaseFacts => ({ method, params, inputLength: 5, keptLength, decodeTokens: 3, bytesPerValue: 4 });

test("linear weights per layer and parameter counts (tied embeddings, q/k/v biases)", (t) => {
  t.is(linearParamsPerLayer(shape), 576);
  // 2 layers × (576 + two norms of 8) + embedding and output head 2·10·8 + the final norm 8.
  t.is(parameterCount(shape, { tiedEmbeddings: false, qkvBias: false }), 1352);
  t.is(parameterCount(shape, { tiedEmbeddings: true, qkvBias: false }), 1272);
  t.is(parameterCount(shape, { tiedEmbeddings: false, qkvBias: true }), 1352 + 2 * (2 + 2) * 4);
});

test("dense: prefill over n = 5 tokens, 3 decode steps over 6, 7, 8 rows", (t) => {
  t.deepEqual(phaseWork(shape, facts("dense", {}, 5)), {
    filter: null,
    prefill: { flops: 2 * 6240 + 160, bytes: 4608 + 320 + 5 * 64 },
    decode: { flops: 3 * 2464 + 64 * 21, bytes: 3 * 4928 + 64 * 21 },
  });
});

test("gemfilter r = 1: layer 0 in full, layer 1's q and k and the last query's scores; prefill over the kept 3", (t) => {
  // Layer r = 1's q and k: D·(H + G)·d = 96 weights → 2·96·5 FLOPs; the last query against 5 keys in 2 heads: 2·4·5·2.
  t.deepEqual(phaseWork(shape, facts("gemfilter", { filterLayer: 1, k: 3, keepLast: 0 }, 3)), {
    filter: { flops: 6240 + 2 * 96 * 5 + 2 * 4 * 5 * 2, bytes: 4 * (576 + 96) },
    prefill: { flops: 2 * 3648 + 160, bytes: 4608 + 320 + 3 * 64 },
    decode: { flops: 3 * 2464 + 64 * (4 + 5 + 6), bytes: 3 * 4928 + 64 * (4 + 5 + 6) },
  });
  t.is(phaseWork(shape, facts("gemfilter", { filterLayer: 0, k: 3, keepLast: 0 }, 3))?.filter?.flops, 2 * 96 * 5 + 2 * 4 * 5 * 2);
});

test("random: no filter work, the prefill over the kept tokens", (t) => {
  const w = phaseWork(shape, facts("random", { k: 3, seed: 0 }, 3));
  t.is(w?.filter, null);
  t.is(w?.prefill.flops, 2 * 3648 + 160);
});

test("snapkv: the window's scores (w·(n − w) pairs per layer and head) only when n > k; per-query-head caches H heads", (t) => {
  const params = { k: 4, window: 2, pool: "avg", kernel: 5, gqa: "mean" };
  // 2·3 scored pairs × 2·d FLOPs × H × L = 6 · 8 · 2 · 2 = 192.
  t.deepEqual(phaseWork(shape, facts("snapkv", params, 4)), {
    filter: null,
    prefill: { flops: 2 * 6240 + 192 + 160, bytes: 4608 + 320 + 4 * 64 },
    decode: { flops: 3 * 2464 + 64 * (5 + 6 + 7), bytes: 3 * 4928 + 64 * (5 + 6 + 7) },
  });
  const perHead = phaseWork(shape, facts("snapkv", { ...params, gqa: "per-query-head" }, 4));
  t.is(perHead?.prefill.bytes, 4608 + 320 + 4 * 128);
  t.is(perHead?.decode.bytes, 3 * 4928 + 128 * (5 + 6 + 7));
  t.is(perHead?.decode.flops, 3 * 2464 + 64 * (5 + 6 + 7));
  t.deepEqual(phaseWork(shape, facts("snapkv", { ...params, k: 8, gqa: "per-query-head" }, 5)), phaseWork(shape, facts("dense", {}, 5)));
});

test("h2o: column sums over all 15 causal pairs; evictDuringDecode caps a step at k + 1 rows and scores even when n ≤ k", (t) => {
  const params = { k: 4, recent: 1, evictDuringDecode: false, gqa: "mean" };
  // 15 pairs × 2·d × H × L = 15 · 32 = 480.
  const grow = phaseWork(shape, facts("h2o", params, 4));
  t.is(grow?.prefill.flops, 2 * 6240 + 480 + 160);
  t.is(grow?.decode.flops, 3 * 2464 + 64 * (5 + 6 + 7));
  const evict = phaseWork(shape, facts("h2o", { ...params, evictDuringDecode: true }, 4));
  t.is(evict?.decode.flops, 3 * 2464 + 64 * (5 + 5 + 5));
  t.is(evict?.decode.bytes, 3 * 4928 + 64 * (5 + 5 + 5));
  t.deepEqual(phaseWork(shape, facts("h2o", { ...params, k: 8 }, 5)), phaseWork(shape, facts("dense", {}, 5)));
  const evictShort = phaseWork(shape, facts("h2o", { ...params, k: 8, evictDuringDecode: true }, 5));
  t.is(evictShort?.prefill.flops, 2 * 6240 + 480 + 160);
  t.is(evictShort?.decode.flops, 3 * 2464 + 64 * (6 + 7 + 8));
});

test("no decode steps: no decode work; an unknown method has no work; a missing parameter is an error", (t) => {
  t.deepEqual(phaseWork(shape, { ...facts("dense", {}, 5), decodeTokens: 0 })?.decode, { flops: 0, bytes: 0 });
  t.is(phaseWork(shape, facts("no-such-method", { k: 4 }, 4)), null);
  t.throws(() => phaseWork(shape, facts("gemfilter", { k: 3 }, 3)), { message: /gemfilter needs a numeric parameter filterLayer/ });
});
