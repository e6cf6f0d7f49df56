// SnapKV: score prompt tokens by the last `window` queries' attention (pooled), keep the top k per KV head.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const snapkv: MethodAdapter = {
  name: "snapkv",
  label: (p) => joinLabel(`snapkv k=${String(p.k)}`, nonDefaultParams(snapkv, p, ["k"])),
  toRunner: (p) => ({ name: "snapkv", params: p }),
};
