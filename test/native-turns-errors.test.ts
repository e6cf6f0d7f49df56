// Bad `turns` requests are refused with a structured error naming the problem (PROTOCOL.md "turns"), and the runner
// answers the next request.
import test from "ava";
import { openRunner } from "./helpers/native.ts";
import { context, model } from "./helpers/turns.ts";

const gem = (params: Record<string, unknown>) => ({ name: "gemfilter", params: { filterLayer: 1, k: 8, ...params } });

const cases: [string, Record<string, unknown>, string, RegExp][] = [
  ["turns empty", { turns: [] }, "bad_request", /turns.*empty/],
  ["turns not an array", { turns: { inputIds: [5] } }, "bad_request", /turns/],
  ["a turn without ids", { turns: [{ inputIds: [5] }, { maxNewTokens: 2 }] }, "bad_request", /turns\[1\]\.inputIds/],
  ["a turn with empty ids", { turns: [{ inputIds: [] }] }, "bad_request", /turns\[0\]: inputIds is empty/],
  ["an unknown turn field", { turns: [{ inputIds: [5], question: "x" }] }, "bad_request", /turns\[0\]\.question/],
  ["turnMode unknown", { turns: [{ inputIds: [5] }], turnMode: "multi-round" }, "bad_request", /turnMode.*multi-round/],
  ["turnMode without turns", { turnMode: "multi-turn" }, "bad_request", /turnMode.*needs turns/],
  ["rounds without turns", { method: gem({ rounds: "keep-filter-layers" }) }, "bad_param", /rounds.*needs turns/],
  ["rounds unknown", { method: gem({ rounds: "twice" }), turns: [{ inputIds: [5] }] }, "bad_param", /rounds/],
  ["recompute false with rounds", { method: gem({ rounds: "rerun", recompute: false }), turns: [{ inputIds: [5] }] }, "bad_param", /recompute/],
  ["a turn id outside the vocabulary", { turns: [{ inputIds: [5] }, { inputIds: [5, 259] }] }, "bad_input", /turns\[1\]: token id 259/],
  ["a turn past the positions", { turns: [{ inputIds: [5], maxNewTokens: 2048 }] }, "bad_input", /turns\[0\].*2048/],
  [
    "multi-turn history past the positions",
    { turnMode: "multi-turn", turns: [{ inputIds: [5], maxNewTokens: 1005 }, { inputIds: [5], maxNewTokens: 1005 }] },
    "bad_input",
    /turns\[1\]: context 40 \+ earlier turns 1006/,
  ],
  ["a turn's minNewTokens above its maxNewTokens", { turns: [{ inputIds: [5], minNewTokens: 3, maxNewTokens: 2 }] }, "bad_request", /turns\[0\]: minNewTokens/],
  ["h2o decode eviction with turns", { method: { name: "h2o", params: { k: 12, recent: 4, evictDuringDecode: true } }, turns: [{ inputIds: [5] }] }, "unsupported", /evictDuringDecode/],
];

test("bad turns requests are refused with the right error code", async (t) => {
  const r = await openRunner(["--threads", "2"], false); // host-side validation: the same code before any backend
  try {
    await r.ok(model);
    for (const [what, extra, code, message] of cases) {
      const reply = await r.send({ op: "generate", inputIds: context, method: gem({}), maxNewTokens: 2, ...extra });
      if (reply.ok) {
        t.fail(`${what}: accepted`);
        continue;
      }
      t.is(reply.error.code, code, what);
      t.regex(reply.error.message, message, what);
    }
    // The same turn, valid, runs (the multi-turn case above fails only by its length).
    const ok = await r.ok({ op: "generate", inputIds: context, method: gem({}), turns: [{ inputIds: [5] }], maxNewTokens: 2, turnMode: "multi-turn" });
    t.is((ok.turns as unknown[]).length, 1);
  } finally {
    await r.close();
  }
});
