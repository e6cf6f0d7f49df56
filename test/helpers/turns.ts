// Shared inputs of the context-only / multi-turn protocol tests (engines/native/PROTOCOL.md "turns"): every method of
// the runner with a budget below the context's length, a context and turns on the tiny synthetic llama.
export const everyMethod: [string, Record<string, unknown>][] = [
  ["dense", {}],
  ["gemfilter", { filterLayer: 1, k: 12 }],
  ["gemfilter", { filterLayer: 2, k: 12, recompute: false }],
  ["snapkv", { k: 12, window: 4 }],
  ["snapkv", { k: 12, window: 4, gqa: "per-query-head" }],
  ["h2o", { k: 12, recent: 4 }],
  ["random", { k: 12, seed: 5 }],
  ["streamingllm", { k: 12 }],
  ["knorm", { k: 12 }],
  ["tova", { k: 12 }],
  ["observed", { k: 12 }],
  ["pyramidkv", { k: 12, window: 4 }],
  ["chunkkv", { k: 12, window: 4, chunk: 4 }],
  ["adasnapkv", { k: 12, window: 4 }],
];

export const model = { op: "load", model: "synthetic:tiny-llama", seed: 11 };

// A 40-token context with repeats (near-ties) and three turns of different lengths.
export const context: number[] = [1, ...Array.from({ length: 39 }, (_, i) => (i % 9 < 3 ? 40 + (i % 3) : 3 + ((i * 37) % 250)))];
export const turns: number[][] = [
  [60, 61, 62, 63],
  [70, 71],
  [80, 81, 82, 83, 84, 85],
];

export interface TurnOut {
  outputIds: number[];
  stopReason: string;
  inputLength: number;
  cacheLength: number;
  keptLength: number;
  timings: Record<string, number>;
  memory: { kv: number; filterKv: number; total: number };
  selection?: { kind: string; indices?: number[] };
  firstLogits?: number[];
}

export const label = (name: string, params: Record<string, unknown>) => `${name} ${JSON.stringify(params)}`;
