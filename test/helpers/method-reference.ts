// Deliberately naive reference selectors for the native methods, written from METHODS.md the slow way: explicit
// loops, explicit softmax matrices (H2O's full n×n causal attention), explicit sorting. They read the post-RoPE Q/K
// that the runner's `inspect` op returns (row-major [token][head*headDim + i]) and compute in float64.
//
// Near-ties: the runner computes the same scores in C++ doubles; dot products and pooling use the same summation
// order (bitwise equal), but exp/log may differ by an ulp between libm and V8. sameSelection() therefore accepts a
// difference only between positions whose reference scores are equal to 1e-9 (relative) — a genuine near-tie.

export interface Shape {
  heads: number; // H
  kvHeads: number; // G
  headDim: number; // d
}

function at<T>(a: readonly T[], i: number): T {
  const v = a[i];
  if (v === undefined) throw new Error(`index ${i} out of range (length ${a.length})`);
  return v;
}

function dot(q: readonly number[], qOff: number, k: readonly number[], kOff: number, d: number): number {
  let s = 0;
  for (let e = 0; e < d; e++) s += at(q, qOff + e) * at(k, kOff + e);
  return s;
}

/** Indices of the k best scores (higher first, ties → lower index) among `candidates`, sorted ascending. */
export function topK(scores: readonly number[], k: number, candidates: readonly number[]): number[] {
  const order = [...candidates].sort((a, b) => {
    const sa = at(scores, a);
    const sb = at(scores, b);
    if (sa !== sb) return sb - sa;
    return a - b;
  });
  return order.slice(0, Math.max(0, k)).sort((a, b) => a - b);
}

export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

export function avgPool(x: readonly number[], kernel: number): number[] {
  const p = Math.floor(kernel / 2);
  return x.map((_, j) => {
    let s = 0;
    for (let t = j - p; t <= j + p; t++) s += t >= 0 && t < x.length ? at(x, t) : 0;
    return s / kernel;
  });
}

export function maxPool(x: readonly number[], kernel: number): number[] {
  const p = Math.floor(kernel / 2);
  return x.map((_, j) => {
    let s = -Infinity;
    for (let t = j - p; t <= j + p; t++) if (t >= 0 && t < x.length) s = Math.max(s, at(x, t));
    return s;
  });
}

export interface Scored {
  selection: number[];
  scores: number[]; // the scores the selection was made from (for near-tie checks)
}

/** GemFilter: raw Σ_h q_last,h · k_{g(h),j}, avg-pooled (kernel 5, divisor 5), top-min(k, n), keepLast forced. */
export function gemfilterReference(q: number[][], k: number[][], s: Shape, budget: number, keepLast: number): Scored {
  const n = k.length;
  const { heads: H, kvHeads: G, headDim: d } = s;
  const last = at(q, n - 1);
  const raw: number[] = [];
  for (let j = 0; j < n; j++) {
    let total = 0;
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / (H / G));
      for (let e = 0; e < d; e++) total += at(last, h * d + e) * at(at(k, j), g * d + e);
    }
    raw.push(total);
  }
  const pooled = avgPool(raw, 5);
  const kp = Math.min(budget, n);
  const forced = Math.min(keepLast, n);
  const chosen = topK(pooled, kp - forced, range(0, n - forced));
  return { selection: [...chosen, ...range(n - forced, n)].sort((a, b) => a - b), scores: pooled };
}

/** One query head's causal softmax row i over keys 0..i, explicit. */
function softmaxRow(q: number[][], k: number[][], s: Shape, h: number, i: number): number[] {
  const { heads: H, kvHeads: G, headDim: d } = s;
  const g = Math.floor(h / (H / G));
  const logits: number[] = [];
  for (let j = 0; j <= i; j++) logits.push(dot(at(q, i), h * d, at(k, j), g * d, d) / Math.sqrt(d));
  const mx = Math.max(...logits);
  const ex = logits.map((x) => Math.exp(x - mx));
  const z = ex.reduce((a, b) => a + b, 0);
  return ex.map((x) => x / z);
}

export interface SnapOptions {
  k: number;
  window: number;
  pool: "avg" | "max";
  kernel: number;
  gqa: "mean" | "max" | "per-query-head";
}

