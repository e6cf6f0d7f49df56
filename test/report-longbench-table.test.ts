// LongBench section: per dataset and category, 100 × mean headline score per method, the difference to dense on the
// same model, category averages and the macro average over datasets.
import test from "ava";
import { renderHtml } from "../reports/html/index.ts";
import { dense, gemfilter, longbenchRecord } from "./helpers/records.ts";

const records = [dense, gemfilter(13, 1024)].flatMap((method) => [
  longbenchRecord({ method, dataset: "narrativeqa", category: "Single-Document QA", index: 0, score: method === dense ? 0.3 : 0.25 }),
  longbenchRecord({ method, dataset: "narrativeqa", category: "Single-Document QA", index: 1, score: method === dense ? 0.5 : 0.35 }),
  longbenchRecord({ method, dataset: "qasper", category: "Single-Document QA", index: 0, score: 0.4 }),
  longbenchRecord({ method, dataset: "gov_report", category: "Summarization", index: 0, score: method === dense ? 0.2 : 0.26, metric: "rouge" }),
]);
const html = renderHtml(records, { config: null, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false }).html;

test("rows: dataset, metric, cases, dense, gemfilter, Δ dense", (t) => {
  const table = /<table class="data lb">([\s\S]*?)<\/table>/.exec(html)![1]!;
  const rows = [...table.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) =>
    [...m[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, "")),
  );
  t.deepEqual(rows, [
    ["Dataset", "Metric", "Cases", "dense", "gemfilter filterLayer=13 k=1024", "Δ dense"],
    ["Single-Document QA"],
    ["narrativeqa", "qa_f1", "2", "40.0", "30.0", "−10.0"],
    ["qasper", "qa_f1", "1", "40.0", "40.0", "+0.0"],
    ["Single-Document QA avg", "", "", "40.0", "35.0", "−5.0"],
    ["Summarization"],
    ["gov_report", "rouge", "1", "20.0", "26.0", "+6.0"],
    ["Summarization avg", "", "", "20.0", "26.0", "+6.0"],
    ["Average (all datasets)", "", "", "33.3", "32.0", "−1.3"],
  ]);
});
