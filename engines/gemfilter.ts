// GemFilter: run the first filterLayer+1 layers, pick the top-k prompt tokens by the filter layer's last-query
// attention, then prefill the full model on just those tokens.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const gemfilter: MethodAdapter = {
  name: "gemfilter",
  label: (p) => joinLabel(`gemfilter r=${String(p.filterLayer)} k=${String(p.k)}`, nonDefaultParams(gemfilter, p, ["filterLayer", "k"])),
  toRunner: (p) => ({ name: "gemfilter", params: p }),
};
