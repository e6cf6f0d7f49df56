// Observed attention: H2O's column sums divided by the number of queries that see each key, per KV head.
import { budgetLabel, joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const observed: MethodAdapter = {
  name: "observed",
  label: (p) => joinLabel(`observed ${budgetLabel(p)}`, nonDefaultParams(observed, p, ["k", "ratio"])),
  toRunner: (p) => ({ name: "observed", params: p }),
};
