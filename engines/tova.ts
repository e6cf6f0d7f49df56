// TOVA (prefill form): per layer keep the tokens the last query attends to most, averaged over all query heads.
import { budgetLabel, joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const tova: MethodAdapter = {
  name: "tova",
  label: (p) => joinLabel(`tova ${budgetLabel(p)}`, nonDefaultParams(tova, p, ["k", "ratio"])),
  toRunner: (p) => ({ name: "tova", params: p }),
};
