// summary.csv: one row per record; union columns for sweep axes, case metadata and scores; raw numbers with units
// in the column names; empty cells for what a record does not have (an errored case has no timings).
import test from "ava";
import { csvRows, csvText } from "../reports/csv.ts";
import { benchRecord, gemfilter, longbenchRecord, niahRecord } from "./helpers/records.ts";

const a = niahRecord({ method: gemfilter(13, 1024), contextLength: 4000, depthPercent: 50, score: 0.75 });
const b = longbenchRecord({ method: gemfilter(13, 1024), dataset: "hotpotqa", category: "Multi-Document QA", index: 0, score: 0, status: "errored" });
const rows = csvRows([a, b]);

test("header: fixed columns, then sweep.*, meta.* and score.* unions in first-seen order", (t) => {
  t.deepEqual(rows[0], [
    "runId", "suite", "dataset", "caseId", "model", "modelHash", "engine", "method", "methodLabel", "params",
    "sweep.filterLayer", "sweep.k",
    "meta.contextLength", "meta.depthPercent", "meta.dataset", "meta.category", "meta.language", "meta.length",
    "inputLength", "keptLength", "status", "errorCode", "score.niah",
    "repeats", "filterMs", "prefillMs", "prefillMsMin", "prefillMsMax", "decodeMs", "decodeTokens", "decodeMsPerToken", "ttftMs", "totalMs",
    "filterTflops", "prefillTflops", "decodeTflops", "prefillGBps", "decodeGBps",
    "peakTotalBytes", "peakWeightsBytes", "peakKvBytes", "peakActivationsBytes", "peakWorkspaceBytes", "peakPhase", "decodeKvBytes",
    "weightsMaxOverPhasesBytes", "weightsMaxOverPhasesPhase", "kvMaxOverPhasesBytes", "kvMaxOverPhasesPhase",
    "activationsMaxOverPhasesBytes", "activationsMaxOverPhasesPhase", "workspaceMaxOverPhasesBytes", "workspaceMaxOverPhasesPhase", "cellKey",
  ]);
});

test("a completed NIAH record: medians, the prefill range over repeats, decode per token, peak bytes", (t) => {
  const r = Object.fromEntries(rows[0]!.map((h, i) => [h, rows[1]![i]]));
  t.like(r, {
    caseId: "len4000-depth50",
    params: "filterLayer=13 k=1024",
    "sweep.k": 1024,
    "meta.depthPercent": 50,
    "meta.category": null,
    status: "completed",
    errorCode: null,
    "score.niah": 0.75,
    repeats: 3,
    prefillMs: 105,
    prefillMsMin: 100,
    prefillMsMax: 110,
    decodeMsPerToken: 2,
    peakTotalBytes: 16.5 * 1024 ** 3,
    peakKvBytes: 1024 ** 3,
    peakPhase: "prefill",
    decodeKvBytes: 1024 ** 3,
    kvMaxOverPhasesBytes: 1024 ** 3,
    kvMaxOverPhasesPhase: "prefill",
    workspaceMaxOverPhasesBytes: 0,
    workspaceMaxOverPhasesPhase: null,
  });
});

test("an errored record: its error code, no score and no timings", (t) => {
  const r = Object.fromEntries(rows[0]!.map((h, i) => [h, rows[2]![i]]));
  t.like(r, { status: "errored", errorCode: "RUNNER_OOM", "score.niah": null, repeats: null, prefillMs: null, peakTotalBytes: null, "meta.category": "Multi-Document QA" });
});

test("the text form quotes fields with commas and leaves missing values empty", (t) => {
  const lines = csvText([b]).split("\n");
  t.true(lines[1]!.startsWith("run-fixture,longbench,hotpotqa,hotpotqa-0,"));
  // errorCode, then 30 empty timing/rate/memory fields (no score columns: an errored record has no scores), then cellKey
  t.true(lines[1]!.endsWith(`,errored,RUNNER_OOM${",".repeat(31)}"${b.cellKey}"`));
});

test("achieved rates: raw numbers, empty where a record has none", (t) => {
  const bench = benchRecord({ method: gemfilter(13, 1024), contextLength: 8192, prefillMs: [30], rates: { filterTflops: 395.5, decodeGBps: 2400.25 } });
  const [header, row] = csvRows([bench]);
  const r = Object.fromEntries(header!.map((h, i) => [h, row![i]]));
  t.like(r, { filterTflops: 395.5, prefillTflops: null, decodeTflops: null, prefillGBps: null, decodeGBps: 2400.25 });
});
