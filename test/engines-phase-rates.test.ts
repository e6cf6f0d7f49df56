// Achieved rates (engines/phase-work.ts phaseRates): work ÷ the phase's median time, TFLOP/s = 10¹² FLOP/s and
// GB/s = 10⁹ B/s; a rate whose phase has no time or no work is absent, never 0.
import test from "ava";
import { phaseRates, type CaseWork } from "../engines/phase-work.ts";

const work: CaseWork = {
  filter: { flops: 3e12, bytes: 5e9 },
  prefill: { flops: 8e12, bytes: 16e9 },
  decode: { flops: 1.5e12, bytes: 30e9 },
};

test("rates are the work divided by the phase time", (t) => {
  t.deepEqual(phaseRates(work, { filterMs: 10, prefillMs: 20, decodeMs: 60 }), {
    filterTflops: 300,
    prefillTflops: 400,
    decodeTflops: 25,
    prefillGBps: 800,
    decodeGBps: 500,
  });
});

test("a phase without time or without work has no rate", (t) => {
  t.deepEqual(phaseRates(work, { filterMs: 0, prefillMs: 20, decodeMs: 0 }), { prefillTflops: 400, prefillGBps: 800 });
  t.deepEqual(phaseRates({ ...work, filter: null, decode: { flops: 0, bytes: 0 } }, { filterMs: 10, prefillMs: 20, decodeMs: 60 }), { prefillTflops: 400, prefillGBps: 800 });
  t.deepEqual(phaseRates(work, { filterMs: Number.NaN, prefillMs: -1, decodeMs: Number.POSITIVE_INFINITY }), {});
});
