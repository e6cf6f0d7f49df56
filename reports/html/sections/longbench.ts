// LongBench: per dataset and per category, score = 100 × mean headline score, one column per method variant, and the
// difference to dense (same model) for every other variant. Category rows average their datasets; the last row
// averages all datasets (LongBench's convention: macro average).
import type { GemRecord } from "../../../harness/records.ts";
import { fx, groupBy, headline, isDense, isFailure, mean, uniq, variantOf } from "../../data.ts";
import { esc } from "../escape.ts";
import type { Section } from "../section.ts";

const datasetOf = (r: GemRecord): string => (typeof r.caseMeta.dataset === "string" ? r.caseMeta.dataset : r.dataset);
const categoryOf = (r: GemRecord): string => (typeof r.caseMeta.category === "string" ? r.caseMeta.category : "Uncategorised");

function dsScore(rs: readonly GemRecord[]): number | null {
  const xs = rs.filter((r) => r.status === "completed" && headline(r)).map((r) => headline(r)!.value);
  return xs.length ? 100 * mean(xs) : null;
}

const avg = (xs: (number | null)[]): number | null => {
  const ys = xs.filter((x): x is number => x !== null);
  return ys.length && ys.length === xs.length ? mean(ys) : null;
};

function delta(x: number | null, base: number | null): string {
  if (x === null || base === null) return "<td class=\"d\">–</td>";
  const d = x - base;
  const cls = d > 0.05 ? "up" : d < -0.05 ? "down" : "";
  return `<td class="d ${cls}">${d >= 0 ? "+" : "−"}${Math.abs(d).toFixed(1)}</td>`;
}

export const longbenchSection: Section = {
  id: "longbench",
  title: "LongBench",
  build(records, ctx) {
    const rs = records.filter((r) => r.suite === "longbench");
    if (!rs.some((r) => headline(r))) return null;
    const variants = uniq(rs.map((r) => variantOf(r, { withModel: ctx.withModel })));
    const byVariant = groupBy(rs, (r) => variantOf(r, { withModel: ctx.withModel }));
    // the dense baseline of each variant: the dense variant of the same model, if present
    const baseOf = new Map<string, string | null>();
    for (const v of variants) {
      const r0 = byVariant.get(v)![0]!;
      const d = isDense(r0) ? null : variants.find((w) => { const w0 = byVariant.get(w)![0]!; return isDense(w0) && w0.model.name === r0.model.name; }) ?? null;
      baseOf.set(v, d);
    }
    const categories = groupBy(rs, categoryOf);
    const metricOf = new Map<string, string>();
    for (const r of rs) {
      const h = headline(r);
      if (h && !metricOf.has(datasetOf(r))) metricOf.set(datasetOf(r), h.metric);
    }
    const head = `<tr><th>Dataset</th><th>Metric</th><th>Cases</th>${variants
      .map((v) => `<th>${esc(v)}</th>${baseOf.get(v) ? `<th class="d">Δ dense</th>` : ""}`)
      .join("")}</tr>`;
    const body: string[] = [];
    const allDs: Map<string, (number | null)[]> = new Map(variants.map((v) => [v, []]));
    const rowCells = (scores: Map<string, number | null>): string =>
      variants
        .map((v) => {
          const s = scores.get(v) ?? null;
          const b = baseOf.get(v);
          return `<td>${fx(s, 1)}</td>${b ? delta(s, scores.get(b) ?? null) : ""}`;
        })
        .join("");
    for (const [cat, crs] of categories) {
      body.push(`<tr class="cat"><th colspan="${3 + variants.length + [...baseOf.values()].filter(Boolean).length}">${esc(cat)}</th></tr>`);
      const catDs: Map<string, (number | null)[]> = new Map(variants.map((v) => [v, []]));
      for (const [ds, drs] of groupBy(crs, datasetOf)) {
        const scores = new Map<string, number | null>();
        const warn: string[] = [];
        for (const v of variants) {
          const vrs = drs.filter((r) => variantOf(r, { withModel: ctx.withModel }) === v);
          const s = dsScore(vrs);
          scores.set(v, s);
          catDs.get(v)!.push(s);
          allDs.get(v)!.push(s);
          const f = vrs.filter(isFailure).length;
          if (f) warn.push(`${v}: ${f} failed`);
        }
        const n = Math.max(...variants.map((v) => drs.filter((r) => r.status === "completed" && variantOf(r, { withModel: ctx.withModel }) === v).length));
        const failNote = warn.length ? ` <span class="warn" title="${esc(warn.join("; "))}">⚠ ${warn.length}</span>` : "";
        body.push(`<tr><th scope="row">${esc(ds)}</th><td class="l">${esc(metricOf.get(ds) ?? "")}</td><td>${n}${failNote}</td>${rowCells(scores)}</tr>`);
      }
      const catScores = new Map(variants.map((v) => [v, avg(catDs.get(v)!)]));
      body.push(`<tr class="sub"><th scope="row">${esc(cat)} avg</th><td></td><td></td>${rowCells(catScores)}</tr>`);
    }
    const allScores = new Map(variants.map((v) => [v, avg(allDs.get(v)!)]));
    body.push(`<tr class="total"><th scope="row">Average (all datasets)</th><td></td><td></td>${rowCells(allScores)}</tr>`);
    const html = `<p class="note">Score = 100 × mean of each dataset's headline metric over its completed cases; averages are over datasets (shown only when every dataset has a score). Δ dense = difference to dense on the same model, in points. ⚠ marks datasets with failed cases (hover for counts).</p>
<div class="scroll"><table class="data lb"><thead>${head}</thead><tbody>${body.join("")}</tbody></table></div>`;
    return { html, charts: [] };
  },
};
