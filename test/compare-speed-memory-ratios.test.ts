// compare: time and memory are candidate/baseline ratios of medians (times) and of the largest peaks (memory),
// per context length when cases record one, so a slowdown at one length is caught even if the cell median is not.
import test from "ava";
import { compareRuns, DEFAULT_THRESHOLDS } from "../reports/compare.ts";
import { gemfilter, makeRecord, memoryOf, timingsOf } from "./helpers/records.ts";

function benchCell(prefill: Record<number, number[]>, kvGiB: Record<number, number> = {}, activationsGiB: Record<number, number> = {}) {
  return Object.entries(prefill).map(([len, samples]) =>
    makeRecord({
      suite: "bench",
      dataset: "bench",
      caseId: `len${len}`,
      method: gemfilter(13, 1024),
      caseMeta: { contextLength: Number(len) },
      scores: {},
      timings: timingsOf({ prefillMs: samples, filterMs: samples.map(() => 10), decodeMs: samples.map(() => 100), decodeTokens: 50 }),
      memory: memoryOf({ weightsGiB: 15, kvGiB: kvGiB[Number(len)] ?? 0.5, activationsGiB: activationsGiB[Number(len)] ?? 0.5 }),
    }),
  );
}

test("equal runs give ratios of exactly 1 and no regression", (t) => {
  const a = benchCell({ 8192: [100, 110, 90], 32768: [400, 410, 390] });
  const r = compareRuns(a, a);
  t.false(r.regressed);
  t.deepEqual(r.cells[0]!.times.prefill, { baseline: 110, candidate: 110, ratio: 1, at: 8192, belowFloor: false });
});

test("a 1.5× slower prefill at one length regresses, naming the length; the median over lengths would not", (t) => {
  const base = benchCell({ 8192: [90, 100, 110], 32768: [390, 400, 410], 131072: [1590, 1600, 1610] });
  const cand = benchCell({ 8192: [90, 100, 110], 32768: [590, 600, 610], 131072: [1590, 1600, 1610] });
  const r = compareRuns(base, cand, DEFAULT_THRESHOLDS);
  const c = r.cells[0]!;
  // prefill = filter (10) + prefill median: 410 → 610 at 32768
  t.deepEqual(c.times.prefill, { baseline: 410, candidate: 610, ratio: 610 / 410, at: 32768, belowFloor: false });
  // 100 ms over 50 tokens: 2 ms/token, under the default 5 ms floor
  t.deepEqual(c.times.decodePerToken, { baseline: 2, candidate: 2, ratio: 1, at: 8192, belowFloor: true });
  t.deepEqual(c.regressions, ["prefill time ×1.488 at context 32768 (max ×1.1)", "total time ×1.388 at context 32768 (max ×1.1)"]);
  t.true(r.regressed);
});

test("peak total memory ratio above 1.05 regresses; exactly 1.05 does not", (t) => {
  // weights 15 + kv 0.5 + activations: 16 GiB → 16.8 GiB is ×1.05 exactly; → 17 GiB is ×1.0625 (the KV cache unchanged)
  const base = benchCell({ 8192: [100] }, {}, { 8192: 0.5 });
  const same = compareRuns(base, benchCell({ 8192: [100] }, {}, { 8192: 1.3 }));
  t.true(Math.abs(same.cells[0]!.memory!.ratio - 1.05) < 1e-12);
  t.is(same.cells[0]!.kvCache!.ratio, 1);
  t.false(same.regressed);
  const more = compareRuns(base, benchCell({ 8192: [100] }, {}, { 8192: 1.5 }));
  t.deepEqual(more.cells[0]!.regressions, ["peak total memory ×1.063 at context 8192 (max ×1.05)"]);
  t.false(compareRuns(base, benchCell({ 8192: [100] }, {}, { 8192: 1.5 }), { ...DEFAULT_THRESHOLDS, maxMemoryRatio: null }).regressed);
});

test("the KV cache decoded from is gated on its own: 0.5 → 0.6 GiB is ×1.2 even where the peak total grows ×1.006", (t) => {
  const base = benchCell({ 8192: [100] }, { 8192: 0.5 });
  const r = compareRuns(base, benchCell({ 8192: [100] }, { 8192: 0.6 }));
  const c = r.cells[0]!;
  t.true(Math.abs(c.kvCache!.ratio - 1.2) < 1e-12);
  t.true(Math.abs(c.memory!.ratio - 16.1 / 16) < 1e-12);
  t.deepEqual(c.regressions, ["KV cache (decode) ×1.200 at context 8192 (max ×1.05)"]);
});
