// eosIds replaces the model's eos ids for one request; stopCheckFrom = 1 lets the first token be an eos/stop id
// without ending generation (the GemFilter authors' loop never checks the first token).
import test from "ava";
import { openRunner } from "./helpers/native.ts";

test("eosIds replaces the model's eos ids and stopCheckFrom skips the first tokens' check", async (t) => {
  const r = await openRunner();
  try {
    await r.ok({ op: "load", model: "synthetic:tiny-qwen2", seed: 8 });
    const ids = [1, 80, 90, 100, 110, 120];
    const gen = (extra: Record<string, unknown>) => r.ok({ op: "generate", inputIds: ids, method: "dense", maxNewTokens: 4, ...extra });
    const free = await gen({ ignoreEos: true });
    const out = free.outputIds as number[];
    t.is(out.length, 4);
    const [first, second] = [out[0]!, out[1]!];
    // The greedy first token as the only eos id: generation ends at once, the eos token included.
    const stopped = await gen({ eosIds: [first] });
    t.deepEqual(stopped.outputIds, [first]);
    t.is(stopped.stopReason, "eos");
    // Not checked on the first token: decoding goes on and the same output continues.
    const skipped = await gen({ eosIds: [first], stopCheckFrom: 1 });
    const got = skipped.outputIds as number[];
    t.deepEqual(got.slice(0, 2), [first, second]);
    t.true(got.slice(1).every((x, i) => x !== first || i === got.length - 2), "it stops at the first later eos");
    // An empty override: nothing of the model's eos list stops (the model's eos id 2 never ends it).
    const none = await gen({ eosIds: [] });
    t.deepEqual(none.outputIds, out);
    t.is(none.stopReason, "length");
  } finally {
    await r.close();
  }
});
