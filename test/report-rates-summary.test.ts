// summary.md and the HTML speed section show the records' achieved rates per phase: a column per rate some record
// carries (a dash where a record has none), the median over a cell's cases, and the share of the GPU's floor when
// the records state a known GPU.
import test from "ava";
import { renderHtml } from "../reports/html/index.ts";
import { markdownText } from "../reports/markdown.ts";
import { benchRecord, dense, gemfilter } from "./helpers/records.ts";

const h100 = { backend: "cuda", device: "NVIDIA H100 80GB HBM3" };
const onGpu = [
  benchRecord({ method: dense, contextLength: 8192, prefillMs: [300], rates: { prefillTflops: 412.3, decodeTflops: 1.5, prefillGBps: 90, decodeGBps: 2680 }, environment: h100 }),
  benchRecord({ method: gemfilter(13, 1024), contextLength: 8192, prefillMs: [30], filterMs: [120], rates: { filterTflops: 395.6, prefillTflops: 120, decodeGBps: 2400 }, environment: h100 }),
];

test("summary.md: a column per rate, shares of the H100's floor, a dash where a record has no such rate", (t) => {
  const text = markdownText(onGpu);
  t.regex(text, /\| Method \| Context \| Cases \| Filter ms \| Prefill ms \| TTFT ms \| Decode ms\/token \| Peak total GiB \(phase\) \|.*\| Workspace GiB \(max over phases\) \| Filter TFLOP\/s \| Prefill TFLOP\/s \| Decode TFLOP\/s \| Prefill GB\/s \| Decode GB\/s \|/);
  t.regex(text, /\| dense \| 8192 \| 1 \|.*\| – \| 412 \(42% of 989\) \| 1\.50 \(0% of 989\) \| 90\.0 \(3% of 3350\) \| 2680 \(80% of 3350\) \|/);
  t.regex(text, /\| gemfilter filterLayer=13 k=1024 \| 8192 \| 1 \|.*\| 396 \(40% of 989\) \| 120 \(12% of 989\) \| – \| – \| 2400 \(72% of 3350\) \|/);
  t.regex(text, /in brackets the share of the datasheet floor of the GPU the row ran on, the H100 SXM's \(989 TFLOP\/s dense bf16, 3350 GB\/s\)\./);
});

test("summary.md: no rate columns when no record carries rates; plain rates on the CPU", (t) => {
  t.notRegex(markdownText([benchRecord({ method: dense, contextLength: 512, prefillMs: [10] })]), /TFLOP/);
  const cpu = markdownText([benchRecord({ method: dense, contextLength: 512, prefillMs: [10], rates: { prefillTflops: 0.012345 }, environment: { backend: "cpu", device: "CPU (2 threads)" } })]);
  t.regex(cpu, /\| Prefill TFLOP\/s \|\n/);
  t.regex(cpu, /\| 0\.0123 \|\n/);
  t.notRegex(cpu, /floor/);
});

test("HTML: the speed table's rate cell and the charts' captions name the floor", (t) => {
  const page = renderHtml(onGpu, { config: null, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false });
  t.true(page.html.includes("<th class=\"l\">Achieved</th>"));
  t.true(page.html.includes("in brackets the share of the datasheet floor of the GPU the row ran on, the H100 SXM&#39;s (989 TFLOP/s dense bf16, 3350 GB/s)."));
  t.true(page.html.includes("Prefill TFLOP/s 412 (42% of 989)<br>Decode TFLOP/s 1.50 (0% of 989)<br>Prefill GB/s 90.0 (3% of 3350)<br>Decode GB/s 2680 (80% of 3350)"));
  t.true(page.html.includes("Datasheet floor: the H100 SXM&#39;s 989 TFLOP/s dense bf16."));
  t.true(page.html.includes("Datasheet floor: the H100 SXM&#39;s 3350 GB/s."));
  t.is(page.charts.filter((c) => c.id.endsWith("rate")).length, 5);
});

test("mixed devices: each row against its own GPU's floor, a CPU row without one", (t) => {
  const cpuRow = benchRecord({ method: dense, contextLength: 512, prefillMs: [10], rates: { prefillTflops: 0.012345 }, environment: { backend: "cpu", device: "CPU (2 threads)" } });
  const h200Row = benchRecord({ method: dense, contextLength: 1024, prefillMs: [10], rates: { prefillTflops: 494.5 }, environment: { backend: "cuda", device: "NVIDIA H200" } });
  const text = markdownText([cpuRow, h200Row]);
  t.regex(text, /\| dense \| 512 \|.*\| 0\.0123 \|\n/);
  t.regex(text, /\| dense \| 1024 \|.*\| 495 \(50% of 989\) \|\n/);
  t.regex(text, /the H200 SXM's \(989 TFLOP\/s dense bf16, 4800 GB\/s\)\./);
});
