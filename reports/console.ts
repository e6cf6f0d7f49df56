// The tables the CLI prints on the console: the per-cell table of `gembench run`, the quick start's per-method table
// and the per-shard table of `gembench status`.
// Numbers come from aggregate.ts; this file only lays them out.
import type { GemRecord } from "../core/records.ts";
import { departureFromDense, meanOverDatasets, type CellSummary } from "./aggregate.ts";
import { fmem, memoryUnit } from "./format.ts";
import type { RunStatus, ShardState } from "../harness/shard-status.ts";

/**
 * The score columns of a cell: its metric and mean when it has one dataset; when it spans several (LongBench), the
 * unweighted mean of the per-dataset means, labelled "avg of N datasets" — a mean over cases would mix metrics.
 */
function cellScore(c: CellSummary): { metric: string; mean: string } {
  const g = c.scores;
  if (g.length === 0) return { metric: "-", mean: "-" };
  const mean = meanOverDatasets(g)!.toFixed(3);
  if (g.length === 1) return { metric: g[0]!.metric, mean };
  const datasets = new Set(g.map((x) => x.dataset)).size;
  return { metric: `avg of ${g.length} ${datasets === g.length ? "datasets" : datasets === 1 ? "metrics" : "dataset/metric pairs"}`, mean };
}

/** The per-cell table printed at the end of `gembench run`. */
export function summaryTable(s: { perCell: readonly CellSummary[] }): string {
  const unit = memoryUnit(Math.max(0, ...s.perCell.map((c) => c.memory?.peak.total ?? 0)));
  const header = ["model", "suite", "method", "cases", "done", "errored", "metric", "mean", "median total ms", `peak total ${unit.name} (phase)`, `KV cache ${unit.name} (decode)`];
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
      c.memory === null ? "-" : `${fmem(c.memory.peak.total, unit)} (${c.memory.peakPhase})`,
      c.memory === null ? "-" : fmem(c.memory.decodeKv, unit),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((x, i) => x.padEnd(widths[i]!)).join("  ").trimEnd();
  const lines = [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)];
  if (s.perCell.some((c) => c.memory !== null)) {
    lines.push("", "peak total: the largest total bytes over the cell's cases and the phase it fell in (filter = GemFilter's filter pass); KV cache (decode): the cache the method decodes from (per category and phase in summary.md).");
  }
  if (s.perCell.some((c) => c.scores.length > 1)) {
    lines.push("", "avg of N datasets: unweighted mean of each dataset's mean score (per-dataset scores in summary.md; LongBench there with its official rounding).");
  }
  return lines.join("\n");
}

/** The quick start's per-method table (aggregate.ts departureFromDense), indented for the console. */
export function quickstartTable(records: readonly GemRecord[]): string[] {
  const rows: string[][] = [["method", "score", "1st token = dense", "output = dense", "needle kept", "median ms/case"]];
  for (const m of departureFromDense(records)) {
    rows.push([
      m.label,
      m.score === null ? "-" : `${m.score.metric} ${m.score.mean.toFixed(3)}`,
      m.paired === 0 ? "-" : `${m.sameFirstToken}/${m.paired}`,
      m.paired === 0 ? "-" : `${m.sameOutput}/${m.paired}`,
      m.needleKept === null ? "-" : `${(100 * m.needleKept).toFixed(0)}%`,
      m.medianTotalMs === null ? "-" : m.medianTotalMs.toFixed(0),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join("   ")}`);
}

/** `gembench status`: one row per shard, then what to do next. */
export function statusTable(s: RunStatus): string {
  const lines: string[] = [];
  if (s.shards === null) {
    lines.push(`${s.dir}: not a sharded run (no shard record files, no Slurm submission).`);
  } else {
    const header = ["shard", "state", "completed", "errored", "other", "cases", "host", "slurm job", "slurm state"];
    const rows = [...s.perShard, ...s.otherShards].map((x) => [
      `${x.shard.index}/${x.shard.count}`,
      x.state,
      String(x.completed),
      String(x.errored),
      String(x.other),
      x.cases === null ? "?" : String(x.cases),
      x.host ?? "-",
      x.job ?? "-",
      x.slurmState ?? "-",
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const fmt = (r: string[]): string => r.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
    lines.push(fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.slice(0, s.perShard.length).map(fmt));
    if (s.otherShards.length > 0) {
      lines.push(`shards of another count (their finished cases are part of the run; resume skips them):`, ...rows.slice(s.perShard.length).map(fmt));
    }
    const by = (st: ShardState): number => s.perShard.filter((x) => x.state === st).length;
    lines.push("", `${by("done")} of ${s.shards} shards done, ${by("running")} running, ${by("pending")} pending, ${s.shards - by("done") - by("running") - by("pending")} to resubmit.`);
    if (by("done") === s.shards) lines.push(`All shards done: \`gembench report ${s.dir}\` writes the merged reports (the Slurm report job does it too).`);
    else if (by("running") + by("pending") < s.shards - by("done")) {
      lines.push(`Resubmit the others (finished cases are skipped): \`gembench slurm <config> --out ${s.dir}\`.`);
    }
  }
  if (s.unsharded !== null) lines.push(`records.jsonl (unsharded): ${s.unsharded.completed} completed, ${s.unsharded.errored} errored, ${s.unsharded.other} other.`);
  return lines.join("\n");
}
