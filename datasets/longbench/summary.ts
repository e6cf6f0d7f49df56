// LongBench summaries from gembench records, per cell (model × method × suite options): official dataset scores
// (eval.py's rounding), LongBench-E buckets, per-category and overall averages, the protocol each cell ran under, and
// a markdown rendering for summary.md. The reports (reports/) call these for records of suite "longbench".
import type { GemRecord } from "../../core/records.ts";
import { fx, mdTable } from "../../reports/data.ts";
import { baseName, summarizeRecords } from "./aggregate.ts";
import { CATEGORIES, DATASETS, LENGTH_BUCKETS, infoFor } from "./catalog.ts";

type Summary = ReturnType<typeof summarizeRecords>;

export interface CellSummary {
  cellKey: string;
  model: string;
  method: string;
  methodName: string;
  /** Protocol facts shared by the cell's records (a value that differs between records is listed joined by " / "). */
  protocol: {
    promptSource: string;
    chatTemplateMode: string;
    scoring: string;
    truncationBudget: string;
    h2oInputCap: string | null;
  };
  summary: Summary;
  /** Records that did not complete (errored, unsupported, skipped): not in the scores. */
  failed: number;
}

export type SummaryRecord = Pick<GemRecord, "cellKey" | "suite" | "dataset" | "status" | "scores" | "caseMeta" | "protocol" | "model" | "method">;

function joined(records: readonly SummaryRecord[], key: string): string {
  const vals = [...new Set(records.map((r) => String(r.protocol[key] ?? "–")))];
  return vals.join(" / ");
}

/** One summary per cell of the longbench suite, in the order the cells first appear. */
export function cellSummaries(records: readonly SummaryRecord[]): CellSummary[] {
  const byCell = new Map<string, SummaryRecord[]>();
  for (const r of records) {
    if (r.suite !== "longbench") continue;
    const list = byCell.get(r.cellKey) ?? [];
    list.push(r);
    byCell.set(r.cellKey, list);
  }
  return [...byCell].map(([cellKey, rs]) => {
    const first = rs[0] as SummaryRecord;
    return {
      cellKey,
      model: first.model.name,
      method: first.method.label,
      methodName: first.method.name,
      protocol: {
        promptSource: joined(rs, "promptSource"),
        chatTemplateMode: joined(rs, "chatTemplateMode"),
        scoring: joined(rs, "scoring"),
        truncationBudget: joined(rs, "truncationBudget"),
        h2oInputCap: first.method.name === "h2o" ? joined(rs, "h2oInputCap") : null,
      },
      summary: summarizeRecords(rs),
      failed: rs.filter((r) => r.status !== "completed").length,
    };
  });
}

/** Flat rows (one per cell × dataset, category and the overall average) for CSV. */
export function summaryRows(
  records: readonly SummaryRecord[],
): { model: string; method: string; cellKey: string; row: "dataset" | "category" | "average"; name: string; category: string; score: number | null; n: number | null; "0-4k": number | null; "4-8k": number | null; "8k+": number | null }[] {
  const nan = (x: number | undefined): number | null => (x === undefined || Number.isNaN(x) ? null : x);
  const out: ReturnType<typeof summaryRows> = [];
  for (const c of cellSummaries(records)) {
    const base = { model: c.model, method: c.method, cellKey: c.cellKey };
    for (const [name, d] of Object.entries(c.summary.datasets)) {
      const b = d.buckets;
      out.push({ ...base, row: "dataset", name, category: infoFor(baseName(name)).category, score: nan(d.score), n: d.n, "0-4k": nan(b?.["0-4k"]), "4-8k": nan(b?.["4-8k"]), "8k+": nan(b?.["8k+"]) });
    }
    for (const [cat, v] of Object.entries(c.summary.categories)) {
      out.push({ ...base, row: "category", name: cat, category: cat, score: nan(v), n: null, "0-4k": null, "4-8k": null, "8k+": null });
    }
    out.push({ ...base, row: "average", name: "Average", category: "", score: nan(c.summary.average), n: null, "0-4k": null, "4-8k": null, "8k+": null });
  }
  return out;
}

/** The datasets the cells scored, in the paper's order, each LongBench-E `<name>_e` right after `<name>`. */
export function datasetOrder(cells: readonly CellSummary[]): string[] {
  const names = new Set(cells.flatMap((c) => Object.keys(c.summary.datasets)));
  return DATASETS.flatMap((d) => [d.name, `${d.name}_e`]).filter((n) => names.has(n));
}

