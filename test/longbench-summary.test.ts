import test from "ava";
import { summarize, summarizeRecords } from "../datasets/longbench/aggregate.ts";

test("summary: per-dataset official scores, per-category and overall averages; buckets only for LongBench-E", (t) => {
  const s = summarize([
    { dataset: "hotpotqa", score: 1, length: 100 },
    { dataset: "hotpotqa", score: 0, length: 9000 },
    { dataset: "musique", score: 0.25, length: 100 },
    { dataset: "trec", score: 1, length: 100 },
    { dataset: "qasper_e", score: 0.5, length: 5000 },
  ]);
  t.deepEqual(s.datasets.hotpotqa, { score: 50, n: 2 });
  t.deepEqual(s.datasets.musique, { score: 25, n: 1 });
  t.deepEqual(s.datasets.qasper_e?.buckets, { "0-4k": NaN, "4-8k": 50, "8k+": NaN });
  // multi-doc QA = (50 + 25)/2; few-shot = 100; single-doc QA = qasper_e 50
  t.deepEqual(s.categories, { "single-doc QA": 50, "multi-doc QA": 37.5, "few-shot": 100 });
  t.is(s.average, 56.25); // (50 + 25 + 100 + 50) / 4
});

test("summary from records: completed records only, headline (first) score", (t) => {
  const rec = (dataset: string, status: string, v: number) => ({ dataset, status, scores: { qa_f1_score: v, other: 0 }, caseMeta: { length: 10 } });
  const s = summarizeRecords([rec("qasper", "completed", 1), rec("qasper", "completed", 0.5), rec("qasper", "errored", 0)]);
  t.deepEqual(s.datasets.qasper, { score: 75, n: 2 });
});
