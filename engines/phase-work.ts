// The work of one generate request per phase — FLOPs, and the bytes the phase must move at the least — from the
// model's shape and the case's facts, for the runner's methods (their semantics: ../../shared/design/METHODS.md).
// These are the formulas of native/BENCHMARKS.md ("FLOPs and bytes per phase"); a test recomputes that page's
// table from them. Achieved TFLOP/s and GB/s = this work ÷ the phase's median time (phaseRates).
//
// Counted: every matrix product (2 FLOPs per multiply-add): the q/k/v/o projections and the gated MLP, causal
// attention over exactly the (query, key) pairs the mask lets through (QKᵀ and PV), the logits of the row that picks
// the next token, and the QKᵀ a method's scoring needs beyond the attention (its softmax normalisers come from the
// attention pass). Not counted: norms, RoPE, softmax and activation functions, biases, pooling and top-k, the
// embedding gather, and any work a kernel repeats (e.g. a two-pass scoring kernel's first pass).
// Bytes: the weights multiplied, read once per forward pass (the linear layers, plus the output head where logits
// are computed), the KV cache the prefill leaves for decoding (written once), and the KV rows each decode step reads.
// Not counted: activations, the embedding rows gathered, norm weights, and the KV a phase writes and drops.
import type { LoadedModel } from "../core/engine.ts";
import type { PhaseRates, Scalar } from "../core/records.ts";

/** A model's shape as the runner's `load`/`describe` report it. */
export interface ModelShape {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  vocab: number;
}

/** What one case of one cell did, as its record states it. */
export interface CaseFacts {
  method: string;
  /** The method's resolved parameters (defaults filled), as in the record. */
  params: Readonly<Record<string, Scalar>>;
  inputLength: number;
  /** Prompt rows per head in the KV cache after the prefill (the runner's keptLength). */
  keptLength: number;
  /** Decode forward steps (the runner's decodeTokens: output tokens − 1). */
  decodeTokens: number;
  /** Bytes of one stored weight or KV value: 4 for f32, 2 for bf16/f16. */
  bytesPerValue: number;
  /** Bytes of one stored weight where the weights are held apart from the compute dtype (the cpu runner keeps a
   *  16-bit checkpoint's matrices in bf16/f16 and computes in f32); default bytesPerValue. */
  weightBytesPerValue?: number;
}

export interface PhaseWork {
  flops: number;
  bytes: number;
}

export interface CaseWork {
  /** GemFilter's filter pass (null for methods without one). */
  filter: PhaseWork | null;
  /** The prefill that builds the KV cache used for decoding (GemFilter/random: over the kept tokens). */
  prefill: PhaseWork;
  /** All decode steps together. */
  decode: PhaseWork;
}

/** Bytes per value of a runner dtype; null when unknown. */
export function bytesPerValue(dtype: string): number | null {
  const sizes: Readonly<Record<string, number>> = { f64: 8, f32: 4, bf16: 2, f16: 2 };
  return Object.hasOwn(sizes, dtype) ? sizes[dtype]! : null;
}

/** Weights of one decoder layer's linear maps: q and o (D·H·d each), k and v (D·G·d each), gate/up/down (D·I each). */
export function linearParamsPerLayer(s: ModelShape): number {
  return 2 * s.hidden * s.heads * s.headDim + 2 * s.hidden * s.kvHeads * s.headDim + 3 * s.hidden * s.intermediate;
}

/** Every parameter the model stores: the linear maps, the embedding (and the output head unless tied), the norms
 *  (two per layer and the final one) and, where the family has them (qwen2), the q/k/v biases. */
export function parameterCount(s: ModelShape, o: { tiedEmbeddings: boolean; qkvBias: boolean }): number {
  const bias = o.qkvBias ? (s.heads + 2 * s.kvHeads) * s.headDim : 0;
  return s.layers * (linearParamsPerLayer(s) + 2 * s.hidden + bias) + (o.tiedEmbeddings ? 1 : 2) * s.vocab * s.hidden + s.hidden;
}

/** Causal (query, key) pairs of t tokens: query i sees keys 0..i. */
const causalPairs = (t: number): number => (t * (t + 1)) / 2;

/** How a method spends its phases (internal): what runs over how many tokens, and what the cache holds. */
interface Plan {
  /** GemFilter: layers 0..r−1 in full over n tokens, then layer r's q and k and the last query's scores. */
  filterLayer: number | null;
  prefillTokens: number;
  /** (query, key) pairs per layer and query head whose probabilities a scoring pass sums during the prefill. */
  scoredPairs: number;
  /** KV rows per head after the prefill, and the heads cached (G, or H for a per-query-head cache). */
  cacheRows: number;
  cacheHeads: number;
  /** Most rows a decode step attends over (H2O's evictDuringDecode: k + 1 before the step's eviction). */
  decodeRowsCap: number;
}

function num(f: CaseFacts, name: string): number {
  const v = f.params[name];
  if (typeof v !== "number") throw new Error(`phase work: ${f.method} needs a numeric parameter ${name} (got ${JSON.stringify(v)})`);
  return v;
}