/** A LongBench-E cell: every dataset it scored is a `<name>_e` one. */
export function isLongBenchE(c: CellSummary): boolean {
  const names = Object.keys(c.summary.datasets);
  return names.length > 0 && names.every((n) => n.endsWith("_e"));
}

/**
 * Column labels for cells: `base(cell)`, and where two cells share one (the same method run as LongBench and as
 * LongBench-E, or with suite options that differ), " · LongBench-E" / " · LongBench" and then " #n" to tell them apart.
 */
export function cellLabels(cells: readonly CellSummary[], base: (c: CellSummary) => string): string[] {
  const first = cells.map(base);
  const second = first.map((l, i) => {
    if (first.filter((x) => x === l).length === 1) return l;
    return `${l} · ${isLongBenchE(cells[i] as CellSummary) ? "LongBench-E" : "LongBench"}`;
  });
  return second.map((l, i) => (second.filter((x) => x === l).length > 1 ? `${l} #${second.slice(0, i + 1).filter((x) => x === l).length}` : l));
}

/** Official scores carry two decimals; NaN (an empty LongBench-E bucket) and absent values show as a dash. */
const cell = (x: number | undefined): string => fx(x, 2);

/**
 * summary.md section: datasets in the paper's order grouped by category with category averages and the overall
 * average, one column per cell; LongBench-E buckets; and the protocol (prompt source, chat template, scoring, budget,
 * H2O's input length) — non-official prompts and corrected scoring are called out.
 */
export function summaryMarkdown(records: readonly SummaryRecord[]): string {
  const cells = cellSummaries(records);
  if (cells.length === 0) return "";
  const order = datasetOrder(cells);
  const manyModels = new Set(cells.map((x) => x.model)).size > 1;
  const labels = cellLabels(cells, (c) => (manyModels ? `${c.model} · ${c.method}` : c.method));
  const header = ["Dataset", ...labels];
  const rows: string[][] = [];
  for (const cat of CATEGORIES) {
    const inCat = order.filter((n) => infoFor(baseName(n)).category === cat);
    if (inCat.length === 0) continue;
    for (const n of inCat) rows.push([`${n} (${infoFor(baseName(n)).metric})`, ...cells.map((c) => cell(c.summary.datasets[n]?.score))]);
    rows.push([`**${cat}**`, ...cells.map((c) => cell(c.summary.categories[cat]))]);
  }
  rows.push(["**Average**", ...cells.map((c) => cell(c.summary.average))]);
  const out = [
    "Official LongBench scores (eval.py: max over answers, first-line rule, round(100·mean, 2)); category rows and Average are plain means of the dataset scores.",
    "",
    mdTable(header, rows),
  ];
  const eNames = order.filter((n) => n.endsWith("_e"));
  if (eNames.length > 0) {
    const eRows: string[][] = [];
    for (const c of cells) {
      for (const n of eNames) {
        const d = c.summary.datasets[n];
        if (d?.buckets) eRows.push([`${c.method} · ${n}`, ...LENGTH_BUCKETS.map((b) => cell(d.buckets?.[b]))]);
      }
    }
    out.push("", "LongBench-E by input length (numpy rounding; – = no case in the bucket):", "", mdTable(["Cell · dataset", ...LENGTH_BUCKETS], eRows));
  }
  const notes: string[] = [];
  for (const [i, c] of cells.entries()) {
    const p = c.protocol;
    const line = `- ${manyModels ? "" : `${c.model} · `}${labels[i]}: prompts ${p.promptSource}, chat template ${p.chatTemplateMode}, scoring ${p.scoring}, input budget ${p.truncationBudget} tokens${c.failed ? `, ${c.failed} case(s) not completed (not scored)` : ""}`;
    notes.push(line);
    if (p.promptSource.includes("non-official")) notes.push(`  - **NON-OFFICIAL PROMPTS** (no dataset2prompt.json): not comparable with published LongBench numbers`);
    if (p.scoring.includes("corrected")) notes.push(`  - **corrected scoring** (official bugs fixed): not comparable with published LongBench numbers`);
    if (p.h2oInputCap !== null) notes.push(`  - H2O input length: ${p.h2oInputCap}`);
  }
  out.push("", "Protocol:", "", ...notes);
  return out.join("\n");
}
