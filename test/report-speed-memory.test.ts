// Speed and memory section: per method and context length, filter+prefill and decode ms/token as the median with
// min–max over the raw repeats, memory by phase and category in GiB, and the records' achieved rates with readable names.
import test from "ava";
import { renderHtml } from "../reports/html/index.ts";
import { benchRecord, dense, gemfilter } from "./helpers/records.ts";

const records = [
  benchRecord({ method: dense, contextLength: 8192, prefillMs: [100, 120, 110], decodeMs: [500, 600, 550], memGiB: { weights: 15, kv: 1, activations: 0.5 } }),
  benchRecord({ method: gemfilter(13, 1024), contextLength: 8192, prefillMs: [40, 50, 45], filterMs: [10, 12, 11], decodeMs: [300, 300, 300], memGiB: { weights: 15, kv: 0.25, activations: 0.5, workspace: 0.25 }, rates: { prefillTflops: 400 }, extra: { deviceUsedBytes: 2 ** 34 } }),
];
const charts = renderHtml(records, { config: null, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false }).charts;
type Layered = { data: { values: unknown[] } };

test("prefill points: filter + prefill per repeat, median and range", (t) => {
  const spec = charts.find((c) => c.id.endsWith("prefill"))!.spec as unknown as Layered;
  t.deepEqual(spec.data.values, [
    { variant: "dense", contextLength: 8192, median: 110, min: 100, max: 120, n: 3 },
    { variant: "gemfilter filterLayer=13 k=1024", contextLength: 8192, median: 56, min: 50, max: 62, n: 3 },
  ]);
});

test("decode points: ms per generated token (50 tokens)", (t) => {
  const spec = charts.find((c) => c.id.endsWith("decode"))!.spec as unknown as Layered;
  t.deepEqual(spec.data.values, [
    { variant: "dense", contextLength: 8192, median: 11, min: 10, max: 12, n: 3 },
    { variant: "gemfilter filterLayer=13 k=1024", contextLength: 8192, median: 6, min: 6, max: 6, n: 3 },
  ]);
});

test("memory bars: per phase the method has (no filter pass here), by category in GiB, stacked in a fixed order", (t) => {
  const spec = charts.find((c) => c.id.endsWith("memory"))!.spec as unknown as Layered;
  const bar = (phase: string, category: string, categoryIndex: number, size: number) =>
    ({ variant: "gemfilter filterLayer=13 k=1024", contextLength: 8192, phase, category, categoryIndex, size, peak: phase === "prefill" ? "peak total" : "" });
  t.deepEqual(
    spec.data.values.filter((d) => (d as { variant: string }).variant !== "dense"),
    ["prefill", "decode"].flatMap((p) => [bar(p, "weights", 0, 15), bar(p, "kv", 1, 0.25), bar(p, "activations", 2, 0.5), bar(p, "workspace", 3, 0.25)]),
  );
});

test("rates: a chart for each rate some record carries, titled by phase and unit; memory.extra is no rate", (t) => {
  const rateCharts = charts.filter((c) => c.id.endsWith("rate"));
  t.is(rateCharts.length, 1);
  const spec = rateCharts[0]!.spec as unknown as Layered & { layer: { encoding: { y: { title: string } } }[] };
  t.is(spec.layer[0]!.encoding.y.title, "Prefill TFLOP/s");
  t.deepEqual(spec.data.values, [{ variant: "gemfilter filterLayer=13 k=1024", contextLength: 8192, median: 400, min: 400, max: 400, n: 1 }]);
});

test("small models: memory in MiB when the largest peak is under half a GiB", (t) => {
  const tiny = benchRecord({ method: dense, contextLength: 512, prefillMs: [10], memGiB: { weights: 0.25, kv: 0.0625, activations: 0.0625 } });
  const page = renderHtml([tiny], { config: null, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false });
  const spec = page.charts.find((c) => c.id.endsWith("memory"))!.spec as unknown as Layered & { spec: { encoding: { y: { title: string } } } };
  t.is(spec.spec.encoding.y.title, "Memory at the phase's peak (MiB)");
  t.deepEqual(spec.data.values.map((d) => (d as { size: number }).size), [256, 64, 64, 0, 256, 64, 64, 0]);
  t.true(page.html.includes("<td>384.00 (prefill)</td><td>256.00 / 64.00 / 64.00 / 0.00</td><td>64.00</td><td>64.00 (prefill)</td><td>64.00 (prefill)</td><td>0.00</td>"));
});
