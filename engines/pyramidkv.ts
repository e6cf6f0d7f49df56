// PyramidKV: SnapKV's scores with per-layer budgets falling linearly from the first layer to the last.
import { budgetLabel, joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const pyramidkv: MethodAdapter = {
  name: "pyramidkv",
  label: (p) => joinLabel(`pyramidkv ${budgetLabel(p)}`, nonDefaultParams(pyramidkv, p, ["k", "ratio"])),
  toRunner: (p) => ({ name: "pyramidkv", params: p }),
};
