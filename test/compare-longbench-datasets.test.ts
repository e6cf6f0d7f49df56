// compare: a cell that spans several datasets (LongBench) is gated per dataset and on the macro average of the
// datasets' headline metrics, so a drop on one dataset is not averaged away.
import test from "ava";
import { compareRuns } from "../reports/compare.ts";
import { gemfilter, longbenchRecord } from "./helpers/records.ts";

const run = (hotpot: number) => [
  longbenchRecord({ method: gemfilter(13, 1024), dataset: "narrativeqa", category: "Single-Document QA", index: 0, score: 0.4 }),
  longbenchRecord({ method: gemfilter(13, 1024), dataset: "hotpotqa", category: "Multi-Document QA", index: 0, score: hotpot }),
  longbenchRecord({ method: gemfilter(13, 1024), dataset: "gov_report", category: "Summarization", index: 0, score: 0.3, metric: "rouge" }),
];

test("metrics are named per dataset, led by the average of the datasets' headlines", (t) => {
  const r = compareRuns(run(0.5), run(0.47));
  const c = r.cells[0]!;
  t.deepEqual(
    c.metrics.map((m) => [m.metric, Number((100 * m.baseline).toFixed(4)), Number((100 * m.candidate).toFixed(4))]),
    [
      ["average of 3 datasets", 40, 39],
      ["narrativeqa qa_f1", 40, 40],
      ["hotpotqa qa_f1", 50, 47],
      ["gov_report rouge", 30, 30],
    ],
  );
  // the average dropped exactly 1 point (passes); hotpotqa dropped 3 (regresses)
  t.deepEqual(c.regressions, ["hotpotqa qa_f1 −3.00 points (max drop 1)"]);
});
