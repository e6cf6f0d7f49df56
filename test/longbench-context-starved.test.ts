// A LongBench case whose truncation budget leaves almost nothing of the context (a 4-token budget keeps two tokens at
// each end) is flagged in its protocol (contextStarved) and named on the console, not passed off as a normal case;
// a budget of MIN_CONTEXT_BUDGET tokens or more, or an untruncated prompt, is not flagged.
import { longbenchSuite, MIN_CONTEXT_BUDGET } from "../datasets/longbench/index.ts";
import { charTokenizer, ctxFor } from "./helpers/longbench.ts";
import { NEED, needsShared, SHARED_LONGBENCH } from "./helpers/shared.ts";

const lbTest = needsShared([NEED.longbench]);

lbTest("a 4-token budget: every case flagged and one console line per dataset; a normal budget: none", async (t) => {
  const tok = charTokenizer({ chat: false });
  const build = async (maxLength: number) => {
    const logs: string[] = [];
    const opts = longbenchSuite.options.parse({ dir: SHARED_LONGBENCH, datasets: ["multi_news", "passage_retrieval_zh"], limit: 2, maxLength, chatTemplate: "off" });
    const cases = await longbenchSuite.buildCases(opts, ctxFor(tok, "/", 131072, logs));
    return { cases, logs };
  };
  const tiny = await build(4);
  t.is(tiny.cases.length, 4);
  t.true(tiny.cases.every((c) => c.protocol.contextStarved === true && c.protocol.truncated === true && c.protocol.truncationBudget === 4));
  const lines = tiny.logs.filter((l) => l.includes("almost none of the context is kept"));
  t.deepEqual(lines.map((l) => l.split(":")[0]), ["LongBench multi_news", "LongBench passage_retrieval_zh"]);
  t.regex(lines[0]!, new RegExp(`2 of 2 case\\(s\\) truncated to a budget below ${MIN_CONTEXT_BUDGET} tokens \\(as low as 4\\).*raise the maxLength option`));
  const normal = await build(MIN_CONTEXT_BUDGET);
  t.true(normal.cases.every((c) => c.protocol.contextStarved === false && c.protocol.truncated === true));
  t.false(normal.logs.some((l) => l.includes("almost none of the context")));
});
