// StreamingLLM: keep the first `sinks` prompt tokens and the most recent ones, the same in every layer and KV head.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const streamingllm: MethodAdapter = {
  name: "streamingllm",
  label: (p) => joinLabel(`streamingllm k=${String(p.k)}`, nonDefaultParams(streamingllm, p, ["k"])),
  toRunner: (p) => ({ name: "streamingllm", params: p }),
};
