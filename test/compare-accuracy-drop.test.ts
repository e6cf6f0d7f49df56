// compare: a metric that drops by more than --max-accuracy-drop points (score × 100) regresses its cell; a drop of
// exactly the threshold does not (float noise such as 0.5 − 0.49 must not decide the verdict).
import test from "ava";
import { compareRuns, DEFAULT_THRESHOLDS } from "../reports/compare.ts";
import { gemfilter, niahRecord } from "./helpers/records.ts";

const cell = (scores: number[]) =>
  scores.map((score, i) => niahRecord({ method: gemfilter(13, 1024), contextLength: 4000, depthPercent: i * 50, score }));

test("a drop of exactly 1 point passes, a drop of 2 points regresses with the metric named", (t) => {
  const base = cell([0.5, 0.5]);
  const exact = compareRuns(base, cell([0.49, 0.49]), DEFAULT_THRESHOLDS);
  t.false(exact.regressed);
  t.deepEqual(exact.cells[0]!.regressions, []);
  t.is(exact.cells[0]!.metrics[0]!.metric, "niah");
  t.true(Math.abs(exact.cells[0]!.metrics[0]!.deltaPoints - -1) < 1e-9);

  const worse = compareRuns(base, cell([0.48, 0.48]), DEFAULT_THRESHOLDS);
  t.true(worse.regressed);
  t.deepEqual(worse.cells[0]!.regressions, ["niah −2.00 points (max drop 1)"]);
});

test("an improvement never regresses, and a looser threshold lets a 2-point drop pass", (t) => {
  const base = cell([0.5, 0.5]);
  t.false(compareRuns(base, cell([0.9, 0.9])).regressed);
  t.false(compareRuns(base, cell([0.48, 0.48]), { ...DEFAULT_THRESHOLDS, maxAccuracyDrop: 2 }).regressed);
  t.false(compareRuns(base, cell([0, 0]), { ...DEFAULT_THRESHOLDS, maxAccuracyDrop: null }).regressed);
});

test("scores are compared over the cases completed in both runs only", (t) => {
  const base = cell([1, 1, 1]);
  // the candidate ran only the first two cases: the third is listed as missing, not counted as a drop
  const cand = cell([1, 1]);
  const r = compareRuns(base, cand);
  t.false(r.regressed);
  t.is(r.cells[0]!.compared, 2);
  t.deepEqual(r.cells[0]!.missingCases, ["len4000-depth100"]);
});
