import { loadDataset } from "../datasets/longbench/data.ts";
import { datasetScore } from "../datasets/longbench/aggregate.ts";
import { jiebaCut, rougeSentences, rougeZhScore, scoreSample, type MetricName } from "../datasets/longbench/metrics.ts";
import { NEED, needsShared, SHARED_LONGBENCH } from "./helpers/shared.ts";

const lbTest = needsShared([NEED.longbench]);

const FILES: [string, MetricName, number][] = [
  // answers scored against themselves: ROUGE-L F of a perfect match is 0.999999995, the others 1
  ["multi_news", "rouge_score", 0.999999995],
  ["multifieldqa_zh", "qa_f1_zh_score", 1],
  ["passage_retrieval_zh", "retrieval_zh_score", 1],
];

lbTest("real files: every answer scored against itself gets the metric's perfect value; dataset score 100", (t) => {
  for (const [name, metric, perfect] of FILES) {
    const rows = loadDataset(SHARED_LONGBENCH, name, "v1").rows;
    const scores = rows.map((r) => scoreSample(name, metric, r.answers[0] as string, r.answers));
    t.deepEqual([...new Set(scores)], [perfect], name);
    t.is(datasetScore(scores), 100, name); // round(99.9999995, 2) = 100
  }
});

lbTest("real files: empty predictions score 0 everywhere", (t) => {
  for (const [name, metric] of FILES) {
    const rows = loadDataset(SHARED_LONGBENCH, name, "v1").rows;
    t.is(datasetScore(rows.map((r) => scoreSample(name, metric, "", r.answers))), 0, name);
  }
});

lbTest("real files: punctuation and unicode in zh answers (。 removed; fullwidth digits are not the paragraph number)", (t) => {
  const mf = loadDataset(SHARED_LONGBENCH, "multifieldqa_zh", "v1").rows[0];
  t.is(mf?.answers[0], "厦门大学。");
  t.is(scoreSample("multifieldqa_zh", "qa_f1_zh_score", "厦门大学", mf?.answers ?? []), 1);
  t.is(scoreSample("multifieldqa_zh", "qa_f1_zh_score", "答案：厦门大学！", mf?.answers ?? []), 2 * ((1 / 2) * 1) / 1.5);
  const pr = loadDataset(SHARED_LONGBENCH, "passage_retrieval_zh", "v1").rows[0];
  t.is(pr?.answers[0], "段落27");
  t.is(scoreSample("passage_retrieval_zh", "retrieval_zh_score", "段落２７", pr?.answers ?? []), 0);
  t.is(scoreSample("passage_retrieval_zh", "retrieval_zh_score", "段落27，不是段落3", pr?.answers ?? []), 0.5);
});

lbTest("real files: a long natural Chinese text without '.' is one ROUGE sentence and scores 0 against itself officially", (t) => {
  const ctx = (loadDataset(SHARED_LONGBENCH, "multifieldqa_zh", "v1").rows[0]?.context ?? "").replace(/\./g, "");
  const short = ctx.slice(0, 1850);
  const long = ctx.slice(0, 2000);
  const tokens = (s: string): number => (rougeSentences(jiebaCut(s).join(" "))[0] ?? "").split(" ").length;
  t.true(tokens(short) < 990 && tokens(long) >= 990, `${tokens(short)} / ${tokens(long)} tokens`);
  t.is(rougeZhScore(short, short), 0.999999995);
  t.is(rougeZhScore(long, long), 0);
  t.is(rougeZhScore(long, long, "corrected"), 0.999999995);
});
