// LongBench's section of summary.md: the official per-cell scores (aggregate.ts longbenchCells) as markdown tables,
// LongBench-E buckets and the protocol each cell ran under.
import { baseName } from "../datasets/longbench/aggregate.ts";
import { CATEGORIES, LENGTH_BUCKETS, infoFor } from "../datasets/longbench/catalog.ts";
import { cellLabels, longbenchCells, datasetOrder, profileTitle, type LongbenchRecord } from "./aggregate.ts";
import { fx } from "./format.ts";
import { mdTable } from "./markdown-table.ts";

/** Official scores carry two decimals; NaN (an empty LongBench-E bucket) and absent values show as a dash. */
const cell = (x: number | undefined): string => fx(x, 2);

/**
 * summary.md section: datasets in the paper's order grouped by category with category averages and the overall
 * average, one column per cell; LongBench-E buckets; and the protocol (prompt source, chat template, scoring, budget,
 * H2O's input length) — non-official prompts and corrected scoring are called out.
 */
export function summaryMarkdown(records: readonly LongbenchRecord[]): string {
  const cells = longbenchCells(records);
  if (cells.length === 0) return "";
  const order = datasetOrder(cells);
  const manyModels = new Set(cells.map((x) => x.model)).size > 1;
  const labels = cellLabels(cells, (c) => (manyModels ? `${c.model} · ${c.method}` : c.method));
  const header = ["Dataset", ...labels];
  const p0 = profileTitle(records.filter((r) => r.suite === "longbench"));
  const prof = p0 === "" ? "" : `, ${p0}`;
  const rows: string[][] = [];
  for (const cat of CATEGORIES) {
    const inCat = order.filter((n) => infoFor(baseName(n)).category === cat);
    if (inCat.length === 0) continue;
    for (const n of inCat) rows.push([`${n} (${infoFor(baseName(n)).metric})`, ...cells.map((c) => cell(c.summary.datasets[n]?.score))]);
    rows.push([`**${cat}**`, ...cells.map((c) => cell(c.summary.categories[cat]))]);
  }
  rows.push(["**Average**", ...cells.map((c) => cell(c.summary.average))]);
  const out = [
    `Official LongBench scores${prof} (eval.py: max over answers, first-line rule, round(100·mean, 2)); category rows and Average are plain means of the dataset scores.`,
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
    out.push("", `LongBench-E by input length${prof} (numpy rounding; – = no case in the bucket):`, "", mdTable(["Cell · dataset", ...LENGTH_BUCKETS], eRows));
  }
  const notes: string[] = [];
  for (const [i, c] of cells.entries()) {
    const p = c.protocol;
    const line = `- ${manyModels ? "" : `${c.model} · `}${labels[i]}: ${p.profile === "–" ? "" : `profile ${p.profile} (reference: ${p.reference}; deviations: ${p.deviations}), `}prompts ${p.promptSource}, chat template ${p.chatTemplateMode}, scoring ${p.scoring}, input budget ${p.truncationBudget} tokens${c.failed ? `, ${c.failed} case(s) not completed (not scored)` : ""}`;
    notes.push(line);
    if (p.promptSource.includes("non-official")) notes.push(`  - **NON-OFFICIAL PROMPTS** (no dataset2prompt.json): not comparable with published LongBench numbers`);
    if (p.scoring.includes("corrected")) notes.push(`  - **corrected scoring** (official bugs fixed): not comparable with published LongBench numbers`);
    if (p.h2oInputCap !== null) notes.push(`  - H2O input length: ${p.h2oInputCap}`);
  }
  out.push("", "Protocol:", "", ...notes);
  return out.join("\n");
}
