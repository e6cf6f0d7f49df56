import test from "ava";
import { longbenchSuite } from "../datasets/longbench/index.ts";
import { BOS, charTokenizer, ctxFor } from "./helpers/longbench.ts";
import { NEED, needsShared, SHARED_LONGBENCH } from "./helpers/shared.ts";

const lbTest = needsShared([NEED.longbench]);

lbTest("buildCases on the real files: official prompts, truncation budget, protocol and caseMeta on every case; score()", async (t) => {
  const tok = charTokenizer({ chat: true });
  const opts = longbenchSuite.options.parse({ profile: "chat", dir: SHARED_LONGBENCH, datasets: ["multi_news", "passage_retrieval_zh"], limit: 3, maxLength: 1000 });
  const cases = await longbenchSuite.buildCases(opts, ctxFor(tok, "/"));
  t.is(cases.length, 6);
  const c = cases[0];
  if (!c) return;
  t.is(c.dataset, "multi_news");
  t.is(c.maxNewTokens, 512);
  t.deepEqual(c.stopStrings, []);
  t.is(c.caseMeta.category, "summarization");
  t.is(c.caseMeta.length, 2099);
  t.is(c.protocol.promptSource, "official");
  t.is(c.protocol.chatTemplate, "applied");
  t.is(c.protocol.truncationBudget, 1000);
  t.is(c.protocol.truncated, true);
  t.is(c.protocol.scoring, "official");
  t.is(c.protocol.h2oInputCap, "none: same input as every other method (the GemFilter paper capped H2O at 8K tokens)");
  // budget 1000 → half 500: head = BOS + 499 chars (BOS skipped on decode), tail = 500 chars; then "<s>[U]" … "[/U]"
  t.is(c.inputIds.length, 1 + 3 + 499 + 500 + 4);
  t.is(c.inputIds[0], BOS);
  t.true(tok.decode(c.inputIds).startsWith("<s>[U]You are given several news passages."));
  t.true(tok.decode(c.inputIds).endsWith("Now, write a one-page summary of all the news.\n\nSummary:[/U]"));
  const ref = c.references[0] as string;
  t.deepEqual(longbenchSuite.score(c, ref), { rouge_score: 0.999999995 });
  t.deepEqual(longbenchSuite.score(c, ""), { rouge_score: 0 });
  const pr = cases[3];
  t.is(pr?.caseMeta.language, "zh");
  t.deepEqual(pr && longbenchSuite.score(pr, `答案是${pr.references[0]}`), { retrieval_zh_score: 1 });
});

test("default dataset selection: the 14 English Table 1 datasets for v1, the 13 _e datasets for LongBench-E", async (t) => {
  const { resolveDatasets } = await import("../datasets/longbench/index.ts");
  t.deepEqual(resolveDatasets(undefined, "v1"), [
    "narrativeqa", "qasper", "multifieldqa_en", "hotpotqa", "2wikimqa", "musique", "gov_report", "qmsum", "multi_news",
    "trec", "triviaqa", "samsum", "passage_count", "passage_retrieval_en",
  ]);
  t.is(resolveDatasets("all", "v1").length, 21);
  t.is(resolveDatasets(undefined, "e").length, 13);
  t.throws(() => resolveDatasets(["dureader"], "e"), { message: /LongBench-E has no "dureader"/ });
  t.throws(() => resolveDatasets(["nope"], "v1"), { message: /unknown LongBench dataset "nope"/ });
});
