// Dense: the whole prompt is prefilled and kept in the KV cache ("keep everything"); the baseline.
import type { MethodAdapter } from "./method.ts";

export const dense: MethodAdapter = {
  name: "dense",
  label: () => "dense",
  toRunner: () => ({ name: "dense", params: {} }),
};
