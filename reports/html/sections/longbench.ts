// LongBench: the official aggregation (reports/aggregate.ts longbenchCells, the numbers summary.md and
// `gembench score longbench` give): per dataset the official score (round(100·mean, 2) as eval.py), category averages
// and the overall Average, one column per cell, and the difference to dense (same model) on those official scores.
// LongBench-E datasets (`<name>_e`) are their own rows, and their length buckets a second table.
import { baseName } from "../../../datasets/longbench/aggregate.ts";
import { CATEGORIES, infoFor, LENGTH_BUCKETS } from "../../../datasets/longbench/catalog.ts";
import { cellLabels, longbenchCells, datasetOrder, type LongbenchCell } from "../../aggregate.ts";
import type { GemRecord } from "../../../core/records.ts";
import { fx } from "../../format.ts";
import { headline, isFailure, profileTitle, variantOf } from "../../aggregate.ts";
import { esc } from "../escape.ts";
import type { Section } from "../section.ts";

/** Official scores carry two decimals; NaN (an empty LongBench-E bucket) and absent values show as a dash. */
const score = (x: number | undefined): string => fx(x, 2);

function delta(x: number | undefined, base: number | undefined): string {
  if (x === undefined || base === undefined || Number.isNaN(x) || Number.isNaN(base)) return `<td class="d">–</td>`;
  const d = x - base;
  const cls = d > 0.005 ? "up" : d < -0.005 ? "down" : "";
  return `<td class="d${cls ? ` ${cls}` : ""}">${d >= -0.005 ? "+" : "−"}${Math.abs(d).toFixed(2)}</td>`;
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

export const longbenchSection: Section = {
  id: "longbench",
  title: "LongBench",
  build(records, ctx) {
    const rs = records.filter((r) => r.suite === "longbench");
    if (!rs.some((r) => headline(r))) return null;
    const cells = longbenchCells(rs);
    const first = new Map<string, GemRecord>();
    for (const r of rs) if (!first.has(r.cellKey)) first.set(r.cellKey, r);
    const names = cellLabels(cells, (c) => variantOf(first.get(c.cellKey)!, { withModel: ctx.withModel }));
    const datasetsOf = (c: LongbenchCell): string[] => Object.keys(c.summary.datasets);
    // the dense baseline of each cell: a dense cell of the same model that scored some of the same datasets
    const baseOf = cells.map((c) =>
      c.methodName === "dense" ? null : (cells.find((d) => d.methodName === "dense" && d.model === c.model && datasetsOf(d).some((n) => n in c.summary.datasets)) ?? null),
    );
    const order = datasetOrder(cells);
    const width = 3 + cells.length + baseOf.filter(Boolean).length;

    const head = `<tr><th>Dataset</th><th>Metric</th><th>Cases</th>${cells
      .map((_, i) => `<th>${esc(names[i]!)}</th>${baseOf[i] ? `<th class="d">Δ dense</th>` : ""}`)
      .join("")}</tr>`;
    /** One row's cells: the value per column and, where a column has a baseline, Δ when `comparable`. */
    const rowCells = (value: (c: LongbenchCell) => number | undefined, comparable: (c: LongbenchCell, b: LongbenchCell) => boolean): string =>
      cells
        .map((c, i) => {
          const b = baseOf[i];
          return `<td>${score(value(c))}</td>${b ? (comparable(c, b) ? delta(value(c), value(b)) : `<td class="d">–</td>`) : ""}`;
        })
        .join("");
    const body: string[] = [];
    for (const cat of CATEGORIES) {
      const inCat = order.filter((n) => infoFor(baseName(n)).category === cat);
      if (inCat.length === 0) continue;
      body.push(`<tr class="cat"><th colspan="${width}">${esc(cat)}</th></tr>`);
      for (const n of inCat) {
        const warn = cells.flatMap((c, i) => {
          const f = rs.filter((r) => r.cellKey === c.cellKey && r.dataset === n && isFailure(r)).length;
          return f ? [`${names[i]!}: ${f} failed`] : [];
        });
        const cases = Math.max(...cells.map((c) => c.summary.datasets[n]?.n ?? 0));
        const failNote = warn.length ? ` <span class="warn" title="${esc(warn.join("; "))}">⚠ ${warn.length}</span>` : "";
        body.push(
          `<tr><th scope="row">${esc(n)}</th><td class="l">${esc(infoFor(baseName(n)).metric)}</td><td>${cases}${failNote}</td>${rowCells((c) => c.summary.datasets[n]?.score, () => true)}</tr>`,
        );
      }
      const catSet = (c: LongbenchCell): string[] => datasetsOf(c).filter((n) => infoFor(baseName(n)).category === cat);
      body.push(`<tr class="sub"><th scope="row">${esc(cat)} avg</th><td></td><td></td>${rowCells((c) => c.summary.categories[cat], (c, b) => sameSet(catSet(c), catSet(b)))}</tr>`);
    }
    body.push(`<tr class="total"><th scope="row">Average (all datasets)</th><td></td><td></td>${rowCells((c) => c.summary.average, (c, b) => sameSet(datasetsOf(c), datasetsOf(b)))}</tr>`);

    const out = [
      `<p class="note">${profileTitle(rs) ? `<b>${esc(profileTitle(rs))}</b>. ` : ""}Official LongBench scores, as summary.md and <code>gembench score longbench</code> give them: per case the max over the reference answers, per dataset round(100 × mean, 2) over its completed cases (eval.py); category and overall averages are means of the dataset scores. Δ dense = difference of these scores to dense on the same model, in points; on category and average rows only where both cover the same datasets. ⚠ marks datasets with failed cases (hover for counts): they are not scored.</p>`,
      `<div class="scroll"><table class="data lb"><thead>${head}</thead><tbody>${body.join("")}</tbody></table></div>`,
    ];

    const eNames = order.filter((n) => n.endsWith("_e"));
    const eCols = cells.flatMap((c, i) => (eNames.some((n) => c.summary.datasets[n]?.buckets) ? [{ c, name: names[i]! }] : []));
    if (eCols.length > 0) {
      const eHead = `<tr><th rowspan="2">Dataset</th>${eCols.map(({ name }) => `<th colspan="${LENGTH_BUCKETS.length}">${esc(name)}</th>`).join("")}</tr><tr>${eCols
        .map(() => LENGTH_BUCKETS.map((b) => `<th>${esc(b)}</th>`).join(""))
        .join("")}</tr>`;
      const eBody = eNames.map(
        (n) => `<tr><th scope="row">${esc(n)}</th>${eCols.map(({ c }) => LENGTH_BUCKETS.map((b) => `<td>${score(c.summary.datasets[n]?.buckets?.[b])}</td>`).join("")).join("")}</tr>`,
      );
      out.push(
        `<p class="note">${profileTitle(rs) ? `<b>${esc(profileTitle(rs))}</b>. ` : ""}LongBench-E by input length (the <code>length</code> field: 0–4k, 4–8k, 8k+ words or characters), numpy's mean and rounding as eval.py; – = no case in the bucket.</p>`,
        `<div class="scroll"><table class="data lb-e"><thead>${eHead}</thead><tbody>${eBody.join("")}</tbody></table></div>`,
      );
    }

    const flags = cells.flatMap((c, i) => {
      const p = c.protocol;
      const why = [
        ...(p.promptSource.includes("non-official") ? ["non-official prompts (no dataset2prompt.json)"] : []),
        ...(p.scoring.includes("corrected") ? ["corrected scoring (official bugs fixed)"] : []),
      ];
      return why.length ? [`<li>${esc(names[i]!)}: ${esc(why.join(", "))}: not comparable with published LongBench numbers</li>`] : [];
    });
    const h2o = cells.flatMap((c, i) => (c.protocol.h2oInputCap === null ? [] : [`<li>${esc(names[i]!)}: H2O input length: ${esc(c.protocol.h2oInputCap)}</li>`]));
    if (flags.length + h2o.length > 0) out.push(`<ul class="note">${[...flags, ...h2o].join("")}</ul>`);
    return { html: out.join("\n"), charts: [] };
  },
};
