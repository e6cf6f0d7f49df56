// RULER's aggregation: per task and max_seq_length the task score round(100 · mean of the per-sample scores, 2),
// and per length the mean of the task scores (RULER's tables average the 13 tasks; here the mean is over the tasks
// that ran, and says how many).
import type { Scalar } from "../../core/records.ts";
import { taskScore } from "./metrics.ts";
import { TASK_NAMES } from "./templates.ts";

export interface RulerRecord {
  dataset: string;
  status: string;
  scores: Record<string, number>;
  caseMeta: Record<string, Scalar>;
}

export interface RulerSummary {
  /** Tasks present, in RULER's order. */
  tasks: string[];
  lengths: number[];
  /** scores[task][length]: RULER's task score (0–100, 2 decimals); absent when no case completed. */
  scores: Record<string, Record<number, number>>;
  /** Completed cases per task and length. */
  n: Record<string, Record<number, number>>;
  /** Mean over the tasks scored at that length (2 decimals) and how many they were. */
  average: Record<number, { score: number; tasks: number }>;
  /** Cases that did not complete (not in the scores). */
  failed: number;
}

export function summarizeRuler(records: readonly RulerRecord[]): RulerSummary {
  const per = new Map<string, Map<number, number[]>>();
  let failed = 0;
  for (const r of records) {
    if (r.status !== "completed") {
      failed++;
      continue;
    }
    const len = r.caseMeta.maxSeqLength;
    const v = Object.values(r.scores)[0];
    if (typeof len !== "number" || v === undefined) continue;
    const byLen = per.get(r.dataset) ?? new Map<number, number[]>();
    byLen.set(len, [...(byLen.get(len) ?? []), v]);
    per.set(r.dataset, byLen);
  }
  const order = (t: string): number => {
    const i = (TASK_NAMES as readonly string[]).indexOf(t);
    return i < 0 ? TASK_NAMES.length : i;
  };
  const tasks = [...per.keys()].sort((a, b) => order(a) - order(b) || (a < b ? -1 : 1));
  const lengths = [...new Set([...per.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  const scores: RulerSummary["scores"] = {};
  const n: RulerSummary["n"] = {};
  for (const t of tasks) {
    scores[t] = {};
    n[t] = {};
    for (const [len, xs] of per.get(t) ?? []) {
      scores[t][len] = taskScore(xs);
      n[t][len] = xs.length;
    }
  }
  const average: RulerSummary["average"] = {};
  for (const len of lengths) {
    const xs = tasks.map((t) => scores[t]?.[len]).filter((x): x is number => x !== undefined);
    if (xs.length > 0) average[len] = { score: Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100, tasks: xs.length };
  }
  return { tasks, lengths, scores, n, average, failed };
}
