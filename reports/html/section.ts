// One HTML report section = one module implementing Section. Sections return HTML (already escaped) with chart
// placeholders, and the vega-lite specs for those placeholders. A section returns null when the run has no records
// it can show, and the page leaves it out.
import type { TopLevelSpec } from "vega-lite";
import type { GemRecord } from "../../core/records.ts";

export interface Chart {
  id: string;
  spec: TopLevelSpec;
}

export interface SectionOutput {
  html: string;
  charts: Chart[];
}

export interface SectionContext {
  /** Several models in the run: variant labels carry the model name. */
  withModel: boolean;
  /** The run's config.json (unvalidated) or null. */
  config: unknown;
  /** A fresh, page-unique element id for a chart placeholder. */
  chartId(hint: string): string;
}

export interface Section {
  readonly id: string;
  readonly title: string;
  build(records: readonly GemRecord[], ctx: SectionContext): SectionOutput | null;
}

/** The placeholder element a chart renders into. */
export function chartDiv(id: string, caption: string): string {
  return `<figure class="chart"><div class="vis" id="${id}" data-chart="${id}"></div><figcaption>${caption}</figcaption></figure>`;
}
