// GemFilter: run the first filterLayer+1 layers, pick the top-k prompt tokens by the filter layer's last-query
// attention, then prefill the full model on just those tokens.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const gemfilter: MethodAdapter = {
  name: "gemfilter",
  description: "GemFilter: select the top-k tokens with an early layer's attention, then prefill only those.",
  params: {
    filterLayer: { kind: "int", min: 0, description: "0-based layer whose attention selects tokens (r); must be < layers" },
    k: { kind: "int", min: 1, description: "number of prompt tokens kept" },
    keepLast: { kind: "int", min: 0, default: 0, description: "always keep this many final prompt tokens (≤ k)" },
  },
  check: (p) => {
    const k = p.k;
    const keepLast = p.keepLast;
    return typeof k === "number" && typeof keepLast === "number" && keepLast > k ? `keepLast (${keepLast}) must be ≤ k (${k})` : null;
  },
  label: (p) => joinLabel(`gemfilter r=${String(p.filterLayer)} k=${String(p.k)}`, nonDefaultParams(gemfilter, p, ["filterLayer", "k"])),
  toRunner: (p) => ({ name: "gemfilter", params: { filterLayer: p.filterLayer ?? null, k: p.k ?? null, keepLast: p.keepLast ?? 0 } }),
};
