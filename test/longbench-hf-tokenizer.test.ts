import test from "ava";
import { HfTokenizer } from "../harness/tokenizer.ts";
import { defaultMaxLength, fittedMaxNewTokens, longbenchSuite } from "../datasets/longbench/index.ts";
import { middleTruncate } from "../datasets/longbench/prompt.ts";
import { ctxFor } from "./helpers/longbench.ts";
import { NEED, needsShared, SHARED_LONGBENCH, STORIES } from "./helpers/shared.ts";

const model = STORIES;

test("default budget: min(ceiling, context − output length); output at most half a small context", (t) => {
  t.is(defaultMaxLength(131072, 512, 127500), 127500);
  t.is(defaultMaxLength(32768, 512, 127500), 32256);
  t.is(defaultMaxLength(32768, 512, 31500), 31500);
  t.is(defaultMaxLength(512, 32, 127500), 480);
  t.is(fittedMaxNewTokens(131072, 512), 512);
  t.is(fittedMaxNewTokens(512, 512), 256);
  t.is(fittedMaxNewTokens(512, 32), 32);
  t.is(defaultMaxLength(512, fittedMaxNewTokens(512, 512), 127500), 256);
});

needsShared([NEED.longbench, NEED.stories])("buildCases with a real HF tokenizer (stories260K): middle truncation by decode + re-encode", async (t) => {
  const tok = new HfTokenizer(model);
  const opts = longbenchSuite.options.parse({ profile: "chat", dir: SHARED_LONGBENCH, datasets: ["multi_news"], limit: 2, maxLength: 200 });
  const cases = await longbenchSuite.buildCases(opts, ctxFor(tok, "/", 512));
  t.is(cases.length, 2);
  for (const c of cases) {
    t.is(c.protocol.truncationBudget, 200);
    t.true(c.protocol.truncated);
    t.is(c.protocol.chatTemplate, "none-in-tokenizer");
    // the re-encoded text stays within a few tokens of the budget (merges across the seam may change the count)
    t.true(Math.abs(c.inputIds.length - 200) <= 3, `${c.inputIds.length} tokens`);
    t.is(c.inputIds[0], tok.bosId ?? -1);
    const text = tok.decode(c.inputIds, { skipSpecialTokens: true });
    t.true(text.startsWith("You are given several news passages."));
    t.true(text.endsWith("Summary:"));
  }
  // the text is decode(first 100 ids incl. BOS, skipping it) + decode(last 100 ids), as pred.py
  const row = "word ".repeat(500);
  const ids = tok.encode(row, { addSpecialTokens: true });
  t.is(ids.length, 1502);
  const r = middleTruncate(tok, row, 200);
  t.true(r.truncated);
  t.is(r.originalTokens, 1502);
  t.is(r.text, tok.decode(ids.slice(0, 100), { skipSpecialTokens: true }) + tok.decode(ids.slice(1402), { skipSpecialTokens: true }));
});