/** SnapKV's pooled window votes per query head: [H][n − window]. */
function pooledVotes(q: number[][], k: number[][], s: Shape, o: Pick<SnapOptions, "window" | "pool" | "kernel">): number[][] {
  const n = k.length;
  const prefix = n - o.window;
  const pooled: number[][] = [];
  for (let h = 0; h < s.heads; h++) {
    const vote = new Array<number>(prefix).fill(0);
    for (let i = prefix; i < n; i++) {
      const row = softmaxRow(q, k, s, h, i);
      for (let j = 0; j < prefix; j++) vote[j] = at(vote, j) + at(row, j);
    }
    pooled.push(o.pool === "max" ? maxPool(vote, o.kernel) : avgPool(vote, o.kernel));
  }
  return pooled;
}

/** SnapKV's votes per KV head: the mean (or max) of its query heads' pooled votes. */
function kvVotes(pooled: number[][], s: Shape, gqa: "mean" | "max"): number[][] {
  const group = s.heads / s.kvHeads;
  return range(0, s.kvHeads).map((g) => {
    const members = range(g * group, (g + 1) * group).map((h) => at(pooled, h));
    return range(0, at(pooled, 0).length).map((j) =>
      gqa === "max" ? Math.max(...members.map((m) => at(m, j))) : members.reduce((a, m) => a + at(m, j), 0) / group,
    );
  });
}

/** SnapKV for one layer: per selecting head (KV head, or query head for per-query-head) the kept indices. */
export function snapkvReference(q: number[][], k: number[][], s: Shape, o: SnapOptions): Scored[] {
  const n = k.length;
  const { heads: H, kvHeads: G } = s;
  const perQ = o.gqa === "per-query-head";
  const selHeads = perQ ? H : G;
  if (n <= o.k) return range(0, selHeads).map(() => ({ selection: range(0, n), scores: [] }));
  const prefix = n - o.window;
  const pooled = pooledVotes(q, k, s, o);
  const group = H / G;
  const out: Scored[] = [];
  for (let sh = 0; sh < selHeads; sh++) {
    let agg: number[];
    if (perQ) agg = at(pooled, sh);
    else {
      const members = range(sh * group, (sh + 1) * group).map((h) => at(pooled, h));
      agg = range(0, prefix).map((j) =>
        o.gqa === "max" ? Math.max(...members.map((m) => at(m, j))) : members.reduce((a, m) => a + at(m, j), 0) / group,
      );
    }
    const chosen = topK(agg, o.k - o.window, range(0, prefix));
    out.push({ selection: [...chosen, ...range(prefix, n)], scores: agg });
  }
  return out;
}

/** H2O for one layer: the full n×n causal attention matrix per query head, column sums, mean per KV head. */
export function h2oReference(q: number[][], k: number[][], s: Shape, budget: number, recent: number): Scored[] {
  const n = k.length;
  const { heads: H, kvHeads: G } = s;
  if (n <= budget) return range(0, G).map(() => ({ selection: range(0, n), scores: [] }));
  const colSums: number[][] = [];
  for (let h = 0; h < H; h++) {
    const matrix: number[][] = range(0, n).map((i) => {
      const row = softmaxRow(q, k, s, h, i);
      return range(0, n).map((j) => (j <= i ? at(row, j) : 0));
    });
    colSums.push(range(0, n).map((j) => matrix.reduce((a, row) => a + at(row, j), 0)));
  }
  const group = H / G;
  const out: Scored[] = [];
  for (let g = 0; g < G; g++) {
    const score = range(0, n).map((j) => range(g * group, (g + 1) * group).reduce((a, h) => a + at(at(colSums, h), j), 0) / group);
    const chosen = topK(score, budget - recent, range(0, n - recent));
    out.push({ selection: [...chosen, ...range(n - recent, n)], scores: score });
  }
  return out;
}

// ---- the second wave (engines/README.md), each written from its rule, in float64 ----

/** StreamingLLM: the first `sinks` positions and the last k − sinks (every index when n ≤ k). */
export function streamingllmReference(n: number, budget: number, sinks: number): number[] {
  if (n <= budget) return range(0, n);
  return [...range(0, sinks), ...range(n - (budget - sinks), n)];
}

