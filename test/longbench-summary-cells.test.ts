import test from "ava";
import { longbenchCells, longbenchRows, type LongbenchRecord } from "../reports/aggregate.ts";
import { summaryMarkdown } from "../reports/longbench-markdown.ts";
import { H2O_INPUT_CAP } from "../datasets/longbench/index.ts";

const rec = (cellKey: string, method: string, dataset: string, score: number, extra: { status?: LongbenchRecord["status"]; length?: number; promptSource?: string } = {}): LongbenchRecord => ({
  cellKey,
  suite: "longbench",
  dataset,
  status: extra.status ?? "completed",
  scores: extra.status && extra.status !== "completed" ? {} : ({ metric: score } as Record<string, number>),
  caseMeta: { length: extra.length ?? 100 },
  protocol: { promptSource: extra.promptSource ?? "official", chatTemplateMode: "official", scoring: "official", truncationBudget: 127500, h2oInputCap: H2O_INPUT_CAP },
  model: { id: "m", name: "Llama", hash: "h", family: "llama", layers: 32 },
  method: { name: method, params: {}, label: method === "h2o" ? "h2o k=4096" : method },
});

const RECORDS = [
  rec("c1", "dense", "hotpotqa", 1),
  rec("c1", "dense", "hotpotqa", 0),
  rec("c1", "dense", "musique", 0.25),
  rec("c1", "dense", "trec", 1),
  rec("c1", "dense", "trec", 0, { status: "errored" }),
  rec("c2", "h2o", "hotpotqa", 0.5),
  rec("c2", "h2o", "qasper_e", 0.5, { length: 5000 }),
  { ...rec("c3", "niah", "x", 1), suite: "niah" },
];

test("summary per cell: official dataset scores, category and overall averages, failures counted apart", (t) => {
  const cells = longbenchCells(RECORDS);
  t.deepEqual(cells.map((c) => [c.cellKey, c.method, c.failed]), [["c1", "dense", 1], ["c2", "h2o k=4096", 0]]);
  const dense = cells[0]?.summary;
  t.deepEqual(dense?.datasets, { hotpotqa: { score: 50, n: 2 }, musique: { score: 25, n: 1 }, trec: { score: 100, n: 1 } });
  t.deepEqual(dense?.categories, { "multi-doc QA": 37.5, "few-shot": 100 });
  t.is(dense?.average, 58.33); // (50 + 25 + 100) / 3
  t.is(cells[1]?.protocol.h2oInputCap, H2O_INPUT_CAP);
  t.is(cells[0]?.protocol.h2oInputCap, null);
  const rows = longbenchRows(RECORDS);
  t.deepEqual(rows.find((r) => r.cellKey === "c2" && r.name === "qasper_e"), {
    model: "Llama", method: "h2o k=4096", cellKey: "c2", row: "dataset", name: "qasper_e", category: "single-doc QA", score: 50, n: 1, "0-4k": null, "4-8k": 50, "8k+": null,
  });
  t.deepEqual(rows.filter((r) => r.cellKey === "c1" && r.row !== "dataset").map((r) => [r.name, r.score]), [["multi-doc QA", 37.5], ["few-shot", 100], ["Average", 58.33]]);
});

test("summary markdown: paper order with category rows, E buckets, protocol with H2O's uncapped input and non-official prompts called out", (t) => {
  const md = summaryMarkdown(RECORDS);
  t.true(md.includes("| Dataset | dense | h2o k=4096 |"));
  t.true(md.includes("| hotpotqa (qa_f1_score) | 50.00 | 50.00 |"));
  t.true(md.includes("| **multi-doc QA** | 37.50 | 50.00 |"));
  t.true(md.includes("| **Average** | 58.33 | 50.00 |"));
  t.true(md.includes("| h2o k=4096 · qasper_e | – | 50.00 | – |"));
  t.true(md.includes(`  - H2O input length: ${H2O_INPUT_CAP}`));
  t.true(md.includes("1 case(s) not completed"));
  t.false(md.includes("NON-OFFICIAL"));
  t.true(summaryMarkdown([rec("c9", "dense", "hotpotqa", 1, { promptSource: "builtin (non-official)" })]).includes("**NON-OFFICIAL PROMPTS**"));
  t.is(summaryMarkdown([]), "");
});
