// Prompt protocols in the reports (engines/README.md "Prompt protocols"): per round of a context (rounds on one axis,
// one line per method configuration) the mean headline score, the round's median prefill and total time and the KV
// bytes it holds; per context the totals over its rounds; and each method with-question beside context-only.
// Records without `turn` are with-question, one question, round 1.
import type { GemRecord } from "../core/records.ts";
import { median, mean } from "../core/stats.ts";
import { promptLabel } from "../harness/sweep.ts";
import { groupBy, headline, uniq, variantOf } from "./aggregate.ts";
import { fms, fx } from "./format.ts";
import { mdTable } from "./markdown-table.ts";

export interface RoundRow {
  variant: string;
  round: number;
  /** Completed records of this round. */
  n: number;
  /** Mean headline score in [0, 1]; null when none is scored. */
  score: number | null;
  metric: string | null;
  prefillMs: number | null;
  totalMs: number | null;
  /** Median KV bytes at the end of the round (context-only), and GemFilter's kept layers 0..r. */
  kvBytes: number | null;
  filterKvBytes: number | null;
}

const med = (xs: number[]): number | null => (xs.length === 0 ? null : median(xs));
const roundOf = (r: GemRecord): number => r.turn?.round ?? 1;

/** The records of multi-question or context-only cells (the ones with rounds to show). */
export const withTurns = (records: readonly GemRecord[]): GemRecord[] => records.filter((r) => r.turn !== undefined);

/** One row per (variant, round), variants in record order, rounds ascending. */
export function roundRows(records: readonly GemRecord[], withModel: boolean): RoundRow[] {
  const rows: RoundRow[] = [];
  for (const [variant, rs] of groupBy(records, (r) => variantOf(r, { withModel }))) {
    for (const round of uniq(rs.map(roundOf)).sort((a, b) => a - b)) {
      const done = rs.filter((r) => roundOf(r) === round && r.status === "completed");
      const scored = done.flatMap((r) => (headline(r) === null ? [] : [headline(r)!]));
      rows.push({
        variant,
        round,
        n: done.length,
        score: scored.length === 0 ? null : mean(scored.map((s) => s.value)),
        metric: scored[0]?.metric ?? null,
        prefillMs: med(done.flatMap((r) => (r.timings ? [r.timings.prefillMs] : []))),
        totalMs: med(done.flatMap((r) => (r.timings ? [r.timings.totalMs] : []))),
        kvBytes: med(done.flatMap((r) => (r.turn?.memory ? [r.turn.memory.kv] : []))),
        filterKvBytes: med(done.flatMap((r) => (r.turn?.memory ? [r.turn.memory.filterKv] : []))),
      });
    }
  }
  return rows;
}

/** Per variant: contexts, rounds per context, the median over contexts of the summed total time (each round's
 *  total; round 1 includes the context's compression), mean score over all rounds. */
export function contextTotals(records: readonly GemRecord[], withModel: boolean): { variant: string; contexts: number; rounds: number; totalMs: number | null; score: number | null }[] {
  const out = [];
  for (const [variant, rs] of groupBy(records, (r) => variantOf(r, { withModel }))) {
    const byContext = groupBy(rs, (r) => r.turn?.contextId ?? r.caseId);
    const complete = [...byContext.values()].filter((xs) => xs.every((r) => r.status === "completed" && r.timings));
    const scores = rs.flatMap((r) => (r.status === "completed" && headline(r) ? [headline(r)!.value] : []));
    out.push({
      variant,
      contexts: byContext.size,
      rounds: Math.max(...rs.map((r) => r.turn?.rounds ?? 1)),
      totalMs: med(complete.map((xs) => xs.reduce((s, r) => s + r.timings!.totalMs, 0))),
      score: scores.length === 0 ? null : mean(scores),
    });
  }
  return out;
}

/** The variant with the protocol taken out of its label (the row of the side-by-side table). */
function methodOf(r: GemRecord, withModel: boolean): string {
  const v = variantOf(r, { withModel });
  return r.turn === undefined ? v : v.replace(promptLabel({ compression: r.turn.compression, questions: r.turn.questions }), "");
}

/** Per method × questions mode: the mean headline score and median total time with-question and context-only. */
export function compressionPairs(records: readonly GemRecord[], withModel: boolean): { method: string; questions: string; withQuestion: number | null; contextOnly: number | null; wqMs: number | null; coMs: number | null }[] {
  const out = [];
  const done = records.filter((r) => r.status === "completed");
  for (const [key, rs] of groupBy(done, (r) => JSON.stringify([methodOf(r, withModel), r.turn?.questions ?? "single"]))) {
    const [method, questions] = JSON.parse(key) as [string, string];
    const side = (c: string) => rs.filter((r) => (r.turn?.compression ?? "with-question") === c);
    const score = (xs: GemRecord[]) => {
      const v = xs.flatMap((r) => (headline(r) ? [headline(r)!.value] : []));
      return v.length === 0 ? null : mean(v);
    };
    const wq = side("with-question");
    const co = side("context-only");
    out.push({ method, questions, withQuestion: score(wq), contextOnly: score(co), wqMs: med(wq.flatMap((r) => (r.timings ? [r.timings.totalMs] : []))), coMs: med(co.flatMap((r) => (r.timings ? [r.timings.totalMs] : []))) });
  }
  return out;
}

const pct = (v: number | null): string => fx(v === null ? null : 100 * v, 1);
const kib = (v: number | null): string => (v === null ? "–" : String(Math.round(v / 1024)));

/** The markdown of the prompt-protocol tables; null when no record has rounds. */
export function roundsMarkdown(records: readonly GemRecord[], withModel: boolean): string | null {
  const turned = withTurns(records);
  if (turned.length === 0) return null;
  const rows = roundRows(turned, withModel);
  const metric = rows.find((r) => r.metric !== null)?.metric ?? "score";
  const perRound = mdTable(
    ["Method", "Round", "n", `${metric} × 100`, "Prefill ms", "Total ms", "KV KiB", "Filter-layer KV KiB"],
    rows.map((r) => [r.variant, String(r.round), String(r.n), pct(r.score), fms(r.prefillMs), fms(r.totalMs), kib(r.kvBytes), kib(r.filterKvBytes)]),
  );
  const totals = mdTable(
    ["Method", "Contexts", "Rounds", `${metric} × 100 (all rounds)`, "Total ms per context (median)"],
    contextTotals(turned, withModel).map((r) => [r.variant, String(r.contexts), String(r.rounds), pct(r.score), fms(r.totalMs)]),
  );
  // Side by side over every record of the suite: the default cells are with-question, one question.
  const pairs = compressionPairs(records, withModel).filter((p) => p.withQuestion !== null || p.contextOnly !== null);
  const side = mdTable(
    ["Method", "Questions", `With-question × 100`, "Context-only × 100", "With-question total ms", "Context-only total ms"],
    pairs.map((p) => [p.method, p.questions, pct(p.withQuestion), pct(p.contextOnly), fms(p.wqMs), fms(p.coMs)]),
  );
  return [
    "Per round of a context (medians; prefill and total of round 1 include the context's compression; KV = the cache held at the end of the round, filter-layer KV = GemFilter's kept layers 0..r):",
    "",
    perRound,
    "",
    "Per context (total = the sum of its rounds' totals):",
    "",
    totals,
    "",
    "With-question vs context-only (mean over every question; median total ms per question):",
    "",
    side,
  ].join("\n");
}
