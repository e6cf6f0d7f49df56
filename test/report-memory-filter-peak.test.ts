// Memory columns that mean what they say: a GemFilter record whose peak total falls in its filter pass (no KV cache
// held, activations at their largest) must still show the KV cache it decodes from, the same as random's at the same
// k, and say that its peak total is in the filter phase. The memory figures are those of a real CPU bench run
// (configs/bench-cpu.json: synthetic small-llama, 1024 tokens, k = 256), in bytes.
import test from "ava";
import { cellSummaries, memorySummary } from "../reports/aggregate.ts";
import { compareRuns } from "../reports/compare.ts";
import { summaryTable } from "../reports/console.ts";
import { csvRows } from "../reports/csv.ts";
import { renderHtml } from "../reports/html/index.ts";
import { markdownText } from "../reports/markdown.ts";
import type { GemRecord } from "../core/records.ts";
import { benchRecord, gemfilter } from "./helpers/records.ts";

const W = 11615232; // weights
const phase = (kv: number, activations: number, workspace: number) => ({ weights: W, kv, activations, workspace, total: W + kv + activations + workspace });
const filterPass = phase(0, 5423104, 16384);
const prefill = phase(557056, 1885196, 0);
const decode = phase(557056, 11148, 0);

const gem: GemRecord = {
  ...benchRecord({ method: gemfilter(1, 256), contextLength: 1024, prefillMs: [226], filterMs: [359] }),
  memory: { phases: { filter: filterPass, prefill, decode }, peak: filterPass },
};
const rnd: GemRecord = {
  ...benchRecord({ method: { name: "random", params: { k: 256 } }, contextLength: 1024, prefillMs: [257] }),
  memory: { phases: { filter: phase(0, 0, 0), prefill, decode }, peak: prefill },
};

test("the aggregation: peak total in the filter phase with no KV cache at that moment; the decode KV cache beside it", (t) => {
  const m = memorySummary([gem])!;
  t.is(m.peak.total, 17054720);
  t.is(m.peakPhase, "filter");
  t.is(m.peak.kv, 0);
  t.is(m.decodeKv, 557056);
  t.deepEqual(m.maxOverPhases, {
    weights: { bytes: W, phase: "filter" },
    kv: { bytes: 557056, phase: "prefill" },
    activations: { bytes: 5423104, phase: "filter" },
    workspace: { bytes: 16384, phase: "filter" },
  });
  t.is(memorySummary([rnd])!.decodeKv, m.decodeKv, "GemFilter decodes from the same cache as random at k = 256");
  t.is(memorySummary([rnd])!.peakPhase, "prefill");
});

test("summary.md: labelled columns, GemFilter's KV cache 0.53 MiB like random's, its peak total 16.26 MiB in the filter phase", (t) => {
  const md = markdownText([gem, rnd]);
  t.true(md.includes("| Peak total MiB (phase) | At peak total MiB: weights / KV / activations / workspace | KV cache MiB (decode) | KV cache MiB (max over phases) | Activations MiB (max over phases) | Workspace MiB (max over phases) |"));
  t.regex(md, /\| gemfilter filterLayer=1 k=256 \| 1024 \| 1 \|.*\| 16\.26 \(filter\) \| 11\.08 \/ 0\.00 \/ 5\.17 \/ 0\.02 \| 0\.53 \| 0\.53 \(prefill\) \| 5\.17 \(filter\) \| 0\.02 \(filter\) \|/);
  t.regex(md, /\| random k=256 \| 1024 \| 1 \|.*\| 13\.41 \(prefill\) \| 11\.08 \/ 0\.53 \/ 1\.80 \/ 0\.00 \| 0\.53 \| 0\.53 \(prefill\) \| 1\.80 \(prefill\) \| 0\.00 \|/);
});

test("summary.csv: the peak's phase, the decode KV cache and the per-category maxima", (t) => {
  const [header, row] = csvRows([gem]);
  const r = Object.fromEntries(header!.map((h, i) => [h, row![i]]));
  t.like(r, { peakTotalBytes: 17054720, peakKvBytes: 0, peakPhase: "filter", decodeKvBytes: 557056, kvMaxOverPhasesBytes: 557056, kvMaxOverPhasesPhase: "prefill", activationsMaxOverPhasesPhase: "filter" });
});

test("HTML: one bar per phase (filter, prefill, decode), the filter bar marked as the peak total; the table's labelled cells", (t) => {
  const { html, charts } = renderHtml([gem, rnd], { config: null, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false });
  const spec = charts.find((c) => c.id.endsWith("memory"))!.spec as unknown as { data: { values: { variant: string; phase: string; category: string; size: number; peak: string }[] } };
  const gemBars = spec.data.values.filter((d) => d.variant.startsWith("gemfilter"));
  t.deepEqual([...new Set(gemBars.map((d) => `${d.phase}:${d.peak}`))], ["filter:peak total", "prefill:", "decode:"]);
  t.is(gemBars.find((d) => d.phase === "decode" && d.category === "kv")!.size, 557056 / 2 ** 20);
  t.is(gemBars.find((d) => d.phase === "filter" && d.category === "kv")!.size, 0);
  const rndBars = spec.data.values.filter((d) => d.variant.startsWith("random"));
  t.deepEqual([...new Set(rndBars.map((d) => `${d.phase}:${d.peak}`))], ["filter:", "prefill:peak total", "decode:"]);
  t.true(html.includes("<td>16.26 (filter)</td><td>11.08 / 0.00 / 5.17 / 0.02</td><td>0.53</td><td>0.53 (prefill)</td>"));
  t.true(html.includes("<th>KV cache MiB (max over phases)</th>"));
});

test("console and compare read the same aggregation", (t) => {
  const [cell] = cellSummaries([{ cellKey: gem.cellKey, model: "m", suite: "bench", label: gem.method.label }], [gem]);
  t.regex(summaryTable({ perCell: [cell!] }).split("\n")[2]!, /16\.26 \(filter\) +0\.53$/);
  const bigger: GemRecord = { ...gem, memory: { ...gem.memory!, phases: { ...gem.memory!.phases, decode: phase(2 * 557056, 11148, 0) } } };
  const c = compareRuns([gem], [bigger]).cells[0]!;
  t.is(c.memory!.ratio, 1, "the peak total (filter pass) is unchanged");
  t.is(c.kvCache!.ratio, 2);
  t.deepEqual(c.regressions, ["KV cache (decode) ×2.000 at context 1024 (max ×1.05)"]);
});
