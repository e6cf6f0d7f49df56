// Key-norm: per layer and KV head, keep the keys of lowest L2 norm.
import { budgetLabel, joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const knorm: MethodAdapter = {
  name: "knorm",
  label: (p) => joinLabel(`knorm ${budgetLabel(p)}`, nonDefaultParams(knorm, p, ["k", "ratio"])),
  toRunner: (p) => ({ name: "knorm", params: p }),
};