/** Key-norm for one layer: per KV head the k − window keys of lowest L2 norm (among [0, n − window)) + the window. */
export function knormReference(k: number[][], s: Shape, budget: number, window: number): Scored[] {
  const n = k.length;
  const d = s.headDim;
  if (n <= budget) return range(0, s.kvHeads).map(() => ({ selection: range(0, n), scores: [] }));
  return range(0, s.kvHeads).map((g) => {
    const neg = range(0, n).map((j) => -Math.sqrt(dot(at(k, j), g * d, at(k, j), g * d, d)));
    return { selection: [...topK(neg, budget - window, range(0, n - window)), ...range(n - window, n)], scores: neg };
  });
}

/** TOVA for one layer: the last query's softmax averaged over all H heads; top k − 1 of [0, n − 1) + the last token. */
export function tovaReference(q: number[][], k: number[][], s: Shape, budget: number): Scored {
  const n = k.length;
  if (n <= budget) return { selection: range(0, n), scores: [] };
  const rows = range(0, s.heads).map((h) => softmaxRow(q, k, s, h, n - 1));
  const score = range(0, n).map((j) => rows.reduce((a, r) => a + at(r, j), 0) / s.heads);
  return { selection: [...topK(score, budget - 1, range(0, n - 1)), n - 1], scores: score };
}

/** Observed attention for one layer: per KV head, the group-mean column sums ÷ (n − j); top k − recent + recent. */
export function observedReference(q: number[][], k: number[][], s: Shape, budget: number, recent: number): Scored[] {
  const n = k.length;
  if (n <= budget) return range(0, s.kvHeads).map(() => ({ selection: range(0, n), scores: [] }));
  const group = s.heads / s.kvHeads;
  const col = range(0, s.heads).map((h) => {
    const c = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) softmaxRow(q, k, s, h, i).forEach((p, j) => (c[j] = at(c, j) + p));
    return c;
  });
  return range(0, s.kvHeads).map((g) => {
    const score = range(0, n).map((j) => range(g * group, (g + 1) * group).reduce((a, h) => a + at(at(col, h), j), 0) / group / (n - j));
    return { selection: [...topK(score, budget - recent, range(0, n - recent)), ...range(n - recent, n)], scores: score };
  });
}

/** PyramidKV's rows per layer (window included), as engines/README.md states them. */
export function pyramidRows(n: number, budget: number, window: number, beta: number, layers: number): number[] {
  const P = budget - window;
  if (n <= budget) return range(0, layers).map(() => n);
  if (n < 2 * P || layers === 1) return range(0, layers).map(() => budget);
  const min = Math.floor(P / beta);
  const max = 2 * P - min;
  // round(max − l·(max − min)/(m − 1)), half to even, in integers
  const den = layers - 1;
  const p = range(0, layers).map((l) => {
    const num = max * den - l * (max - min);
    const q = Math.floor(num / den);
    const r2 = 2 * (num - q * den);
    return q + (r2 > den || (r2 === den && q % 2 === 1) ? 1 : 0);
  });
  return p.map((x) => window + Math.min(n - window, x));
}

/** PyramidKV for one layer: SnapKV per KV head with that layer's rows. */
export function pyramidkvReference(q: number[][], k: number[][], s: Shape, o: SnapOptions & { beta: number }, layer: number, layers: number): Scored[] {
  const n = k.length;
  const rows = at(pyramidRows(n, o.k, o.window, o.beta, layers), layer);
  if (n <= o.k) return range(0, s.kvHeads).map(() => ({ selection: range(0, n), scores: [] }));
  return snapkvReference(q, k, s, { ...o, k: rows });
}

/** ChunkKV for one layer: votes averaged over all query heads, chunk means, whole chunks by score, the last one cut. */
export function chunkkvReference(q: number[][], k: number[][], s: Shape, o: Omit<SnapOptions, "gqa"> & { chunk: number }): Scored {
  const n = k.length;
  if (n <= o.k) return { selection: range(0, n), scores: [] };
  const prefix = n - o.window;
  const pooled = pooledVotes(q, k, s, o);
  const votes = range(0, prefix).map((j) => pooled.reduce((a, p) => a + at(p, j), 0) / s.heads);
  const chunks = range(0, Math.ceil(prefix / o.chunk)).map((c) => {
    const pos = range(c * o.chunk, Math.min(prefix, (c + 1) * o.chunk));
    return { pos, score: pos.reduce((a, j) => a + at(votes, j), 0) / pos.length };
  });
  const order = range(0, chunks.length).sort((a, b) => at(chunks, b).score - at(chunks, a).score || a - b);
  const kept: number[] = [];
  for (const c of order) {
    const room = o.k - o.window - kept.length;
    kept.push(...at(chunks, c).pos.slice(0, room));
    if (kept.length === o.k - o.window) break;
  }
  // Chunk scores per position, for the near-tie check.
  const scores = range(0, n).map((j) => (j < prefix ? at(chunks, Math.floor(j / o.chunk)).score : Infinity));
  return { selection: [...kept.sort((a, b) => a - b), ...range(prefix, n)], scores };
}

