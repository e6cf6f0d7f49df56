// Summary section: one row per method configuration with each scored suite's score (datasets averaged; for LongBench
// the official Average of the rounded dataset scores) and, at the longest context length timed (the bench suite when
// there is one), filter + prefill ms, the speedup over dense, the peak total
// (with its phase) and the KV cache decoded from.
import test from "ava";
import { renderHtml } from "../reports/html/index.ts";
import { benchRecord, dense, gemfilter, longbenchRecord, niahRecord } from "./helpers/records.ts";

test("scores per suite, speed and memory at the longest bench length", (t) => {
  const records = [dense, gemfilter(13, 1024)].flatMap((method) => [
    niahRecord({ method, contextLength: 4000, depthPercent: 0, score: method === dense ? 1 : 0.5 }),
    longbenchRecord({ method, dataset: "narrativeqa", category: "Single-Document QA", index: 0, score: 0.2 }),
    longbenchRecord({ method, dataset: "gov_report", category: "Summarization", index: 0, score: 0.3, metric: "rouge" }),
    longbenchRecord({ method, dataset: "gov_report", category: "Summarization", index: 1, score: 0.5, metric: "rouge" }),
    benchRecord({ method, contextLength: 8192, prefillMs: [50] }),
    benchRecord({ method, contextLength: 32768, prefillMs: method === dense ? [400] : [90], filterMs: method === dense ? [0] : [10], memGiB: { weights: 15, kv: method === dense ? 4 : 0.5, activations: 1 } }),
  ]);
  const html = renderHtml(records, { config: null, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false }).html;
  const section = /<section id="summary">([\s\S]*?)<\/section>/.exec(html)![1]!;
  const rows = [...section.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((c) => c[1]));
  t.deepEqual(rows, [
    ["Method", "niah niah", "longbench score", "Prefill ms at 32768", "Speedup vs dense", "Peak total GiB (phase) at 32768", "KV cache GiB (decode) at 32768"],
    ["dense", "100.0", "30.00", "400", "–", "20.00 (prefill)", "4.00"],
    ["gemfilter filterLayer=13 k=1024", "50.0", "30.00", "100", "4.00×", "16.50 (prefill)", "0.50"],
  ]);
});
