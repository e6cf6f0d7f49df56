// Prompt protocols (engines/README.md "Prompt protocols"): per suite with multi-question or context-only records,
// accuracy and time per round (rounds on the x axis, one line per method configuration) and each method with-question
// beside context-only (reports/rounds.ts computes both).
import type { TopLevelSpec } from "vega-lite";
import { groupBy } from "../../aggregate.ts";
import { fms, fx } from "../../format.ts";
import { compressionPairs, roundRows, withTurns } from "../../rounds.ts";
import { esc } from "../escape.ts";
import { chartDiv, type Chart, type Section } from "../section.ts";
import { CHART_CONFIG } from "../theme.ts";

function roundChart(points: { series: string; round: number; y: number }[], title: string, series: string[]): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: CHART_CONFIG,
    width: 300,
    height: 200,
    data: { values: points },
    mark: { type: "line", point: { filled: true, size: 40 } },
    encoding: {
      x: { field: "round", type: "quantitative", title: "Round", axis: { values: [...new Set(points.map((p) => p.round))], format: "d" } },
      y: { field: "y", type: "quantitative", title },
      color: { field: "series", type: "nominal", title: "Method", sort: series, legend: { orient: "bottom", columns: 1 } },
      tooltip: [
        { field: "series", type: "nominal", title: "Method" },
        { field: "round", type: "quantitative", title: "Round" },
        { field: "y", type: "quantitative", title, format: ".1f" },
      ],
    },
  };
}

export const roundsSection: Section = {
  id: "rounds",
  title: "Rounds and prompt protocols",
  build(records, ctx) {
    const charts: Chart[] = [];
    const html: string[] = [];
    for (const [suite, rs] of groupBy(records, (r) => r.suite)) {
      const turned = withTurns(rs);
      if (turned.length === 0) continue;
      const rows = roundRows(turned, ctx.withModel);
      const series = [...new Set(rows.map((r) => r.variant))];
      const score = rows.flatMap((r) => (r.score === null ? [] : [{ series: r.variant, round: r.round, y: 100 * r.score }]));
      const time = rows.flatMap((r) => (r.totalMs === null ? [] : [{ series: r.variant, round: r.round, y: r.totalMs }]));
      const figs: string[] = [];
      for (const [what, points, title] of [["score", score, "Score × 100"], ["time", time, "Total ms (median)"]] as const) {
        if (points.length === 0) continue;
        const id = ctx.chartId(`rounds-${what}`);
        charts.push({ id, spec: roundChart(points, title, series) });
        figs.push(chartDiv(id, `${esc(suite)}: ${what === "score" ? "mean headline score × 100" : "median total time (round 1 includes the context's compression)"} per round of a context.`));
      }
      const pairs = compressionPairs(rs, ctx.withModel);
      const body = pairs
        .map((p) => `<tr><td class="l">${esc(p.method)}</td><td>${esc(p.questions)}</td><td>${fx(p.withQuestion === null ? null : 100 * p.withQuestion, 1)}</td><td>${fx(p.contextOnly === null ? null : 100 * p.contextOnly, 1)}</td><td>${fms(p.wqMs)}</td><td>${fms(p.coMs)}</td></tr>`)
        .join("");
      html.push(
        `<h3>${esc(suite)}</h3><div class="grid">${figs.join("\n")}</div>`,
        `<table class="data"><caption>With-question vs context-only: mean headline score × 100 over every question, median total ms per question</caption><thead><tr><th>Method</th><th>Questions</th><th>With-question</th><th>Context-only</th><th>With-question ms</th><th>Context-only ms</th></tr></thead><tbody>${body}</tbody></table>`,
      );
    }
    return charts.length === 0 && html.length === 0 ? null : { html: html.join("\n"), charts };
  },
};
