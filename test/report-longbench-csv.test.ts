// longbench-summary.csv: written next to summary.csv when the run has LongBench records; the official aggregation
// (reports/aggregate.ts longbenchRows), one row per cell × dataset, category and Average, LongBench-E buckets.
import test from "ava";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { csvReporter } from "../reports/csv.ts";
import { dense, niahRecord } from "./helpers/records.ts";
import { longbenchRun } from "./helpers/longbench-report.ts";

const ctx = { config: null, generatedAt: "2026-01-01T00:00:00.000Z" };
const V1 = "llama-3.1-8b|dense|longbench|";
const G = "llama-3.1-8b|gemfilter filterLayer=13 k=1024|longbench|filterLayer=13,k=1024";
const E = "llama-3.1-8b|dense|longbench|variant=e";
const GM = "gemfilter filterLayer=13 k=1024";

test("the csv reporter writes longbench-summary.csv with the official scores", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lb-csv-"));
  const paths = await csvReporter.write(dir, longbenchRun(), ctx);
  t.deepEqual(paths, [join(dir, "summary.csv"), join(dir, "longbench-summary.csv")]);
  const lines = readFileSync(join(dir, "longbench-summary.csv"), "utf8").trimEnd().split("\n");
  t.deepEqual(lines, [
    "model,method,cellKey,row,name,category,score,n,0-4k,4-8k,8k+",
    `llama-3.1-8b,dense,${V1},dataset,hotpotqa,multi-doc QA,10,1,,,`,
    `llama-3.1-8b,dense,${V1},dataset,musique,multi-doc QA,10,1,,,`,
    `llama-3.1-8b,dense,${V1},dataset,2wikimqa,multi-doc QA,10.01,1,,,`,
    `llama-3.1-8b,dense,${V1},dataset,gov_report,summarization,25,2,,,`,
    // a mean of the raw scores (0.10004, 0.10004, 0.10008) would be 10.0053
    `llama-3.1-8b,dense,${V1},category,multi-doc QA,multi-doc QA,10,,,,`,
    `llama-3.1-8b,dense,${V1},category,summarization,summarization,25,,,,`,
    `llama-3.1-8b,dense,${V1},average,Average,,13.75,,,,`,
    `llama-3.1-8b,${GM},"${G}",dataset,hotpotqa,multi-doc QA,10.01,1,,,`,
    `llama-3.1-8b,${GM},"${G}",dataset,musique,multi-doc QA,10,1,,,`,
    `llama-3.1-8b,${GM},"${G}",dataset,2wikimqa,multi-doc QA,10.01,1,,,`,
    `llama-3.1-8b,${GM},"${G}",dataset,gov_report,summarization,27.5,2,,,`,
    `llama-3.1-8b,${GM},"${G}",category,multi-doc QA,multi-doc QA,10.01,,,,`,
    `llama-3.1-8b,${GM},"${G}",category,summarization,summarization,27.5,,,,`,
    `llama-3.1-8b,${GM},"${G}",average,Average,,14.38,,,,`,
    // LongBench-E: 18.45 over the file; below 4k the mean 2.675 rounds to 2.68 (numpy); no case in 4-8k
    `llama-3.1-8b,dense,${E},dataset,qasper_e,single-doc QA,18.45,3,2.68,,50`,
    `llama-3.1-8b,dense,${E},dataset,hotpotqa_e,multi-doc QA,25,1,,25,`,
    `llama-3.1-8b,dense,${E},category,single-doc QA,single-doc QA,18.45,,,,`,
    `llama-3.1-8b,dense,${E},category,multi-doc QA,multi-doc QA,25,,,,`,
    `llama-3.1-8b,dense,${E},average,Average,,21.73,,,,`,
  ]);
});

test("a run without LongBench records gets summary.csv only", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lb-csv-"));
  const paths = await csvReporter.write(dir, [niahRecord({ method: dense, contextLength: 4000, depthPercent: 0, score: 1 })], ctx);
  t.deepEqual(paths, [join(dir, "summary.csv")]);
  t.false(existsSync(join(dir, "longbench-summary.csv")));
});
