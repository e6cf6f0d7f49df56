// LongBench v2's section of summary.md: per method the leaderboard's accuracies (result.py: overall, easy, hard,
// short, medium, long; ×100, one decimal) from the records' scores and caseMeta.
import { summarizeV2 } from "../datasets/longbench-v2/index.ts";
import type { GemRecord } from "../core/records.ts";
import { groupBy, hasManyModels, labelWithProtocol } from "./aggregate.ts";
import { fx } from "./format.ts";
import { mdTable } from "./markdown-table.ts";

export function longbenchV2Markdown(records: readonly GemRecord[]): string {
  const withModel = hasManyModels(records);
  const rows: string[][] = [];
  for (const [, rs] of groupBy(records, (r) => r.cellKey)) {
    const first = rs[0] as GemRecord;
    const done = rs.filter((r) => r.status === "completed" && r.scores.accuracy !== undefined);
    const s = summarizeV2(
      done.map((r) => ({
        judge: r.scores.accuracy === 1,
        pred: r.scores.extracted === 1 ? "extracted" : null,
        difficulty: String(r.caseMeta.difficulty),
        length: String(r.caseMeta.length),
      })),
    );
    const label = withModel ? `${first.model.name} · ${labelWithProtocol(first)}` : labelWithProtocol(first);
    const unextracted = done.filter((r) => r.scores.extracted !== 1).length;
    rows.push([label, ...[s.overall, s.easy, s.hard, s.short, s.medium, s.long].map((x) => fx(x, 1)), String(s.n), String(unextracted), String(rs.length - done.length)]);
  }
  return (
    "LongBench v2 accuracy × 100 as the official result.py (answer extracted from \"The correct answer is (X)\"; one decimal). " +
    "No answer = the official extraction found none (counted wrong); Failed = cases that did not complete (not scored).\n\n" +
    mdTable(["Method", "Overall", "Easy", "Hard", "Short", "Medium", "Long", "n", "No answer", "Failed"], rows)
  );
}
