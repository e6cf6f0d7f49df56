// report.html, LongBench section: the official aggregation (reports/aggregate.ts longbenchCells) per cell —
// rounded dataset scores, category and overall averages over them, Δ dense between the official dataset scores,
// LongBench-E datasets as their own rows (never merged with the v1 dataset) and their length buckets in a second table.
import test from "ava";
import type { GemRecord } from "../core/records.ts";
import { renderHtml } from "../reports/html/index.ts";
import { longbenchRun } from "./helpers/longbench-report.ts";

const render = (records: readonly GemRecord[]): string =>
  /<section id="longbench">([\s\S]*?)<\/section>/.exec(renderHtml(records, { config: null, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false }).html)![1]!;
const section = render(longbenchRun());
const tableRows = (cls: string, html = section): string[][] => {
  const table = new RegExp(`<table class="data ${cls}">([\\s\\S]*?)</table>`).exec(html)![1]!;
  return [...table.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, "")));
};

test("scores per dataset, category and Average are the official ones, and Δ dense is taken between them", (t) => {
  t.deepEqual(tableRows("lb"), [
    ["Dataset", "Metric", "Cases", "dense · LongBench", "gemfilter filterLayer=13 k=1024", "Δ dense", "dense · LongBench-E"],
    ["single-doc QA"],
    ["qasper_e", "qa_f1_score", "3", "–", "–", "–", "18.45"],
    ["single-doc QA avg", "", "", "–", "–", "–", "18.45"],
    ["multi-doc QA"],
    // 10.006 and 10.004 round to 10.01 and 10.00: Δ +0.01 (raw means would differ by 0.002)
    ["hotpotqa", "qa_f1_score", "1 ⚠ 1", "10.00", "10.01", "+0.01", "–"],
    ["hotpotqa_e", "qa_f1_score", "1", "–", "–", "–", "25.00"],
    ["2wikimqa", "qa_f1_score", "1", "10.01", "10.01", "+0.00", "–"],
    ["musique", "qa_f1_score", "1", "10.00", "10.00", "+0.00", "–"],
    // dense: mean of 10.00, 10.00, 10.01 = 10.00 (the raw mean would be 10.0053)
    ["multi-doc QA avg", "", "", "10.00", "10.01", "+0.01", "25.00"],
    ["summarization"],
    ["gov_report", "rouge_score", "2", "25.00", "27.50", "+2.50", "–"],
    ["summarization avg", "", "", "25.00", "27.50", "+2.50", "–"],
    ["Average (all datasets)", "", "", "13.75", "14.38", "+0.63", "21.73"],
  ]);
  t.true(section.includes(`title="dense · LongBench: 1 failed"`));
});

test("LongBench-E buckets in numpy's rounding, an empty bucket as a dash", (t) => {
  // qasper_e below 4k: cases 0.0535 and 0, mean 2.675 → 2.68 (Python's round would give 2.67)
  t.deepEqual(tableRows("lb-e"), [
    ["Dataset", "dense · LongBench-E"],
    ["0-4k", "4-8k", "8k+"],
    ["qasper_e", "2.68", "–", "50.00"],
    ["hotpotqa_e", "–", "25.00", "–"],
  ]);
});

test("Δ dense on a category or the Average only when both cells cover the same datasets", (t) => {
  // gemfilter's musique case failed: its multi-doc QA and Average cover fewer datasets than dense's
  const records = longbenchRun().map((r) => (r.method.name === "gemfilter" && r.dataset === "musique" ? { ...r, status: "errored" as const, scores: {}, output: null } : r));
  const rows = tableRows("lb", render(records));
  t.deepEqual(rows.filter((r) => ["musique", "multi-doc QA avg", "summarization avg", "Average (all datasets)"].includes(r[0]!)), [
    ["musique", "qa_f1_score", "1 ⚠ 1", "10.00", "–", "–", "–"],
    ["multi-doc QA avg", "", "", "10.00", "10.01", "–", "25.00"],
    ["summarization avg", "", "", "25.00", "27.50", "+2.50", "–"],
    ["Average (all datasets)", "", "", "13.75", "15.84", "–", "21.73"],
  ]);
});
