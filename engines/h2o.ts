// H2O: keep the heavy hitters (largest accumulated attention) plus the most recent tokens, per KV head.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const h2o: MethodAdapter = {
  name: "h2o",
  description: "H2O: per-head heavy hitters by accumulated attention plus a recent window.",
  params: {
    k: { kind: "int", min: 1, description: "prompt tokens kept per KV head (heavy + recent); must be > recent" },
    recent: { kind: "int", min: 0, default: 32, description: "most recent prompt tokens always kept" },
    evictDuringDecode: { kind: "bool", default: false, description: "keep evicting while decoding (cache stays at k)" },
  },
  check: (p) => {
    const k = p.k;
    const r = p.recent;
    return typeof k === "number" && typeof r === "number" && !(k > r) ? `k (${k}) must be > recent (${r})` : null;
  },
  label: (p) => joinLabel(`h2o k=${String(p.k)}`, nonDefaultParams(h2o, p, ["k"])),
  toRunner: (p) => ({
    name: "h2o",
    params: { k: p.k ?? null, recent: p.recent ?? 32, evictDuringDecode: p.evictDuringDecode ?? false },
  }),
};
