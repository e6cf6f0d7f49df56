import test from "ava";
import { countScore, RetrievalAnswerError, retrievalScore, retrievalZhScore } from "../datasets/longbench/metrics.ts";

test("count: fraction of all numbers in the prediction equal to the answer; Unicode digits count as numbers", (t) => {
  t.is(countScore("13, 14", "13"), 0.5);
  t.is(countScore("13 and 13", "13"), 1);
  t.is(countScore("no number", "13"), 0);
  t.is(countScore("１３", "13"), 0); // fullwidth digits match \d but never equal "13"
  t.is(countScore("13 ١٣", "13"), 0.5); // Arabic-Indic
});

test("retrieval: paragraph number read from the answer; prediction numbers compared", (t) => {
  t.is(retrievalScore("Paragraph 3", "Paragraph 3"), 1);
  t.is(retrievalScore("Paragraph 3 and Paragraph 30", "Paragraph 3"), 0.5);
  t.is(retrievalZhScore("段落27", "段落27"), 1);
  t.is(retrievalZhScore("答案是段落２７", "段落27"), 0);
});

test("retrieval: an answer without the paragraph number is a clear error (the official script crashes)", (t) => {
  const e = t.throws(() => retrievalScore("Paragraph 3", "3"), { instanceOf: RetrievalAnswerError });
  t.regex(e?.message ?? "", /no "Paragraph N" paragraph number/);
  t.throws(() => retrievalZhScore("段落3", "Paragraph 3"), { instanceOf: RetrievalAnswerError });
});
