// PyramidKV: SnapKV's scores with per-layer budgets falling linearly from the first layer to the last.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const pyramidkv: MethodAdapter = {
  name: "pyramidkv",
  label: (p) => joinLabel(`pyramidkv k=${String(p.k)}`, nonDefaultParams(pyramidkv, p, ["k"])),
  toRunner: (p) => ({ name: "pyramidkv", params: p }),
};
