// SnapKV: score prompt tokens by the last `window` queries' attention (pooled), keep the top k per KV head.
import { budgetLabel, joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const snapkv: MethodAdapter = {
  name: "snapkv",
  // gqa is always shown: the default (mean) is not the paper's SnapKV (per-query-head).
  label: (p) => joinLabel(`snapkv ${budgetLabel(p)} gqa=${String(p.gqa ?? "mean")}`, nonDefaultParams(snapkv, p, ["k", "ratio", "gqa"])),
  toRunner: (p) => ({ name: "snapkv", params: p }),
};