function planOf(s: ModelShape, f: CaseFacts): Plan | null {
  const n = f.inputLength;
  const kept = f.keptLength;
  const base = { filterLayer: null, prefillTokens: n, scoredPairs: 0, cacheRows: kept, cacheHeads: s.kvHeads, decodeRowsCap: Infinity };
  switch (f.method) {
    case "dense":
      return base;
    case "gemfilter":
      return { ...base, filterLayer: num(f, "filterLayer"), prefillTokens: kept };
    case "random":
      return { ...base, prefillTokens: kept };
    case "snapkv": {
      // Rows [n−w, n) vote for the prefix keys [0, n−w); nothing is scored (nor evicted) when n ≤ k.
      const w = num(f, "window");
      const scores = n > num(f, "k");
      return { ...base, scoredPairs: scores ? w * (n - w) : 0, cacheHeads: scores && f.params.gqa === "per-query-head" ? s.heads : s.kvHeads };
    }
    case "h2o": {
      // Column sums of the whole causal attention; with evictDuringDecode even when n ≤ k (the rows need scores).
      const k = num(f, "k");
      const evict = f.params.evictDuringDecode === true;
      const scores = n > k || evict;
      return {
        ...base,
        scoredPairs: scores ? causalPairs(n) : 0,
        cacheHeads: scores && f.params.gqa === "per-query-head" ? s.heads : s.kvHeads,
        decodeRowsCap: evict ? k + 1 : Infinity,
      };
    }
    case "streamingllm":
    case "knorm":
      // Positions, or key norms (not a matrix product): no scoring work counted.
      return base;
    case "tova":
      // The last query's row over the n keys, when n > k.
      return { ...base, scoredPairs: n > num(f, "k") ? n : 0 };
    case "observed":
      return { ...base, scoredPairs: n > num(f, "k") ? causalPairs(n) : 0 };
    case "pyramidkv":
    case "chunkkv":
    case "adasnapkv": {
      // SnapKV's window votes; keptLength is the mean rows per layer and KV head (pyramidkv's per-layer budgets and
      // adasnapkv's per-head shares sum to the uniform total), so the cache bytes below are the rows stored.
      const w = num(f, "window");
      return { ...base, scoredPairs: n > num(f, "k") ? w * (n - w) : 0 };
    }
    default:
      return null;
  }
}

/** FLOPs and minimum bytes of each phase; null for a method this model does not know. */
export function phaseWork(s: ModelShape, f: CaseFacts): CaseWork | null {
  const plan = planOf(s, f);
  if (plan === null) return null;
  const { layers: L, hidden: D, heads: H, kvHeads: G, headDim: d, vocab: V } = s;
  const b = f.bytesPerValue;
  const bw = f.weightBytesPerValue ?? b;
  const P = linearParamsPerLayer(s);
  const n = f.inputLength;
  // One layer over t tokens at positions 0..t−1: its linear maps, then QKᵀ and PV over the causal pairs.
  const layerFlops = (t: number): number => 2 * P * t + 4 * d * H * causalPairs(t);
  const logitsFlops = 2 * D * V;
  const headBytes = bw * D * V;

  let filter: PhaseWork | null = null;
  if (plan.filterLayer !== null) {
    const r = plan.filterLayer;
    const qk = D * (H + G) * d; // layer r's q and k projections: nothing after them runs
    filter = { flops: r * layerFlops(n) + 2 * qk * n + 2 * d * H * n, bytes: bw * (r * P + qk) };
  }

  const t = plan.prefillTokens;
  const cacheRowBytes = 2 * plan.cacheHeads * d * L * b; // K and V of one row in every layer
  const prefill: PhaseWork = {
    flops: L * layerFlops(t) + 2 * d * H * L * plan.scoredPairs + logitsFlops,
    bytes: bw * P * L + headBytes + plan.cacheRows * cacheRowBytes,
  };

  // Step j = 1..T appends its row, then attends over c_j = min(cacheRows + j, cap) rows.
  let rows = 0;
  for (let j = 1; j <= f.decodeTokens; j++) rows += Math.min(plan.cacheRows + j, plan.decodeRowsCap);
  const T = f.decodeTokens;
  const decode: PhaseWork = {
    flops: T * (2 * P * L + logitsFlops) + 4 * d * H * L * rows,
    bytes: T * (bw * P * L + headBytes) + rows * cacheRowBytes,
  };
  return { filter, prefill, decode };
}

/** Work ÷ time (TFLOP/s = 10¹² FLOP/s, GB/s = 10⁹ B/s). A rate whose phase has no time or no work is absent. */
export function phaseRates(w: CaseWork, ms: { filterMs: number; prefillMs: number; decodeMs: number }): PhaseRates {
  const out: PhaseRates = {};
  // amount / (ms · 10⁻³ s) / unit, as one division (one rounding): unit / 1000 per millisecond.
  const per = (amount: number | undefined, phaseMs: number, unit: number): number | undefined =>
    amount !== undefined && amount > 0 && phaseMs > 0 && Number.isFinite(phaseMs) ? amount / (phaseMs * (unit / 1000)) : undefined;
  const set = (key: keyof PhaseRates, v: number | undefined): void => {
    if (v !== undefined) out[key] = v;
  };
  set("filterTflops", per(w.filter?.flops, ms.filterMs, 1e12));
  set("prefillTflops", per(w.prefill.flops, ms.prefillMs, 1e12));
  set("decodeTflops", per(w.decode.flops, ms.decodeMs, 1e12));
  set("prefillGBps", per(w.prefill.bytes, ms.prefillMs, 1e9));
  set("decodeGBps", per(w.decode.bytes, ms.decodeMs, 1e9));
  return out;
}

/** The shape from the runner's load/describe answer; null when the answer lacks a field (an older runner). */
export function modelShape(m: LoadedModel): ModelShape | null {
  const { layers, hiddenSize, heads, kvHeads, headDim, intermediateSize, vocabSize } = m;
  if (hiddenSize === undefined || heads === undefined || kvHeads === undefined || headDim === undefined || intermediateSize === undefined) return null;
  return { layers, hidden: hiddenSize, heads, kvHeads, headDim, intermediate: intermediateSize, vocab: vocabSize };
}
