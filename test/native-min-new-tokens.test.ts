// minNewTokens (transformers' min_length): for the first tokens, EOS and stop ids are never chosen; the choice is
// the argmax over the other ids, so it is exactly the best logit that is not banned.
import test from "ava";
import { openRunner } from "./helpers/native.ts";

test("the first minNewTokens tokens are never an eos or stop id", async (t) => {
  const r = await openRunner();
  try {
    await r.ok({ op: "load", model: "synthetic:tiny-qwen2", seed: 8 });
    const ids = [1, 80, 90, 100, 110, 120];
    const gen = (extra: Record<string, unknown>) => r.ok({ op: "generate", inputIds: ids, method: "dense", maxNewTokens: 3, returnLogits: true, ...extra });
    const free = await gen({});
    const first = (free.outputIds as number[])[0]!;
    const logits = free.firstLogits as number[];
    // Ban the greedy choice (as a stop id) and the model's eos id 2 for one token.
    const banned = await gen({ stopIds: [first], minNewTokens: 1 });
    const got = (banned.outputIds as number[])[0]!;
    let want = -1;
    logits.forEach((v, i) => {
      if (i !== first && i !== 2 && (want < 0 || v > logits[want]!)) want = i;
    });
    t.not(got, first);
    t.is(got, want, "the best logit that is not banned");
    // Without minNewTokens the same stop id ends generation at once (and is part of the output).
    const stopped = await gen({ stopIds: [first] });
    t.deepEqual(stopped.outputIds, [first]);
    t.is(stopped.stopReason, "stop");
    // minNewTokens beyond maxNewTokens is a bad request.
    const bad = await r.send({ op: "generate", inputIds: ids, method: "dense", maxNewTokens: 2, minNewTokens: 3 });
    t.true(!bad.ok && bad.error.code === "bad_request" && /minNewTokens = 3/.test(bad.error.message));
  } finally {
    await r.close();
  }
});
