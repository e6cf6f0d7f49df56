// H2O: keep the heavy hitters (largest accumulated attention) plus the most recent tokens, per KV head.
import { budgetLabel, joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const h2o: MethodAdapter = {
  name: "h2o",
  // gqa is always shown: the default (mean) is not the paper's H2O (per-query-head).
  label: (p) => joinLabel(`h2o ${budgetLabel(p)} gqa=${String(p.gqa ?? "mean")}`, nonDefaultParams(h2o, p, ["k", "ratio", "gqa"])),
  toRunner: (p) => ({ name: "h2o", params: p }),
};
