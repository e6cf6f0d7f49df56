// NIAH section: one heatmap panel per method configuration (context length × depth, colour = mean score × 100), the
// configuration's average in the panel title, and an averages table by context length with failures counted; each
// cell's tooltip names the needle's token position and the depths merged into its case.
import test from "ava";
import { renderHtml } from "../reports/html/index.ts";
import { dense, gemfilter, niahRecord } from "./helpers/records.ts";

const records = [
  ...[1000, 2000].flatMap((contextLength) => [0, 100].map((depthPercent) => niahRecord({ method: dense, contextLength, depthPercent, score: 1 }))),
  niahRecord({ method: gemfilter(1, 256), contextLength: 1000, depthPercent: 0, score: 1 }),
  niahRecord({ method: gemfilter(1, 256), contextLength: 1000, depthPercent: 100, score: 0.5 }),
  niahRecord({ method: gemfilter(1, 256), contextLength: 2000, depthPercent: 0, score: 0, meta: { needleStart: 35, mergedDepths: "0,22" } }),
  niahRecord({ method: gemfilter(1, 256), contextLength: 2000, depthPercent: 100, score: 0.5 }),
  niahRecord({ method: gemfilter(1, 256), contextLength: 2000, depthPercent: 50, score: 0, status: "errored" }),
];
const page = renderHtml(records, { config: null, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false });

test("heatmap data: one datum per (panel, length, depth) with a completed case; panel titles carry the average", (t) => {
  const chart = page.charts.find((c) => c.id.endsWith("niah-heatmap"))!;
  const spec = chart.spec as unknown as { data: { values: unknown[] }; facet: { sort: string[] } };
  t.deepEqual(spec.facet.sort, ["dense — avg 100.0", "gemfilter filterLayer=1 k=256 — avg 50.0"]);
  const g = "gemfilter filterLayer=1 k=256 — avg 50.0";
  t.deepEqual(
    spec.data.values.filter((d) => (d as { panel: string }).panel === g),
    [
      { panel: g, contextLength: 1000, depthPercent: 0, score: 100, n: 1, failed: 0, needleAt: "", depths: "0" },
      { panel: g, contextLength: 1000, depthPercent: 100, score: 50, n: 1, failed: 0, needleAt: "", depths: "100" },
      // depths that collapsed onto one needle position at this length (datasets/niah mergeCollapsedDepths): one cell, both named
      { panel: g, contextLength: 2000, depthPercent: 0, score: 0, n: 1, failed: 0, needleAt: "35", depths: "0,22" },
      { panel: g, contextLength: 2000, depthPercent: 100, score: 50, n: 1, failed: 0, needleAt: "", depths: "100" },
    ],
  );
});

test("averages table: per context length, overall, completed and failed cases", (t) => {
  const from = page.html.indexOf("<caption>NIAH average");
  const table = page.html.slice(from, page.html.indexOf("</table>", from));
  const rows = [...table.matchAll(/<tr><th scope="row">([^<]*)<\/th>((?:<td[^>]*>[^<]*<\/td>)+)<\/tr>/g)]
    .map((m) => [m[1], ...[...m[2]!.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1])])
    .filter((r) => r.length === 6);
  t.deepEqual(rows, [
    ["dense", "100.0", "100.0", "100.0", "4", ""],
    ["gemfilter filterLayer=1 k=256", "75.0", "25.0", "50.0", "4", "1"],
  ]);
});
