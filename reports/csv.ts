// summary.csv: one row per record, flat columns. Numbers are written raw (full precision, units in the column name:
// Ms = milliseconds, Bytes = bytes (peak*: the split at the moment of the peak total, peakPhase its phase; decodeKvBytes:
// the KV cache decoded from; *MaxOverPhases: per category the largest of the per-phase splits, with its phase), Tflops = TFLOP/s, GBps = GB/s); union columns for sweep axes (sweep.*), case metadata (meta.*) and scores (score.*).
// A run with LongBench records also gets longbench-summary.csv: the official aggregation (aggregate.ts
// longbenchRows), one row per cell × dataset, category and Average, with the LongBench-E length buckets.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { longbenchRows } from "./aggregate.ts";
import { RATES } from "./rates.ts";
import type { GemRecord, RecordTurn, Scalar } from "../core/records.ts";
import { decodeMsPerTokenSamples, engineOf, MEMORY_CATEGORIES, memorySummary, samplesOf, uniq } from "./aggregate.ts";
import { paramsText } from "./format.ts";
import { spreadOf } from "../core/stats.ts";
import type { Reporter } from "./reporter.ts";

type Cell = string | number | boolean | null;

const TURN_COLUMNS: readonly [string, (t: RecordTurn) => Cell][] = [
  ["turn.compression", (t) => t.compression],
  ["turn.questions", (t) => t.questions],
  ["turn.contextId", (t) => t.contextId],
  ["turn.round", (t) => t.round],
  ["turn.rounds", (t) => t.rounds],
  ["turn.questionId", (t) => t.questionId],
  ["turn.cacheLength", (t) => t.cacheLength],
  ["turn.kvBytes", (t) => t.memory?.kv ?? null],
  ["turn.filterKvBytes", (t) => t.memory?.filterKv ?? null],
  ["turn.contextFilterMs", (t) => t.context?.filterMs ?? null],
  ["turn.contextPrefillMs", (t) => t.context?.prefillMs ?? null],
];

function unionKeys(records: readonly GemRecord[], pick: (r: GemRecord) => Record<string, unknown>): string[] {
  return uniq(records.flatMap((r) => Object.keys(pick(r))));
}

const scalar = (v: Scalar | undefined): Cell => (v === undefined ? null : v);

/** The rows (header first) of summary.csv; exported for tests and other writers. */
export function csvRows(records: readonly GemRecord[]): Cell[][] {
  const sweepKeys = unionKeys(records, (r) => r.sweep);
  const metaKeys = unionKeys(records, (r) => r.caseMeta);
  const scoreKeys = unionKeys(records, (r) => r.scores);
  // Prompt protocols (records with `turn`): which question of which context, what the method saw, the round's KV.
  const turnCols = records.some((r) => r.turn !== undefined) ? TURN_COLUMNS : [];
  const header = [
    "runId",
    "suite",
    "dataset",
    "caseId",
    "model",
    "modelHash",
    "engine",
    "method",
    "methodLabel",
    "params",
    ...sweepKeys.map((k) => `sweep.${k}`),
    ...metaKeys.map((k) => `meta.${k}`),
    "inputLength",
    "keptLength",
    "status",
    "errorCode",
    ...scoreKeys.map((k) => `score.${k}`),
    "repeats",
    "filterMs",
    "prefillMs",
    "prefillMsMin",
    "prefillMsMax",
    "decodeMs",
    "decodeTokens",
    "decodeMsPerToken",
    "ttftMs",
    "totalMs",
    ...RATES.map((r) => r.key),
    "peakTotalBytes",
    "peakWeightsBytes",
    "peakKvBytes",
    "peakActivationsBytes",
    "peakWorkspaceBytes",
    "peakPhase",
    "decodeKvBytes",
    ...MEMORY_CATEGORIES.flatMap((c) => [`${c}MaxOverPhasesBytes`, `${c}MaxOverPhasesPhase`]),
    ...turnCols.map(([k]) => k),
    "cellKey",
  ];
  const rows: Cell[][] = [header];
  for (const r of records) {
    const t = r.timings;
    const pre = spreadOf(samplesOf([r], "prefillMs"));
    const dpt = spreadOf(decodeMsPerTokenSamples([r]));
    const p = r.memory?.peak ?? null;
    const m = memorySummary([r]);
    rows.push([
      r.runId,
      r.suite,
      r.dataset,
      r.caseId,
      r.model.name,
      r.model.hash,
      engineOf(r),
      r.method.name,
      r.method.label,
      paramsText(r.method.params),
      ...sweepKeys.map((k) => scalar(r.sweep[k])),
      ...metaKeys.map((k) => scalar(r.caseMeta[k])),
      r.inputLength,
      r.keptLength,
      r.status,
      r.error?.code ?? null,
      ...scoreKeys.map((k) => r.scores[k] ?? null),
      t ? (t.samples?.prefillMs.length ?? 1) : null,
      t?.filterMs ?? null,
      t?.prefillMs ?? null,
      pre?.min ?? null,
      pre?.max ?? null,
      t?.decodeMs ?? null,
      t?.decodeTokens ?? null,
      t && t.decodeTokens > 0 ? t.decodeMs / t.decodeTokens : (dpt?.median ?? null),
      t?.ttftMs ?? null,
      t?.totalMs ?? null,
      ...RATES.map((rate) => t?.rates?.[rate.key] ?? null),
      p?.total ?? null,
      p?.weights ?? null,
      p?.kv ?? null,
      p?.activations ?? null,
      p?.workspace ?? null,
      m?.peakPhase ?? null,
      m?.decodeKv ?? null,
      ...MEMORY_CATEGORIES.flatMap((c) => (m ? [m.maxOverPhases[c].bytes, m.maxOverPhases[c].phase] : [null, null])),
      ...turnCols.map(([, f]) => (r.turn === undefined ? null : f(r.turn))),
      r.cellKey,
    ]);
  }
  return rows;
}

export function csvText(records: readonly GemRecord[]): string {
  return stringify(csvRows(records), { cast: { boolean: (b) => (b ? "true" : "false") } });
}

type LongbenchRow = ReturnType<typeof longbenchRows>[number];
const LONGBENCH_COLUMNS: readonly (keyof LongbenchRow)[] = ["model", "method", "cellKey", "row", "name", "category", "score", "n", "0-4k", "4-8k", "8k+"];

/** The rows (header first) of longbench-summary.csv: official LongBench scores per cell; null when no LongBench cell. */
export function longbenchCsvRows(records: readonly GemRecord[]): Cell[][] | null {
  const rows = longbenchRows(records);
  if (rows.length === 0) return null;
  return [[...LONGBENCH_COLUMNS], ...rows.map((r) => LONGBENCH_COLUMNS.map((k) => r[k]))];
}

export const csvReporter: Reporter = {
  name: "csv",
  async write(runDir, records) {
    const path = join(runDir, "summary.csv");
    writeFileSync(path, csvText(records));
    const lb = longbenchCsvRows(records);
    if (lb === null) return [path];
    const lbPath = join(runDir, "longbench-summary.csv");
    writeFileSync(lbPath, stringify(lb));
    return [path, lbPath];
  },
};
