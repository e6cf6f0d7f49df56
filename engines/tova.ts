// TOVA (prefill form): per layer keep the tokens the last query attends to most, averaged over all query heads.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const tova: MethodAdapter = {
  name: "tova",
  label: (p) => joinLabel(`tova k=${String(p.k)}`, nonDefaultParams(tova, p, ["k"])),
  toRunner: (p) => ({ name: "tova", params: p }),
};
