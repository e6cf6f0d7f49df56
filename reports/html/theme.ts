// Shared vega-lite config: small, print-friendly, one font and palette across all charts.
import type { Config } from "vega-lite";

export const FONT = `"Helvetica Neue", Helvetica, Arial, sans-serif`;

export const CHART_CONFIG: Config = {
  font: FONT,
  view: { stroke: "#ccc" },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: "normal", gridColor: "#eee" },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: "normal", labelLimit: 260 },
  header: { labelFontSize: 11, titleFontSize: 11, labelLimit: 300 },
  title: { fontSize: 12, fontWeight: "normal", anchor: "start" },
  range: { category: { scheme: "tableau10" } },
};

/** Axis label expression: token counts as 4K / 128K (binary K when divisible by 1024). */
export const K_LABEL = "datum.value % 1024 === 0 && datum.value >= 1024 ? (datum.value / 1024) + 'K' : datum.value >= 1000 ? format(datum.value / 1000, '.3~r') + 'K' : datum.value";
