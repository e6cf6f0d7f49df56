// ChunkKV: SnapKV's votes averaged per chunk; the best chunks kept whole, the same for every KV head.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const chunkkv: MethodAdapter = {
  name: "chunkkv",
  label: (p) => joinLabel(`chunkkv k=${String(p.k)}`, nonDefaultParams(chunkkv, p, ["k"])),
  toRunner: (p) => ({ name: "chunkkv", params: p }),
};
