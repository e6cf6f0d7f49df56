// Accuracy against GemFilter's filter layer and against the kept-token budget k (the paper's Figure 5 and k study),
// per suite: mean headline score × 100 per value of the axis, one line per series (method + its other parameters),
// with dense as a dashed reference line.
import type { TopLevelSpec } from "vega-lite";
import type { GemRecord, Scalar } from "../../../core/records.ts";
import { CASE_AXES, groupBy, headline, isDense, uniq } from "../../aggregate.ts";
import { fx, paramsText } from "../../format.ts";
import { mean } from "../../../core/stats.ts";
import { esc } from "../escape.ts";
import { chartDiv, type Chart, type Section } from "../section.ts";
import { CHART_CONFIG } from "../theme.ts";

const AXES: { key: string; title: string }[] = [
  { key: "filterLayer", title: "Filter layer" },
  { key: "k", title: "Kept tokens k" },
];

function axisValue(r: GemRecord, key: string): number | null {
  const v: Scalar | undefined = r.sweep[key] ?? r.method.params[key];
  return typeof v === "number" ? v : null;
}

/** The series a record belongs to on an axis plot: everything about the configuration except that axis. */
function seriesOf(r: GemRecord, axis: string, withModel: boolean): string {
  const params: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(r.method.params)) if (k !== axis) params[k] = v;
  for (const [k, v] of Object.entries(r.sweep)) if (k !== axis && !CASE_AXES.has(k) && !(k in r.method.params)) params[k] = v;
  const s = [r.method.name, paramsText(params)].filter(Boolean).join(" ");
  return withModel ? `${r.model.name} · ${s}` : s;
}

const scoreOf = (rs: readonly GemRecord[]): number | null => {
  const xs = rs.filter((r) => r.status === "completed" && headline(r)).map((r) => headline(r)!.value);
  return xs.length ? 100 * mean(xs) : null;
};

export const sweepsSection: Section = {
  id: "sweeps",
  title: "Accuracy against filter layer and k",
  build(records, ctx) {
    const charts: Chart[] = [];
    const html: string[] = [];
    for (const [suite, rs] of groupBy(records, (r) => r.suite)) {
      if (!rs.some((r) => headline(r))) continue;
      for (const axis of AXES) {
        const on = rs.filter((r) => axisValue(r, axis.key) !== null && !isDense(r));
        const bySeries = groupBy(on, (r) => seriesOf(r, axis.key, ctx.withModel));
        const points: { series: string; x: number; score: number; n: number }[] = [];
        for (const [series, srs] of bySeries) {
          const xs = uniq(srs.map((r) => axisValue(r, axis.key)!)).sort((a, b) => a - b);
          if (xs.length < 2) continue;
          for (const x of xs) {
            const at = srs.filter((r) => axisValue(r, axis.key) === x);
            const score = scoreOf(at);
            if (score !== null) points.push({ series, x, score, n: at.filter((r) => r.status === "completed").length });
          }
        }
        if (points.length === 0) continue;
        const denseByModel = groupBy(rs.filter(isDense), (r) => (ctx.withModel ? `${r.model.name} · dense` : "dense"));
        const refs = [...denseByModel].flatMap(([label, drs]) => {
          const s = scoreOf(drs);
          return s === null ? [] : [{ label, score: s }];
        });
        const series = uniq(points.map((p) => p.series));
        const spec: TopLevelSpec = {
          $schema: "https://vega.github.io/schema/vega-lite/v6.json",
          config: CHART_CONFIG,
          width: 300,
          height: 200,
          layer: [
            {
              data: { values: points },
              mark: { type: "line", point: { filled: true, size: 40 } },
              encoding: {
                x: { field: "x", type: "quantitative", title: axis.title, scale: { zero: false }, axis: { values: uniq(points.map((p) => p.x)), format: "d" } },
                y: { field: "score", type: "quantitative", title: `Score × 100 (${suite})`, scale: { domain: [0, 100] } },
                color: { field: "series", type: "nominal", title: "Series", sort: series, legend: { orient: "bottom", columns: 1 } },
                tooltip: [
                  { field: "series", type: "nominal", title: "Series" },
                  { field: "x", type: "quantitative", title: axis.title },
                  { field: "score", type: "quantitative", title: "Score", format: ".1f" },
                  { field: "n", type: "quantitative", title: "Cases" },
                ],
              },
            },
            ...(refs.length
              ? [
                  {
                    data: { values: refs },
                    mark: { type: "text" as const, align: "right" as const, baseline: "bottom" as const, x: "width" as const, dx: -3, dy: -2, fontSize: 10, color: "#333" },
                    encoding: { y: { field: "score", type: "quantitative" as const }, text: { field: "label", type: "nominal" as const } },
                  },
                  {
                    data: { values: refs },
                    mark: { type: "rule" as const, strokeDash: [4, 3], color: "#333" },
                    encoding: {
                      y: { field: "score", type: "quantitative" as const },
                      tooltip: [
                        { field: "label", type: "nominal" as const, title: "Reference" },
                        { field: "score", type: "quantitative" as const, title: "Score", format: ".1f" },
                      ],
                    },
                  },
                ]
              : []),
          ],
        };
        const id = ctx.chartId(`sweep-${axis.key}`);
        charts.push({ id, spec });
        const refText = refs.map((r) => `${esc(r.label)} = ${fx(r.score, 1)}`).join(", ");
        html.push(chartDiv(id, `${esc(suite)}: mean headline score × 100 against ${esc(axis.title.toLowerCase())}${refText ? `; dashed: ${refText}` : ""}.`));
      }
    }
    if (charts.length === 0) return null;
    return { html: `<div class="grid">${html.join("\n")}</div>`, charts };
  },
};
