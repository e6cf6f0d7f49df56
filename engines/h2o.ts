// H2O: keep the heavy hitters (largest accumulated attention) plus the most recent tokens, per KV head.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const h2o: MethodAdapter = {
  name: "h2o",
  label: (p) => joinLabel(`h2o k=${String(p.k)}`, nonDefaultParams(h2o, p, ["k"])),
  toRunner: (p) => ({ name: "h2o", params: p }),
};
