// The headline numbers, one row per method configuration: each scored suite's score (mean headline × 100; a suite
// with several datasets averages its datasets; LongBench shows its official Average from aggregate.ts longbenchCells),
// and at the longest context length timed, the filter + prefill time with the speedup over dense and the peak memory.
// The sections below break these down.
import { datasetMeans, isLongBenchE, longbenchCells, meanOverDatasets } from "../../aggregate.ts";
import type { GemRecord } from "../../../core/records.ts";
import { median } from "../../../core/stats.ts";
import { contextLengthOf, engineOf, groupBy, headline, isDense, memorySummary, profileTitle, uniq, variantOf } from "../../aggregate.ts";
import { fmem, fms, fx, memoryUnit } from "../../format.ts";
import { esc } from "../escape.ts";
import type { Section } from "../section.ts";

/** Mean over datasets of each dataset's mean headline score (× 100), over completed cases; null when none. */
function suiteScore(rs: readonly GemRecord[]): number | null {
  const m = meanOverDatasets(datasetMeans(rs));
  return m === null ? null : 100 * m;
}

/** LongBench's official Average (two decimals) of the configuration's cell; several cells (LongBench and LongBench-E)
 *  each named. */
function longbenchAverage(rs: readonly GemRecord[]): string {
  const cells = longbenchCells(rs);
  if (cells.length === 1) return fx(cells[0]!.summary.average, 2);
  return cells.map((c) => `${fx(c.summary.average, 2)} (${isLongBenchE(c) ? "LongBench-E" : "LongBench"})`).join(" / ") || "–";
}

/** Median over cases of filter + prefill ms (the per-case medians the records carry). */
function prefillMs(rs: readonly GemRecord[]): number | null {
  const xs = rs.filter((r) => r.status === "completed" && r.timings).map((r) => r.timings!.filterMs + r.timings!.prefillMs);
  return xs.length ? median(xs) : null;
}

export const summarySection: Section = {
  id: "summary",
  title: "Summary",
  build(records, ctx) {
    const done = records.filter((r) => r.status === "completed");
    const scoredSuites = uniq(done.filter((r) => headline(r) !== null).map((r) => r.suite));
    const timed = done.filter((r) => r.timings !== null);
    const speedSource = timed.some((r) => r.suite === "bench") ? timed.filter((r) => r.suite === "bench") : timed;
    const longest = speedSource.length ? Math.max(...speedSource.map(contextLengthOf)) : null;
    if (scoredSuites.length === 0 && longest === null) return null;
    const atLongest = speedSource.filter((r) => contextLengthOf(r) === longest);
    const unit = memoryUnit(Math.max(0, ...atLongest.map((r) => r.memory?.peak.total ?? 0)));
    const variantKey = (r: GemRecord): string => variantOf(r, { withModel: ctx.withModel });
    const variants = uniq(records.map(variantKey));
    // dense of the same model is the speed baseline
    // (per engine: the transformers peer's methods are set against the peer's dense)
    const baselineKey = (r: GemRecord): string => `${engineOf(r)}/${r.model.name}`;
    const densePrefill = new Map<string, number | null>();
    for (const [key, rs] of groupBy(atLongest.filter(isDense), baselineKey)) densePrefill.set(key, prefillMs(rs));

    const head = [
      "<th>Method</th>",
      ...scoredSuites.map((s) => {
        const metrics = uniq(done.filter((r) => r.suite === s).flatMap((r) => (headline(r) ? [headline(r)!.metric] : [])));
        return `<th>${esc(s)} ${metrics.length === 1 ? esc(metrics[0]) : "score"}</th>`;
      }),
      ...(longest !== null ? [`<th>Prefill ms at ${esc(longest)}</th>`, "<th>Speedup vs dense</th>", `<th>Peak total ${unit.name} (phase) at ${esc(longest)}</th>`, `<th>KV cache ${unit.name} (decode) at ${esc(longest)}</th>`] : []),
    ].join("");
    const rows = variants.map((v) => {
      const rs = records.filter((r) => variantKey(r) === v);
      const cells = scoredSuites.map((s) => `<td>${s === "longbench" ? longbenchAverage(rs) : fx(suiteScore(rs.filter((r) => r.suite === s)), 1)}</td>`);
      if (longest !== null) {
        const at = atLongest.filter((r) => variantKey(r) === v);
        const p = prefillMs(at);
        const d = at[0] ? (densePrefill.get(baselineKey(at[0])) ?? null) : null;
        const mem = memorySummary(at);
        const speedup = p !== null && d !== null && p > 0 && !isDense(at[0]!) ? `${(d / p).toFixed(2)}×` : "–";
        cells.push(`<td>${fms(p)}</td>`, `<td>${speedup}</td>`, `<td>${mem ? `${fmem(mem.peak.total, unit)} (${mem.peakPhase})` : "–"}</td>`, `<td>${fmem(mem?.decodeKv, unit)}</td>`);
      }
      return `<tr><th scope="row">${esc(v)}</th>${cells.join("")}</tr>`;
    });
    const notes = [
      ...scoredSuites.flatMap((s) => {
        const prof = profileTitle(records.filter((r) => r.suite === s));
        return prof === "" ? [] : [`${esc(s)}: ${esc(prof)}.`];
      }),
      scoredSuites.length
        ? `Scores: mean headline metric × 100 over completed cases; a suite with several datasets averages its datasets${scoredSuites.includes("longbench") ? "; LongBench: the official Average (mean of the rounded dataset scores, as in the LongBench section)" : ""}.`
        : "",
      longest !== null
        ? `Speed and memory at the longest context length timed (${esc(longest)} tokens, ${timed.some((r) => r.suite === "bench") ? "bench suite" : "all timed cases"}): median filter + prefill time, dense's time divided by the method's, the largest peak total with the phase it fell in, and the KV cache the method decodes from.`
        : "",
    ].filter(Boolean);
    return {
      html: `<table class="data"><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table><p class="note">${notes.join(" ")}</p>`,
      charts: [],
    };
  },
};
