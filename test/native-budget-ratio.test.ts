// A budget given as `ratio` is resolved per request by the runner: k = max(round(ratio·n), the least k the method's
// rules allow), round half away from zero; the generate answer's params carry the resolved k beside the ratio, and a
// SnapKV paramSet's values.
import test from "ava";
import { openRunner, type RunnerHandle } from "./helpers/native.ts";

let runner: RunnerHandle | null = null;
test.before(async () => {
  runner = await openRunner();
});
test.after.always(async () => {
  await runner?.close();
});

test("ratio → k per input, at least what the rules allow; paramSet values in the params as run", async (t) => {
  const r = runner;
  if (!r) return t.fail("runner did not start");
  await r.ok({ op: "load", model: "synthetic:tiny-llama", seed: 1 });
  const gen = async (ids: number[], name: string, params: Record<string, unknown>) => {
    const res = await r.ok({ op: "generate", inputIds: ids, method: { name, params }, maxNewTokens: 1, ignoreEos: true });
    return { k: (res.params as Record<string, unknown>).k, kept: res.keptLength, params: res.params as Record<string, unknown> };
  };
  const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => 3 + (i % 50));
  t.like(await gen(ids(90), "streamingllm", { ratio: 0.25 }), { k: 23, kept: 23 }); // 22.5 → 23 (half away from zero)
  t.like(await gen(ids(90), "tova", { ratio: 1 }), { k: 90, kept: 90 });
  t.like(await gen(ids(90), "snapkv", { ratio: 0.1, window: 16 }), { k: 17, kept: 17 }); // 9 < window + 1
  t.like(await gen(ids(90), "streamingllm", { ratio: 0.01, sinks: 4 }), { k: 4, kept: 4 }); // 1 < sinks
  t.like(await gen(ids(90), "gemfilter", { filterLayer: 0, ratio: 0.5, keepLast: 2 }), { k: 45, kept: 45 });
  t.like(await gen(ids(41), "adasnapkv", { ratio: 0.5, window: 4 }), { k: 21, kept: 21 }); // 20.5 → 21
  const set = await gen(ids(90), "snapkv", { ratio: 0.5, paramSet: "kvcache-factory-longbench" });
  t.deepEqual(set.params, { k: 45, ratio: 0.5, paramSet: "kvcache-factory-longbench", window: 8, kernel: 7, pool: "max", gqa: "mean" });
});
