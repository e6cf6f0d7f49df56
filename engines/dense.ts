// Dense: the whole prompt is prefilled and kept in the KV cache ("keep everything"); the baseline.
import type { MethodAdapter } from "./method.ts";

export const dense: MethodAdapter = {
  name: "dense",
  description: "Full attention: every prompt token stays in the KV cache (the baseline).",
  params: {},
  label: () => "dense",
  toRunner: () => ({ name: "dense", params: {} }),
};
