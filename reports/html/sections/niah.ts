// NIAH heatmaps: context length × needle depth, colour = mean headline score × 100, one panel per method variant
// (method label + swept values), with the variant's average in the panel title and an averages table.
import type { TopLevelSpec } from "vega-lite";
import { fx } from "../../format.ts";
import { groupBy, headline, isFailure, numericMeta, profileTitle, uniq, variantOf } from "../../aggregate.ts";
import { mean } from "../../../core/stats.ts";
import { esc } from "../escape.ts";
import { chartDiv, type Section } from "../section.ts";
import { CHART_CONFIG, K_LABEL } from "../theme.ts";

/** Red (0) → yellow → green (100), as in the paper's NIAH figures. */
const SCORE_RANGE = ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"] as const;

interface CellDatum {
  panel: string;
  contextLength: number;
  depthPercent: number;
  score: number;
  n: number;
  failed: number;
  /** The needle's actual token position(s) in these cases' prompts, and the depths a case stands for when several
   *  collapsed onto one position at this length (caseMeta.mergedDepths, datasets/niah). */
  needleAt: string;
  depths: string;
}

export const niahSection: Section = {
  id: "niah",
  title: "Needle in a haystack",
  build(records, ctx) {
    const rs = records.filter((r) => r.suite === "niah" && numericMeta(r, "contextLength") !== null && numericMeta(r, "depthPercent") !== null);
    if (!rs.some((r) => headline(r) !== null)) return null;
    const variants = groupBy(rs, (r) => variantOf(r, { withModel: ctx.withModel }));
    const lengths = uniq(rs.map((r) => numericMeta(r, "contextLength")!)).sort((a, b) => a - b);
    const data: CellDatum[] = [];
    const tableRows: string[] = [];
    const panels: string[] = [];
    for (const [variant, vrs] of variants) {
      const scored = vrs.filter((r) => r.status === "completed" && headline(r));
      const avg = scored.length ? 100 * mean(scored.map((r) => headline(r)!.value)) : null;
      const panel = `${variant} — avg ${fx(avg, 1)}`;
      panels.push(panel);
      const cells = groupBy(vrs, (r) => `${numericMeta(r, "contextLength")}/${numericMeta(r, "depthPercent")}`);
      for (const cs of cells.values()) {
        const ok = cs.filter((r) => r.status === "completed" && headline(r));
        if (ok.length === 0) continue;
        data.push({
          panel,
          contextLength: numericMeta(cs[0]!, "contextLength")!,
          depthPercent: numericMeta(cs[0]!, "depthPercent")!,
          score: 100 * mean(ok.map((r) => headline(r)!.value)),
          n: ok.length,
          failed: cs.filter(isFailure).length,
          needleAt: uniq(cs.map((r) => numericMeta(r, "needleStart")).filter((x): x is number => x !== null)).join(", "),
          depths: uniq(cs.map((r) => String(r.caseMeta.mergedDepths ?? numericMeta(r, "depthPercent")))).join("; "),
        });
      }
      const perLen = lengths.map((L) => {
        const xs = scored.filter((r) => numericMeta(r, "contextLength") === L).map((r) => headline(r)!.value);
        return xs.length ? 100 * mean(xs) : null;
      });
      const failed = vrs.filter(isFailure).length;
      tableRows.push(
        `<tr><th scope="row">${esc(variant)}</th>${perLen.map((x) => `<td>${fx(x, 1)}</td>`).join("")}<td class="em">${fx(avg, 1)}</td><td>${scored.length}</td><td>${failed || ""}</td></tr>`,
      );
    }
    const depths = uniq(rs.map((r) => numericMeta(r, "depthPercent")!));
    const labelled = lengths.length <= 10 && depths.length <= 12;
    const metric = uniq(rs.flatMap((r) => (headline(r) ? [headline(r)!.metric] : []))).join(", ");
    const spec: TopLevelSpec = {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: CHART_CONFIG,
      data: { values: data },
      facet: { field: "panel", type: "nominal", title: null, sort: panels, header: { labelFontSize: 11, labelAnchor: "start" } },
      columns: Math.min(3, panels.length),
      spec: {
        width: 200,
        height: 150,
        encoding: {
          x: { field: "contextLength", type: "ordinal", title: "Context length (tokens)", axis: { labelExpr: K_LABEL, labelAngle: 0 } },
          y: { field: "depthPercent", type: "ordinal", title: "Depth (%)", sort: "ascending" },
        },
        layer: [
          {
            mark: { type: "rect", stroke: "white", strokeWidth: 0.5 },
            encoding: {
              color: {
                field: "score",
                type: "quantitative",
                title: "Score",
                scale: { domain: [0, 100], range: [...SCORE_RANGE] },
              },
              tooltip: [
                { field: "panel", type: "nominal", title: "Method" },
                { field: "contextLength", type: "ordinal", title: "Context" },
                { field: "depthPercent", type: "ordinal", title: "Depth %" },
                { field: "depths", type: "nominal", title: "Depths run as this case" },
                { field: "needleAt", type: "nominal", title: "Needle at token" },
                { field: "score", type: "quantitative", title: "Score", format: ".1f" },
                { field: "n", type: "quantitative", title: "Cases" },
                { field: "failed", type: "quantitative", title: "Failed" },
              ],
            },
          },
          // Cell values as text while the grid is small enough to read them (the paper's heatmaps are unlabeled).
          ...(labelled
            ? [
                {
                  mark: { type: "text" as const, fontSize: 9 },
                  encoding: {
                    text: { field: "score", type: "quantitative" as const, format: ".0f" },
                    color: { condition: { test: "datum.score < 20 || datum.score > 80", value: "white" }, value: "#222" },
                  },
                },
              ]
            : []),
        ],
      },
      // Every panel carries its own x axis: with wrapped facets a shared axis is drawn under empty grid slots too.
      resolve: { scale: { color: "shared" }, axis: { x: "independent" } },
    };
    const id = ctx.chartId("niah-heatmap");
    const html = [
      chartDiv(id, `Mean ${esc(metric)} × 100 per (context length, needle depth); red = 0, green = 100; a blank cell has no completed case (see Failed). Panel title: mean over all cases of the method.`),
      `<table class="data"><caption>NIAH average score × 100 by context length${profileTitle(rs) ? ` (${esc(profileTitle(rs))})` : ""}</caption><thead><tr><th>Method</th>${lengths
        .map((L) => `<th>${esc(L)}</th>`)
        .join("")}<th>Avg</th><th>Cases</th><th>Failed</th></tr></thead><tbody>${tableRows.join("")}</tbody></table>`,
    ].join("\n");
    return { html, charts: [{ id, spec }] };
  },
};
