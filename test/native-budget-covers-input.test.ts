// With a budget k ≥ n nothing is dropped: gemfilter (any filter layer), snapkv and h2o (with and without decode-time
// eviction, which only starts once the cache exceeds k) produce exactly the dense output ids, on every tiny preset.
import test from "ava";
import { openRunner, type RunnerHandle } from "./helpers/native.ts";

const presets = ["tiny-llama", "tiny-mistral", "tiny-qwen2", "tiny-phi3"];

let runner: RunnerHandle | null = null;
test.before(async () => {
  runner = await openRunner();
});
test.after.always(async () => {
  await runner?.close();
});

for (const preset of presets) {
  test.serial(`${preset}: k ≥ n gives the dense output`, async (t) => {
    const r = runner;
    if (!r) return t.fail("runner did not start");
    const info = await r.ok({ op: "load", model: `synthetic:${preset}`, seed: 11 });
    const L = info.layers as number;
    const n = 40;
    const ids = [1, ...Array.from({ length: n - 1 }, (_, i) => 3 + ((i * 53) % 200))];
    const gen = async (name: string, params: Record<string, unknown>) =>
      (await r.ok({ op: "generate", inputIds: ids, method: { name, params }, maxNewTokens: 12, ignoreEos: true }))
        .outputIds as number[];
    const dense = await gen("dense", {});
    t.is(dense.length, 12);
    const cases: [string, Record<string, unknown>][] = [
      ["gemfilter", { filterLayer: 0, k: n }],
      ["gemfilter", { filterLayer: L - 1, k: n + 100 }],
      ["snapkv", { k: n }],
      ["snapkv", { k: n + 1, window: 4, gqa: "per-query-head" }],
      ["h2o", { k: n }],
      ["h2o", { k: n + 12, recent: 4, evictDuringDecode: true }],
      ["random", { k: n, seed: 5 }],
    ];
    for (const [name, params] of cases) t.deepEqual(await gen(name, params), dense, `${name} ${JSON.stringify(params)}`);
    // And a real budget does change what is kept (the comparison above is not vacuous).
    const small = await r.ok({
      op: "generate",
      inputIds: ids,
      method: { name: "gemfilter", params: { filterLayer: 0, k: 8 } },
      maxNewTokens: 1,
      ignoreEos: true,
    });
    t.is(small.keptLength, 8);
  });
}