/** Ada-SnapKV for one layer: ⌊floor·(k − w)⌋ best rows per KV head, the rest of G·(k − w) across heads, + window. */
export function adasnapkvReference(q: number[][], k: number[][], s: Shape, o: SnapOptions & { floor: number }): Scored[] {
  const n = k.length;
  const G = s.kvHeads;
  if (n <= o.k) return range(0, G).map(() => ({ selection: range(0, n), scores: [] }));
  const prefix = n - o.window;
  const P = o.k - o.window;
  const votes = kvVotes(pooledVotes(q, k, s, o), s, o.gqa === "max" ? "max" : "mean");
  const f = Math.floor(o.floor * P + 1e-9);
  const taken = votes.map((v) => new Set(topK(v, f, range(0, prefix))));
  const rest: { g: number; j: number; v: number }[] = [];
  votes.forEach((v, g) => range(0, prefix).forEach((j) => (at(taken, g).has(j) ? undefined : rest.push({ g, j, v: at(v, j) }))));
  rest.sort((a, b) => b.v - a.v || a.g - b.g || a.j - b.j);
  for (const x of rest.slice(0, G * (P - f))) at(taken, x.g).add(x.j);
  return taken.map((t, g) => ({ selection: [...[...t].sort((a, b) => a - b), ...range(prefix, n)], scores: at(votes, g) }));
}

/** random: splitmix64-driven partial Fisher–Yates with rejection sampling (as documented in random.cpp). */
export function randomReference(n: number, budget: number, seed: number): number[] {
  const M = (1n << 64n) - 1n;
  let state = BigInt(seed);
  const next = (): bigint => {
    state = (state + 0x9e3779b97f4a7c15n) & M;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    return z ^ (z >> 31n);
  };
  const kp = Math.min(budget, n);
  const a = range(0, n);
  for (let i = 0; i < kp; i++) {
    const bound = BigInt(n - i);
    const threshold = ((1n << 64n) - bound) % bound;
    let r = next();
    while (r < threshold) r = next();
    const j = i + Number(r % bound);
    const tmp = at(a, i);
    a[i] = at(a, j);
    a[j] = tmp;
  }
  return a.slice(0, kp).sort((x, y) => x - y);
}

/**
 * Two reference scores tie when they differ by at most TIE_RELATIVE · max(|a|, |b|, 1). The runner computes scores
 * with fp32 accumulation (the CPU backend and the GPU's kernels alike, in a different order): each partial sum is
 * good to ~2^-24 relative, a sum of a few hundred terms to ~1e-6 of its magnitude (the floor 1 covers sums that
 * cancel to near zero); 2e-6 allows that and nothing coarser.
 */
export const TIE_RELATIVE = 2e-6;

/**
 * null when `got` equals the reference selection, or differs only by swapping positions whose reference scores tie
 * (TIE_RELATIVE); otherwise a message describing the disagreement.
 */
export function selectionMismatch(got: readonly number[], want: Scored): string | null {
  const a = JSON.stringify(got);
  const b = JSON.stringify(want.selection);
  if (a === b) return null;
  if (got.length !== want.selection.length) return `length ${got.length} vs reference ${want.selection.length}: ${a} vs ${b}`;
  const onlyGot = got.filter((x) => !want.selection.includes(x));
  const onlyWant = want.selection.filter((x) => !got.includes(x));
  for (const x of onlyGot)
    for (const y of onlyWant) {
      const sx = want.scores[x];
      const sy = want.scores[y];
      if (sx === undefined || sy === undefined) return `got ${a}, reference ${b}`;
      if (Math.abs(sx - sy) > TIE_RELATIVE * Math.max(1, Math.abs(sx), Math.abs(sy))) return `got ${a}, reference ${b} (score ${x}: ${sx}, ${y}: ${sy})`;
    }
  return null;
}
