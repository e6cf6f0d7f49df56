// Accuracy against filter layer and against k (the paper's Figure 5 and k study): one point per axis value per
// series (the configuration minus that axis), mean score × 100, with dense as a labelled dashed reference.
import test from "ava";
import { renderHtml } from "../reports/html/index.ts";
import { dense, gemfilter, niahRecord } from "./helpers/records.ts";

const at = (method: ReturnType<typeof gemfilter>, scores: number[]) =>
  scores.map((score, i) => niahRecord({ method, contextLength: 4000, depthPercent: i * 50, score }));
const records = [
  ...at(dense, [1, 0.9]),
  ...at(gemfilter(13, 1024), [1, 0.5]),
  ...at(gemfilter(19, 1024), [0.5, 0.5]),
  ...at(gemfilter(13, 256), [0.25, 0.25]),
];
const charts = renderHtml(records, { config: null, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false }).charts;
type Layered = { layer: { data: { values: unknown[] } }[] };

test("filter-layer curve: layers 13 and 19 at k=1024; dense reference 95", (t) => {
  const spec = charts.find((c) => c.id.endsWith("sweep-filterLayer"))!.spec as unknown as Layered;
  t.deepEqual(spec.layer[0]!.data.values, [
    { series: "gemfilter k=1024", x: 13, score: 75, n: 2 },
    { series: "gemfilter k=1024", x: 19, score: 50, n: 2 },
  ]);
  t.deepEqual(spec.layer[1]!.data.values, [{ label: "dense", score: 95 }]);
});

test("k curve: k 256 and 1024 at filter layer 13", (t) => {
  const spec = charts.find((c) => c.id.endsWith("sweep-k"))!.spec as unknown as Layered;
  t.deepEqual(spec.layer[0]!.data.values, [
    { series: "gemfilter filterLayer=13", x: 256, score: 25, n: 2 },
    { series: "gemfilter filterLayer=13", x: 1024, score: 75, n: 2 },
  ]);
});
