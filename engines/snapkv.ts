// SnapKV: score prompt tokens by the last `window` queries' attention (pooled), keep the top k per KV head.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const snapkv: MethodAdapter = {
  name: "snapkv",
  description: "SnapKV: per-head top-k of the observation window's pooled attention, plus the window itself.",
  params: {
    k: { kind: "int", min: 1, description: "prompt tokens kept per KV head (including the window); must be > window" },
    window: { kind: "int", min: 1, default: 32, description: "observation window: the last prompt tokens, always kept" },
    pool: { kind: "enum", values: ["avg", "max"], default: "avg", description: "1-D pooling of the scores" },
    kernel: { kind: "int", min: 1, odd: true, default: 5, description: "pooling kernel size (odd)" },
    gqa: { kind: "enum", values: ["mean", "max", "per-query-head"], default: "mean", description: "how query heads sharing a KV head are combined" },
  },
  check: (p) => {
    const k = p.k;
    const w = p.window;
    return typeof k === "number" && typeof w === "number" && !(k > w) ? `k (${k}) must be > window (${w})` : null;
  },
  label: (p) => joinLabel(`snapkv k=${String(p.k)}`, nonDefaultParams(snapkv, p, ["k"])),
  toRunner: (p) => ({
    name: "snapkv",
    params: { k: p.k ?? null, window: p.window ?? 32, pool: p.pool ?? "avg", kernel: p.kernel ?? 5, gqa: p.gqa ?? "mean" },
  }),
};
