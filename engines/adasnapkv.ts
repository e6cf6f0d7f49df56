// Ada-SnapKV: SnapKV's scores with each layer's budget split unevenly across KV heads (a ragged per-head cache).
import { budgetLabel, joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const adasnapkv: MethodAdapter = {
  name: "adasnapkv",
  label: (p) => joinLabel(`adasnapkv ${budgetLabel(p)}`, nonDefaultParams(adasnapkv, p, ["k", "ratio"])),
  toRunner: (p) => ({ name: "adasnapkv", params: p }),
};
