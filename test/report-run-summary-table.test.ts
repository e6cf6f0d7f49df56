// The table `gembench run` prints at the end: a cell spanning several datasets (LongBench: F1 next to ROUGE-L) shows
// the mean of its per-dataset means, labelled "avg of N datasets", never a mean over cases that mixes metrics.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { summaryTable } from "../reports/console.ts";
import type { SuiteRegistry } from "../core/suite.ts";
import { cellSummaries, type CellSummary } from "../reports/aggregate.ts";
import { loadRunRecords } from "../core/results.ts";
import type { Suite } from "../core/suite.ts";
import { runInProcess, toySuite, type ToyOptions } from "./helpers/harness-toy-suite.ts";

/** Five cases over three datasets with three metrics; the score depends on the case only (not on the output). */
const DATASET = ["a", "a", "b", "b", "c"] as const;
const SCORE: Record<string, number>[] = [{ f1: 1 }, { f1: 0 }, { rouge: 0.2 }, { rouge: 0.2 }, { acc: 1 }];
const mixedSuite: Suite<ToyOptions> = {
  ...toySuite,
  datasets: () => ["a", "b", "c"],
  buildCases: async (o, ctx) => (await toySuite.buildCases(o, ctx)).map((c, i) => ({ ...c, dataset: DATASET[i]! })),
  score: (c) => SCORE[Number(c.caseMeta.index)]!,
};
const suites: SuiteRegistry = { mixed: mixedSuite as Suite<unknown> };

test("a run's per-cell summary keeps one mean per dataset, and the table averages those", async (t) => {
  const out = mkdtempSync(join(tmpdir(), "gembench-summary-table-"));
  const summary = await runInProcess(
    { name: "mixed", models: ["synthetic:tiny-llama"], engines: [{ method: "dense" }], suites: [{ name: "mixed", options: { cases: 5 } }] },
    out,
    suites,
  );
  const perCell = cellSummaries(summary.cellList, loadRunRecords(out));
  t.deepEqual(perCell[0]?.scores, [
    { dataset: "a", metric: "f1", n: 2, mean: 0.5 },
    { dataset: "b", metric: "rouge", n: 2, mean: 0.2 },
    { dataset: "c", metric: "acc", n: 1, mean: 1 },
  ]);
  // (0.5 + 0.2 + 1) / 3 = 0.567; a mean over the five cases would say 0.480
  const row = summaryTable({ perCell }).split("\n")[2]!;
  t.regex(row, /^tiny-llama +mixed +dense +5 +5 +0 +avg of 3 datasets +0\.567 +\d+\.\d +\d+\.\d\d \(prefill\) +\d+\.\d\d$/);
});

test("the table: one dataset shows its metric, several are averaged and labelled, none is a dash", (t) => {
  const cell = (label: string, scores: CellSummary["scores"]): CellSummary => ({
    cellKey: label, model: "llama", suite: "longbench", label, cases: 4, completed: 4, errored: 0, unsupported: 0, scores, medianTotalMs: 1234.56, memory: null,
  });
  const s = {
    perCell: [
      cell("dense", [{ dataset: "hotpotqa", metric: "qa_f1_score", n: 4, mean: 0.4567 }]),
      cell("snapkv k=1024", [
        { dataset: "hotpotqa", metric: "qa_f1_score", n: 2, mean: 0.5 },
        { dataset: "gov_report", metric: "rouge_score", n: 2, mean: 0.25 },
      ]),
      cell("h2o k=4096", []),
    ],
  };
  t.is(
    summaryTable(s),
    [
      "model  suite      method         cases  done  errored  metric             mean   median total ms  peak total MiB (phase)  KV cache MiB (decode)",
      "-----  ---------  -------------  -----  ----  -------  -----------------  -----  ---------------  ----------------------  ---------------------",
      "llama  longbench  dense          4      4     0        qa_f1_score        0.457  1234.6           -                       -",
      "llama  longbench  snapkv k=1024  4      4     0        avg of 2 datasets  0.375  1234.6           -                       -",
      "llama  longbench  h2o k=4096     4      4     0        -                  -      1234.6           -                       -",
      "",
      "avg of N datasets: unweighted mean of each dataset's mean score (per-dataset scores in summary.md; LongBench there with its official rounding).",
    ].join("\n"),
  );
});
