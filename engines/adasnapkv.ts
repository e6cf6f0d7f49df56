// Ada-SnapKV: SnapKV's scores with each layer's budget split unevenly across KV heads (a ragged per-head cache).
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const adasnapkv: MethodAdapter = {
  name: "adasnapkv",
  label: (p) => joinLabel(`adasnapkv k=${String(p.k)}`, nonDefaultParams(adasnapkv, p, ["k"])),
  toRunner: (p) => ({ name: "adasnapkv", params: p }),
};
