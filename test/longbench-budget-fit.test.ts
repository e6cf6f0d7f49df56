import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { longbenchSuite } from "../datasets/longbench/index.ts";
import { charTokenizer, ctxFor } from "./helpers/longbench.ts";

// One token per character (+ BOS); the chat template adds "<s>[U]" … "[/U]" = 8 tokens after truncation.
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "gembench-lb-fit-"));
  const row = { input: "", context: "x".repeat(2000), answers: ["a"], length: 2000, dataset: "multi_news", language: "en", all_classes: null, _id: "n1" };
  writeFileSync(join(d, "multi_news.jsonl"), `${JSON.stringify(row)}\n`);
  writeFileSync(join(d, "dataset2prompt.json"), JSON.stringify({ multi_news: "{context}" }));
  writeFileSync(join(d, "dataset2maxlen.json"), JSON.stringify({ multi_news: 512 }));
  return d;
}

test("default budget on a small-context model: prompt + output fit the context, the changes recorded", async (t) => {
  const [c] = await longbenchSuite.buildCases(longbenchSuite.options.parse({ profile: "chat", dir: dir(), datasets: ["multi_news"] }), ctxFor(charTokenizer({ chat: true }), "/", 512));
  if (!c) return t.fail();
  // output capped at half the context (official 512); default budget 512 − 256 = 256 → 127 + 128 chars (BOS skipped
  // on decode) + the template (one BOS, "[U]", "[/U]") = 263 tokens, 7 too many → budget 249 → 123 + 124 chars → 255
  t.is(c.maxNewTokens, 256);
  t.is(c.protocol.maxNewTokens, 256);
  t.is(c.protocol.maxNewTokensOfficial, 512);
  t.is(c.protocol.truncationBudget, 249);
  t.is(c.protocol.truncationBudgetSource, "fitted to context (below default)");
  t.is(c.inputIds.length, 255);
  t.true(c.inputIds.length + c.maxNewTokens <= 512);
});

test("explicit maxLength: the official truncation as given, official output length, no fitting", async (t) => {
  const [c] = await longbenchSuite.buildCases(longbenchSuite.options.parse({ profile: "chat", dir: dir(), datasets: ["multi_news"], maxLength: 300 }), ctxFor(charTokenizer({ chat: true }), "/", 512));
  if (!c) return t.fail();
  t.is(c.maxNewTokens, 512);
  t.is(c.protocol.truncationBudget, 300);
  t.is(c.protocol.truncationBudgetSource, "maxLength option");
  t.is(c.inputIds.length, 300 + 7); // 150 + 150 tokens less the skipped BOS, + "<s>[U]" "[/U]"
});

test("a 128K model gets the 127500 default with the official output length, nothing fitted", async (t) => {
  const [c] = await longbenchSuite.buildCases(longbenchSuite.options.parse({ profile: "chat", dir: dir(), datasets: ["multi_news"] }), ctxFor(charTokenizer({ chat: true }), "/", 131072));
  t.is(c?.maxNewTokens, 512);
  t.is(c?.protocol.truncationBudget, 127500);
  t.is(c?.protocol.truncationBudgetSource, "default");
  t.is(c?.protocol.truncated, false);
});
