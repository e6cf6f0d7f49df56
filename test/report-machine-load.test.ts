// The reports flag records taken on a loaded machine: the 1-minute load average at a record's start, less the run's
// own threads (environment.device "(N threads"), above half the host's cores (environment.host "…, N cores)").
import test from "ava";
import { machineLoad } from "../reports/machine-load.ts";
import { markdownText } from "../reports/markdown.ts";
import { renderHtml } from "../reports/html/index.ts";
import { benchRecord, dense, gemfilter } from "./helpers/records.ts";

const host = "box (AMD EPYC, 2 cores)";
const at = (start: number, device = "cpu (2 threads, fast/avx512 kernels)") => ({ host, device, gpu: null, loadAverage: { start: [start, 1, 1], end: [start + 0.5, 1, 1] } });
const records = [
  // 2.9 − 2 threads = 0.9 ≤ 1 (half of 2 cores): not loaded
  benchRecord({ method: dense, contextLength: 4096, prefillMs: [100], environment: at(2.9) }),
  // 3.2 − 2 = 1.2 > 1: loaded
  benchRecord({ method: dense, contextLength: 8192, prefillMs: [200], environment: at(3.2) }),
  // the peer on the CPU names its threads as well
  benchRecord({ method: dense, contextLength: 4096, prefillMs: [150], engine: "transformers", environment: at(2.5, "cpu (2 threads)") }),
  // a device without threads counts 0 own threads: 1.5 > 1
  benchRecord({ method: gemfilter(1, 256), contextLength: 4096, prefillMs: [50], environment: at(1.5, "cpu") }),
  // no load average (older records): not checked
  benchRecord({ method: gemfilter(1, 256), contextLength: 8192, prefillMs: [60], environment: { host, gpu: null } }),
];

test("the rule: start load less own threads against half the cores", (t) => {
  const { checked, loaded } = machineLoad(records, false);
  t.is(checked, 4);
  t.deepEqual(
    loaded.map((l) => [l.variant, l.contextLength, l.start, l.threads, l.cores]),
    [
      ["dense", 8192, 3.2, 2, 2],
      ["gemfilter filterLayer=1 k=256", 4096, 1.5, 0, 2],
    ],
  );
});

test("summary.md and report.html name the flagged records and the rule", (t) => {
  const md = markdownText(records);
  t.regex(md, /### Machine load/);
  t.regex(md, /2 of the 4 timed records were taken on a loaded machine \(flagged when the 1-minute load average/);
  t.regex(md, /\| dense \| 8192 \| 3\.20 → 3\.70 \| 2 \| 2 \|/);
  const { html } = renderHtml(records, { config: null, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false });
  t.regex(html, /Machine load: 2 of the 4 timed records were taken on a loaded machine/);
  t.regex(html, /<td>gemfilter filterLayer=1 k=256<\/td><td>4096<\/td><td>1\.50 → 2\.00<\/td><td>0<\/td><td>2<\/td>/);
});

test("a quiet run says none was loaded", (t) => {
  const md = markdownText(records.slice(0, 1));
  t.regex(md, /None of the 1 timed records was taken on a loaded machine/);
});
