// One source of truth: the LongBench numbers in summary.md, longbench-summary.csv and report.html are exactly what
// `gembench score longbench` prints for the same predictions (dataset scores and LongBench-E buckets).
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { infoFor } from "../datasets/longbench/catalog.ts";
import { scoreSample } from "../datasets/longbench/metrics.ts";
import type { ScoreLongbenchResult } from "../datasets/longbench/score-cli.ts";
import type { GemRecord } from "../core/records.ts";
import { writeReports } from "../reports/index.ts";
import { dense, makeRecord } from "./helpers/records.ts";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "gembench.js");

// [prediction, answers, length]: F1 and ROUGE-L values with many decimals, LongBench-E lengths in all three buckets
const PREDICTIONS: Record<string, [string, string[], number][]> = {
  hotpotqa: [
    ["the Eiffel Tower in Paris", ["Eiffel Tower"], 9100],
    ["1998", ["1998", "in 1998"], 9200],
    ["John Smith", ["Smith"], 9300],
    ["no idea at all", ["yes"], 9400],
    ["Arthur's Magazine was started first", ["Arthur's Magazine"], 9500],
    ["Delhi", ["New Delhi"], 9600],
  ],
  gov_report: [
    ["The report reviews federal spending on roads and bridges in 2019.", ["The report reviews spending on highways, roads and bridges by federal agencies."], 9000],
    ["GAO found that the agency did not track costs.", ["GAO found the agency could not track its costs or results."], 9100],
    ["Summary of the findings.", ["The findings summarize what GAO recommends to Congress."], 9200],
  ],
  qasper_e: [
    ["BERT and a BiLSTM baseline", ["BERT", "BiLSTM"], 2100],
    ["unanswerable", ["unanswerable"], 3900],
    ["they use 10,000 tweets", ["10,000 tweets from Twitter"], 4100],
    ["accuracy and F1 on the test set", ["F1"], 7999],
    ["yes", ["no"], 8000],
    ["the English Wikipedia dump of 2018", ["English Wikipedia"], 15000],
    ["three annotators", ["three"], 30000],
  ],
};

function records(): GemRecord[] {
  return Object.entries(PREDICTIONS).flatMap(([dataset, lines]) =>
    lines.map(([pred, answers, length], i) => {
      const name = dataset.replace(/_e$/, "");
      const metric = infoFor(name).metric;
      const r = makeRecord({
        suite: "longbench",
        dataset,
        caseId: `${dataset}-${i}`,
        method: dense,
        caseMeta: { dataset: name, length },
        scores: { [metric]: scoreSample(name, metric, pred, answers) },
        outputText: pred,
        references: answers,
      });
      // LongBench-E is its own cell (the suite's variant option), as in a real run
      return dataset.endsWith("_e") ? { ...r, cellKey: `${r.cellKey}e`, recordKey: `${r.cellKey}e/${r.caseId}` } : r;
    }),
  );
}

test("summary.md, longbench-summary.csv and report.html give the dataset scores and buckets `gembench score longbench` gives", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lb-parity-"));
  const official: Record<string, ScoreLongbenchResult> = {};
  for (const [dataset, lines] of Object.entries(PREDICTIONS)) {
    const file = join(dir, `${dataset}.jsonl`);
    writeFileSync(file, lines.map(([pred, answers, length]) => JSON.stringify({ pred, answers, all_classes: null, length })).join("\n"));
    const r = spawnSync(process.execPath, [bin, "score", "longbench", "--dataset", dataset, "--predictions", file], { encoding: "utf8" });
    t.is(r.status, 0, r.stderr);
    official[dataset] = JSON.parse(r.stdout) as ScoreLongbenchResult;
  }
  // the fixture exercises rounding: no dataset score is a round number
  t.deepEqual(Object.values(official).map((o) => Number.isInteger(o.score! * 10)), [false, false, false]);

  await writeReports(dir, { records: records(), generatedAt: "2026-01-01T00:00:00.000Z" });
  const md = readFileSync(join(dir, "summary.md"), "utf8");
  const csv = readFileSync(join(dir, "longbench-summary.csv"), "utf8").trimEnd().split("\n").map((l) => l.split(","));
  const html = readFileSync(join(dir, "report.html"), "utf8");
  const fmt = (x: number | null | undefined): string => (x === null || x === undefined ? "–" : x.toFixed(2));
  for (const [dataset, o] of Object.entries(official)) {
    const metric = infoFor(dataset.replace(/_e$/, "")).metric;
    const column = dataset.endsWith("_e") ? 2 : 1; // the v1 cell's column, then the E cell's
    const mdRow = md.split("\n").find((l) => l.startsWith(`| ${dataset} (${metric}) |`))?.split("|").slice(1, -1).map((c) => c.trim());
    t.is(mdRow?.[column], fmt(o.score), `summary.md ${dataset}`);
    const csvRow = csv.find((r) => r[3] === "dataset" && r[4] === dataset);
    t.deepEqual(Number(csvRow?.[6]), o.score, `csv ${dataset}`);
    t.is(Number(csvRow?.[7]), o.n, `csv ${dataset} n`);
    const htmlRow = new RegExp(`<tr><th scope="row">${dataset}</th><td class="l">${metric}</td><td>${o.n}</td>((?:<td>[^<]*</td>)+)</tr>`).exec(html)?.[1];
    t.is([...(htmlRow ?? "").matchAll(/<td>([^<]*)<\/td>/g)][column - 1]?.[1], fmt(o.score), `report.html ${dataset}`);
    if (o.buckets) {
      t.deepEqual(csvRow?.slice(8).map((x) => (x === "" ? null : Number(x))), [o.buckets["0-4k"], o.buckets["4-8k"], o.buckets["8k+"]], `csv ${dataset} buckets`);
      t.true(md.includes(`| dense · ${dataset} | ${fmt(o.buckets["0-4k"])} | ${fmt(o.buckets["4-8k"])} | ${fmt(o.buckets["8k+"])} |`), `summary.md ${dataset} buckets`);
      t.true(html.includes(`<tr><th scope="row">${dataset}</th><td>${fmt(o.buckets["0-4k"])}</td><td>${fmt(o.buckets["4-8k"])}</td><td>${fmt(o.buckets["8k+"])}</td></tr>`), `report.html ${dataset} buckets`);
    }
  }
  t.truthy(official.qasper_e?.buckets);
});
