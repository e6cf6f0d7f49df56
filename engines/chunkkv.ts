// ChunkKV: SnapKV's votes averaged per chunk; the best chunks kept whole, the same for every KV head.
import { budgetLabel, joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const chunkkv: MethodAdapter = {
  name: "chunkkv",
  label: (p) => joinLabel(`chunkkv ${budgetLabel(p)}`, nonDefaultParams(chunkkv, p, ["k", "ratio"])),
  toRunner: (p) => ({ name: "chunkkv", params: p }),
};
