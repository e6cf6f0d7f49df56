// compare: a case that completed in the baseline and errors in the candidate is a regression even when the other
// cases score the same; cases failing on both sides or fixed in the candidate are reported, not failed.
import test from "ava";
import { compareMarkdown, compareRuns } from "../reports/compare.ts";
import { gemfilter, niahRecord } from "./helpers/records.ts";

const rec = (depthPercent: number, status: "completed" | "errored") =>
  niahRecord({ method: gemfilter(13, 1024), contextLength: 4000, depthPercent, score: 1, status });

test("completed → errored regresses the cell with the error code", (t) => {
  const base = [rec(0, "completed"), rec(50, "completed")];
  const cand = [rec(0, "completed"), rec(50, "errored")];
  const r = compareRuns(base, cand);
  t.true(r.regressed);
  t.deepEqual(r.cells[0]!.newlyFailing, ["len4000-depth50"]);
  t.deepEqual(r.cells[0]!.regressions, ["1 case newly failing (RUNNER_OOM)"]);
  t.is(r.cells[0]!.compared, 1);
});

test("a whole cell erroring in the candidate regresses even though no score can be compared", (t) => {
  const r = compareRuns([rec(0, "completed")], [rec(0, "errored")]);
  t.true(r.regressed);
  t.deepEqual(r.cells[0]!.metrics, []);
});

test("errored on both sides, or errored → completed, is not a regression and is counted in the table", (t) => {
  const base = [rec(0, "errored"), rec(50, "errored"), rec(100, "completed")];
  const cand = [rec(0, "errored"), rec(50, "completed"), rec(100, "completed")];
  const r = compareRuns(base, cand);
  t.false(r.regressed);
  t.deepEqual(r.cells[0]!.stillFailing, ["len4000-depth0"]);
  t.deepEqual(r.cells[0]!.fixed, ["len4000-depth50"]);
  t.regex(compareMarkdown(r), /\| 1 \(1 failing in both, 1 fixed\) \|/);
});
