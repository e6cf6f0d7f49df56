// GemFilter: run the first filterLayer+1 layers, pick the top-k prompt tokens by the filter layer's last-query
// attention, then prefill the full model on just those tokens.
import { budgetLabel, joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const gemfilter: MethodAdapter = {
  name: "gemfilter",
  label: (p) => joinLabel(`gemfilter r=${String(p.filterLayer)} ${budgetLabel(p)}`, nonDefaultParams(gemfilter, p, ["filterLayer", "k", "ratio"])),
  toRunner: (p) => ({ name: "gemfilter", params: p }),
  // issue 27's multi-round variants and the no-recompute ablation (engines/README.md "Protocols")
  omitAtDefault: ["rounds", "recompute"],
};
