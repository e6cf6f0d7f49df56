// RULER's section of summary.md: per cell a task × max_seq_length table of RULER task scores with the per-length
// average, then the methods side by side (the per-length averages).
import { summarizeRuler, type RulerSummary } from "../datasets/ruler/aggregate.ts";
import type { GemRecord } from "../core/records.ts";
import { groupBy, hasManyModels, labelWithProtocol } from "./aggregate.ts";
import { fx } from "./format.ts";
import { mdTable } from "./markdown-table.ts";

const cell = (x: number | undefined): string => fx(x, 2);

function avgLabel(s: RulerSummary): string {
  const counts = new Set(Object.values(s.average).map((a) => a.tasks));
  return counts.size === 1 ? `Average (${[...counts][0]} tasks)` : "Average (tasks per length vary)";
}

export function rulerMarkdown(records: readonly GemRecord[]): string {
  const withModel = hasManyModels(records);
  const cells = [...groupBy(records, (r) => r.cellKey)].map(([, rs]) => {
    const first = rs[0] as GemRecord;
    return { label: withModel ? `${first.model.name} · ${labelWithProtocol(first)}` : labelWithProtocol(first), summary: summarizeRuler(rs) };
  });
  const out: string[] = [
    "RULER scores: per task and max_seq_length round(100 · mean, 2) of string_match_all (niah, vt, cwe, fwe) or string_match_part (qa); Average = mean of the task scores at that length (RULER averages its 13 tasks; a task that did not run is left out, and the label says how many were averaged).",
  ];
  for (const c of cells) {
    const s = c.summary;
    const rows = s.tasks.map((t) => [t, ...s.lengths.map((l) => cell(s.scores[t]?.[l]))]);
    rows.push([`**${avgLabel(s)}**`, ...s.lengths.map((l) => cell(s.average[l]?.score))]);
    out.push("", `#### ${c.label}${s.failed ? ` (${s.failed} case(s) not completed, not scored)` : ""}`, "", mdTable(["Task", ...s.lengths.map(String)], rows));
  }
  if (cells.length > 1) {
    const lengths = [...new Set(cells.flatMap((c) => c.summary.lengths))].sort((a, b) => a - b);
    const rows = cells.map((c) => [c.label, ...lengths.map((l) => cell(c.summary.average[l]?.score)), String(Math.max(0, ...Object.values(c.summary.average).map((a) => a.tasks)))]);
    out.push("", "#### Methods compared (average over tasks per length)", "", mdTable(["Method", ...lengths.map(String), "Tasks"], rows));
  }
  return out.join("\n");
}
