// compare never pairs our records with the speed peer's: their cells have different keys (the peer's key adds its
// engine, harness/sweep.ts), so two runs with both pair ours with ours and the peer with the peer, each labelled, and a
// run of ours against a run of the peer's shares no cell.
import test from "ava";
import { compareRuns } from "../reports/compare.ts";
import { benchRecord, dense } from "./helpers/records.ts";

const ours = benchRecord({ method: dense, contextLength: 8192, prefillMs: [100, 100, 100] });
const peer = benchRecord({ method: dense, contextLength: 8192, prefillMs: [1000, 1000, 1000], engine: "transformers" });

test("ours with ours, the peer with the peer: equal runs, no regression", (t) => {
  const r = compareRuns([ours, peer], [ours, peer]);
  t.false(r.regressed);
  t.deepEqual(
    r.cells.map((c) => [c.method, c.times.prefill?.ratio]),
    [
      ["dense contextLength=8192", 1],
      ["dense contextLength=8192 · transformers", 1],
    ],
  );
});

test("our run against the peer's: no cell in common", (t) => {
  const r = compareRuns([ours], [peer]);
  t.deepEqual(r.cells, []);
  t.deepEqual(r.missingCells.map((c) => c.method), ["dense contextLength=8192"]);
  t.deepEqual(r.addedCells.map((c) => c.method), ["dense contextLength=8192 · transformers"]);
  t.false(r.regressed);
});
