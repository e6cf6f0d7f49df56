// Key-norm: per layer and KV head, keep the keys of lowest L2 norm.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const knorm: MethodAdapter = {
  name: "knorm",
  label: (p) => joinLabel(`knorm k=${String(p.k)}`, nonDefaultParams(knorm, p, ["k"])),
  toRunner: (p) => ({ name: "knorm", params: p }),
};
