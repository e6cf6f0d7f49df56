// compare: cells present in only one run are listed (missing / added) and never fail the gate.
import test from "ava";
import { compareMarkdown, compareRuns } from "../reports/compare.ts";
import { dense, gemfilter, niahRecord, snapkv } from "./helpers/records.ts";

const rec = (m: Parameters<typeof niahRecord>[0]["method"]) => niahRecord({ method: m, contextLength: 4000, depthPercent: 0, score: 1 });

test("a cell dropped from the candidate and a new one are listed, the gate passes", (t) => {
  const r = compareRuns([rec(dense), rec(gemfilter(13, 1024))], [rec(dense), rec(snapkv(1024))]);
  t.false(r.regressed);
  t.is(r.cells.length, 1);
  t.deepEqual(r.missingCells.map((c) => c.method), ["gemfilter filterLayer=13 k=1024"]);
  t.deepEqual(r.addedCells.map((c) => c.method), ["snapkv k=1024 window=32"]);
  const md = compareMarkdown(r);
  t.true(md.includes("### Cells only in the baseline (missing from the candidate) (1, not a regression)\n\n- niah · gemfilter filterLayer=13 k=1024 (1 cases, cell "));
  t.true(md.includes("### Cells only in the candidate (added) (1, not a regression)\n\n- niah · snapkv k=1024 window=32 (1 cases, cell "));
});
