// StreamingLLM: keep the first `sinks` prompt tokens and the most recent ones, the same in every layer and KV head.
import { budgetLabel, joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const streamingllm: MethodAdapter = {
  name: "streamingllm",
  label: (p) => joinLabel(`streamingllm ${budgetLabel(p)}`, nonDefaultParams(streamingllm, p, ["k", "ratio"])),
  toRunner: (p) => ({ name: "streamingllm", params: p }),
};
