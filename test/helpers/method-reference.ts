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

/** SnapKV for one layer: per selecting head (KV head, or query head for per-query-head) the kept indices. */
export function snapkvReference(q: number[][], k: number[][], s: Shape, o: SnapOptions): Scored[] {
  const n = k.length;
  const { heads: H, kvHeads: G } = s;
  const perQ = o.gqa === "per-query-head";
  const selHeads = perQ ? H : G;
  if (n <= o.k) return range(0, selHeads).map(() => ({ selection: range(0, n), scores: [] }));
  const prefix = n - o.window;
  const pooled: number[][] = [];
  for (let h = 0; h < H; h++) {
    const vote = new Array<number>(prefix).fill(0);
    for (let i = prefix; i < n; i++) {
      const row = softmaxRow(q, k, s, h, i);
      for (let j = 0; j < prefix; j++) vote[j] = at(vote, j) + at(row, j);
    }
    pooled.push(o.pool === "max" ? maxPool(vote, o.kernel) : avgPool(vote, o.kernel));
  }
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
