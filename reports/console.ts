// The tables the CLI prints on the console: the per-cell table of `gembench run` and the quick start's per-method table.
import type { GemRecord } from "../core/records.ts";
import { keptForViewer } from "../core/selection.ts";
import type { CellSummary, RunSummary } from "../harness/run.ts";

/**
 * The score columns of a cell: its metric and mean when it has one dataset; when it spans several (LongBench), the
 * unweighted mean of the per-dataset means, labelled "avg of N datasets" — a mean over cases would mix metrics.
 */
function cellScore(c: CellSummary): { metric: string; mean: string } {
  const g = c.scores;
  if (g.length === 0) return { metric: "-", mean: "-" };
  const mean = (g.reduce((a, x) => a + x.mean, 0) / g.length).toFixed(3);
  if (g.length === 1) return { metric: g[0]!.metric, mean };
  const datasets = new Set(g.map((x) => x.dataset)).size;
  return { metric: `avg of ${g.length} ${datasets === g.length ? "datasets" : datasets === 1 ? "metrics" : "dataset/metric pairs"}`, mean };
}

/** The per-cell table printed at the end of `gembench run`. */
export function summaryTable(s: RunSummary): string {
  const header = ["model", "suite", "method", "cases", "done", "errored", "metric", "mean", "median total ms"];
  const rows = s.perCell.map((c) => {
    const score = cellScore(c);
    return [
      c.model,
      c.suite,
      c.label,
      String(c.cases),
      String(c.completed),
      String(c.errored),
      score.metric,
      score.mean,
      c.medianTotalMs === null ? "-" : c.medianTotalMs.toFixed(1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((x, i) => x.padEnd(widths[i]!)).join("  ").trimEnd();
  const lines = [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)];
  if (s.perCell.some((c) => c.scores.length > 1)) {
    lines.push("", "avg of N datasets: unweighted mean of each dataset's mean score (per-dataset scores in summary.md; LongBench there with its official rounding).");
  }
  return lines.join("\n");
}

/**
 * The quick start's per-method table from its records: headline score, agreement with dense on the same case (same
 * first token; same whole output), the needle positions covered by the kept tokens (per-head methods: positions kept by at least half
 * of the layer × head sets, as the viewer shows them), and the median time per case.
 */
export function quickstartTable(records: readonly GemRecord[]): string[] {
  const done = records.filter((r) => r.status === "completed");
  const denseOut = new Map(done.filter((r) => r.method.name === "dense").map((r) => [`${r.model.id}/${r.dataset}/${r.caseId}`, r.output?.ids ?? []]));
  const rows: string[][] = [["method", "score", "1st token = dense", "output = dense", "needle kept", "median ms/case"]];
  const byLabel = new Map<string, GemRecord[]>();
  for (const r of done) byLabel.set(r.method.label, [...(byLabel.get(r.method.label) ?? []), r]);
  for (const [label, rs] of byLabel) {
    const metric = Object.keys(rs[0]?.scores ?? {})[0];
    const score = metric === undefined ? "-" : `${metric} ${(rs.reduce((s, r) => s + (r.scores[metric] ?? 0), 0) / rs.length).toFixed(3)}`;
    let same = 0;
    let sameFirst = 0;
    let paired = 0;
    for (const r of rs) {
      const d = denseOut.get(`${r.model.id}/${r.dataset}/${r.caseId}`);
      if (d === undefined || r.method.name === "dense") continue;
      const ids = r.output?.ids ?? [];
      paired++;
      if (ids[0] !== undefined && ids[0] === d[0]) sameFirst++;
      if (JSON.stringify(d) === JSON.stringify(ids)) same++;
    }
    const kept: number[] = [];
    for (const r of rs) {
      const start = r.caseMeta.needleStart, end = r.caseMeta.needleEnd;
      if (r.selection === null || typeof start !== "number" || typeof end !== "number" || end <= start) continue;
      const k = new Set(keptForViewer(r.selection, r.inputLength));
      let n = 0;
      for (let i = start; i < end; i++) if (k.has(i)) n++;
      kept.push(n / (end - start));
    }
    const totals = rs.flatMap((r) => (r.timings === null ? [] : [r.timings.totalMs])).sort((a, b) => a - b);
    rows.push([
      label,
      score,
      paired === 0 ? "-" : `${sameFirst}/${paired}`,
      paired === 0 ? "-" : `${same}/${paired}`,
      kept.length === 0 ? "-" : `${((100 * kept.reduce((a, b) => a + b, 0)) / kept.length).toFixed(0)}%`,
      totals.length === 0 ? "-" : (totals[Math.floor((totals.length - 1) / 2)] ?? 0).toFixed(0),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join("   ")}`);
}
