// turnMode "multi-request": every turn starts from the same compressed context (the cache cut back to the context's
// kept rows, not recomputed), so turn t of a several-turn request is exactly a request with that one turn — the same
// output ids and the same first-token logits, bit for bit (same compression, same chunks: no kernel tolerance) — for
// every method, on the default (fast) kernels. Where the runner under test is the CUDA one (GEMBENCH_RUNNER_ARGS=
// "--backend cuda", the GPU check) it runs on tiny-llama-d64 (a head size the GPU kernels take), without the methods
// that backend refuses anyway (knorm: no KeyNorm statistics; adasnapkv: no ragged cache), and asserts the same.
import test from "ava";
import { openRunner } from "./helpers/native.ts";
import { context, everyMethod, label, model, turns, type TurnOut } from "./helpers/turns.ts";

test("multi-request turn t equals a single-turn request with that turn, for every method", async (t) => {
  const r = await openRunner();
  try {
    t.deepEqual((r.hello.capabilities as { turnModes: string[] }).turnModes, ["multi-request", "multi-turn"], "the hello says turns work");
    const cuda = r.hello.backend === "cuda";
    await r.ok(cuda ? { ...model, model: "synthetic:tiny-llama-d64" } : model);
    if (cuda) t.log("cuda backend: tiny-llama-d64, knorm and adasnapkv left out (unsupported there)");
    for (const [name, params] of everyMethod.filter(([m]) => !cuda || (m !== "knorm" && m !== "adasnapkv"))) {
      const gen = async (ts: number[][]) =>
        r.ok({
          op: "generate",
          inputIds: context,
          method: { name, params },
          turns: ts.map((ids) => ({ inputIds: ids })),
          turnMode: "multi-request",
          maxNewTokens: 4,
          ignoreEos: true,
          returnLogits: true,
        });
      const all = await gen(turns);
      const got = all.turns as TurnOut[];
      t.is(got.length, turns.length, label(name, params));
      for (let i = 0; i < turns.length; i++) {
        const one = ((await gen([turns[i]!])).turns as TurnOut[])[0]!;
        const m = `${label(name, params)} turn ${i + 1}`;
        t.deepEqual(got[i]!.outputIds, one.outputIds, m);
        t.is(got[i]!.outputIds.length, 4, m);
        t.deepEqual(got[i]!.firstLogits, one.firstLogits, `${m}: first-token logits bitwise`);
        t.is(got[i]!.inputLength, turns[i]!.length, m);
        t.is(got[i]!.cacheLength, all.keptLength as number, `${m}: the turn starts on the kept context alone`);
        t.is(got[i]!.memory.kv, one.memory.kv, `${m}: the same cache at the turn's end`);
        t.is(got[i]!.memory.filterKv, 0, m);
      }
      t.deepEqual(all.outputIds, got[0]!.outputIds, `${label(name, params)}: top-level outputIds = turn 1's`);
    }
  } finally {
    await r.close();
  }
});
