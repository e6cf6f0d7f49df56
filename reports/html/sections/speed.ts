// Speed and memory against context length, per method variant: prefill (incl. GemFilter's pass 1) and decode
// ms/token as median with a min–max bar over the raw repeats, peak memory stacked by category (GiB, or MiB for small models), and achieved
// TFLOP/s and GB/s per phase (the records' timings.rates), read against the GPU's datasheet floor where it is known.
import type { TopLevelSpec } from "vega-lite";
import type { GemRecord } from "../../../core/records.ts";
import { contextLengthOf, groupBy, MEMORY_CATEGORIES, MEMORY_PHASES, memorySummary, noMemoryReason, peerRatios, profileTitle, PHASE_FIELDS, uniq, variantOf, type PeerRatioRow, type PhaseMedians } from "../../aggregate.ts";
import { memoryCells, memoryHeader, MEMORY_NOTE } from "../../memory.ts";
import { MACHINE_LOAD_HEADER, machineLoadText } from "../../machine-load.ts";
import { fmem, fms, fratio, fspread, memoryUnit } from "../../format.ts";
import { floorOf, floorsOf, floorsText, RATES, rateText, rateValues, type DeviceFloor } from "../../rates.ts";
import { spreadOf, type Spread } from "../../../core/stats.ts";
import { esc } from "../escape.ts";
import { chartDiv, type Chart, type Section } from "../section.ts";
import { CHART_CONFIG, K_LABEL } from "../theme.ts";

interface Point {
  variant: string;
  contextLength: number;
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Per-repeat filter + prefill sums (the time until the KV cache used for decoding exists). */
function prefillSamples(rs: readonly GemRecord[]): number[] {
  const out: number[] = [];
  for (const r of rs) {
    const t = r.timings;
    if (r.status !== "completed" || !t) continue;
    const p = t.samples?.prefillMs;
    const f = t.samples?.filterMs;
    if (p && p.length > 0) out.push(...p.map((x, i) => x + (f?.[i] ?? t.filterMs)));
    else out.push(t.prefillMs + t.filterMs);
  }
  return out;
}

function decodeSamples(rs: readonly GemRecord[]): number[] {
  const out: number[] = [];
  for (const r of rs) {
    const t = r.timings;
    if (r.status !== "completed" || !t || t.decodeTokens <= 0) continue;
    const d = t.samples?.decodeMs;
    if (d && d.length > 0) out.push(...d.map((x) => x / t.decodeTokens));
    else out.push(t.decodeMs / t.decodeTokens);
  }
  return out;
}

function lineWithSpread(data: Point[], yTitle: string, variants: string[]): TopLevelSpec {
  const x = { field: "contextLength", type: "quantitative" as const, title: "Context length (tokens)", scale: { type: "log" as const, base: 2 }, axis: { labelExpr: K_LABEL, values: uniq(data.map((d) => d.contextLength)) } };
  const color = { field: "variant", type: "nominal" as const, title: "Method", sort: variants, legend: { orient: "bottom" as const, columns: 1 } };
  // Shapes as well as colours: methods with equal times (snapkv's prefill is dense's) would otherwise hide each other.
  const shape = { field: "variant", type: "nominal" as const, title: "Method", sort: variants };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: CHART_CONFIG,
    width: 300,
    height: 200,
    data: { values: data },
    layer: [
      { mark: { type: "rule", strokeWidth: 1.5 }, encoding: { x, y: { field: "min", type: "quantitative", title: yTitle }, y2: { field: "max" }, color } },
      {
        mark: { type: "line", point: { filled: true, size: 45 } },
        encoding: {
          x,
          y: { field: "median", type: "quantitative", title: yTitle },
          color,
          shape,
          tooltip: [
            { field: "variant", type: "nominal", title: "Method" },
            { field: "contextLength", type: "quantitative", title: "Context" },
            { field: "median", type: "quantitative", title: "Median", format: ".2f" },
            { field: "min", type: "quantitative", title: "Min", format: ".2f" },
            { field: "max", type: "quantitative", title: "Max", format: ".2f" },
            { field: "n", type: "quantitative", title: "Samples" },
          ],
        },
      },
    ],
  };
}

/** The caption under a rate's chart: what it is, and the floors it is read against where the GPU is known. */
function rateCaption(title: string, unit: "TFLOP/s" | "GB/s", floors: readonly DeviceFloor[]): string {
  const of = (f: DeviceFloor): string => `the ${f.name}'s ${unit === "TFLOP/s" ? `${f.tflops} TFLOP/s dense bf16` : `${f.gbps} GB/s`}`;
  const against = floors.length === 0 ? "" : ` Datasheet floor: ${floors.map(of).join(" and ")}.`;
  return `Achieved ${title}: the phase's FLOPs or minimum bytes (from the model's shape) ÷ its median time.${against}`;
}

/** Ours beside the peer's (aggregate.ts peerRatios): the ratio of medians, then ours / the peer's. */
function peerRatioTable(records: readonly GemRecord[], withModel: boolean): string | null {
  const rows = peerRatios(records, { withModel });
  if (rows.length === 0) return null;
  const unit = memoryUnit(Math.max(0, ...rows.flatMap((r) => [r.ours.peakBytes ?? 0, r.theirs?.peakBytes ?? 0])));
  const cell = (r: PeerRatioRow, f: keyof PhaseMedians): string => {
    if (r.theirs === null) return "<td>–</td>";
    const isMem = f === "peakBytes" || f === "decodeKvBytes";
    const show = (v: number | null, why: string | null = null): string => (isMem ? (v === null ? (why ?? "none") : fmem(v, unit)) : fms(v));
    if (!r.ours[f] && !r.theirs[f]) return "<td>–</td>"; // neither has it (dense: no filter pass)
    return `<td><b>${esc(fratio(r.ratio[f]))}</b><br><span class="note">${esc(show(r.ours[f]))} / ${esc(show(r.theirs[f], r.theirsNoMemory))}</span></td>`;
  };
  const body = rows
    .map((r) => {
      const head = `<th scope="row">${esc(r.variant)}</th><td>${esc(r.contextLength)}</td><td>${esc(r.peer)}</td>`;
      if (r.status !== "paired") return `<tr>${head}<td colspan="${PHASE_FIELDS.length}">${esc(r.status === "no peer" ? "no peer" : `peer failed: ${r.error ?? "?"}`)}</td></tr>`;
      return `<tr>${head}${PHASE_FIELDS.map((f) => cell(r, f)).join("")}</tr>`;
    })
    .join("");
  return (
    `<table class="data"><caption>Ours / the peer's, measured in the same run on the same weights: ratio of medians (below 1: ours is faster or smaller), then our median / the peer's (ms; memory in ${unit.name})</caption>` +
    `<thead><tr><th>Method</th><th>Context</th><th>Peer</th><th>Filter</th><th>Prefill</th><th>TTFT</th><th>Decode ms/token</th><th>Total</th><th>Peak total ${unit.name}</th><th>KV cache ${unit.name} (decode)</th></tr></thead><tbody>${body}</tbody></table>` +
    `<p class="note">The peer's memory is torch.cuda.max_memory_allocated per phase (allocator level, without the CUDA context); ours is the runner's own peak of bytes in use. On the CPU the peer counts no memory (the cell says so). "no peer": the peer has no such method.</p>`
  );
}

export const speedSection: Section = {
  id: "speed",
  title: "Speed and memory",
  build(records, ctx) {
    const timed = records.filter((r) => r.status === "completed" && (r.timings || r.memory));
    const bench = timed.filter((r) => r.suite === "bench");
    const rs = bench.length ? bench : timed;
    if (rs.length === 0) return null;
    const source = bench.length ? "the bench suite" : `all timed records (${uniq(rs.map((r) => r.suite)).join(", ")}; no bench suite in this run)`;
    const variants = uniq(rs.map((r) => variantOf(r, { withModel: ctx.withModel })));
    const groups = groupBy(rs, (r) => JSON.stringify([variantOf(r, { withModel: ctx.withModel }), contextLengthOf(r)]));
    const prefill: Point[] = [];
    const decode: Point[] = [];
    const mem: { variant: string; contextLength: number; phase: string; category: string; categoryIndex: number; size: number; peak: string }[] = [];
    const unit = memoryUnit(Math.max(0, ...rs.map((r) => r.memory?.peak.total ?? 0)));
    const lengths = uniq(rs.map(contextLengthOf)).sort((a, b) => a - b);
    const floors = floorsOf(rs);
    const ratePts = new Map<string, Point[]>();
    const rows: { cells: string; rates: string[] }[] = [];
    const keys = [...groups.keys()].sort((a, b) => {
      const [va, la] = JSON.parse(a) as [string, number];
      const [vb, lb] = JSON.parse(b) as [string, number];
      return variants.indexOf(va) - variants.indexOf(vb) || la - lb;
    });
    for (const key of keys) {
      const g = groups.get(key)!;
      const [variant, contextLength] = JSON.parse(key) as [string, number];
      const pt = (s: Spread | null, into: Point[]): void => {
        if (s) into.push({ variant, contextLength, median: s.median, min: s.min, max: s.max, n: s.n });
      };
      const ps = spreadOf(prefillSamples(g));
      const ds = spreadOf(decodeSamples(g));
      pt(ps, prefill);
      pt(ds, decode);
      const m = memorySummary(g);
      // every phase's split (filter / prefill / decode) of the case with the largest peak total; a phase the method
      // does not have (dense: no filter pass) has a zero total and no bar
      for (const phase of MEMORY_PHASES) {
        if (!m || m.phases[phase].total === 0) continue;
        const at = m.phases[phase];
        const peak = phase === m.peakPhase ? "peak total" : "";
        MEMORY_CATEGORIES.forEach((c, categoryIndex) => mem.push({ variant, contextLength, phase, category: c, categoryIndex, size: at[c] / unit.bytes, peak }));
      }
      const floor = floorOf(g);
      const rateCells: string[] = [];
      for (const rate of RATES) {
        const s = spreadOf(rateValues(g, rate.key));
        if (!s) continue;
        const list = ratePts.get(rate.key) ?? [];
        pt(s, list);
        ratePts.set(rate.key, list);
        rateCells.push(`${esc(rate.title)} ${esc(rateText(s.median, rate.unit, floor))}`);
      }
      rows.push({
        cells: `<th scope="row">${esc(variant)}</th><td>${esc(contextLength)}</td><td>${g.length}</td><td>${esc(fspread(ps))}</td><td>${esc(fspread(ds))}</td>${memoryCells(m, unit, noMemoryReason(g)).map((c) => `<td>${esc(c)}</td>`).join("")}`,
        rates: rateCells,
      });
    }
    const charts: Chart[] = [];
    const html: string[] = [`<p class="note">Source: ${esc(source)}. Times are medians over the kept repeats (warmups excluded) with min–max bars; memory in ${unit.name} (2<sup>${unit.power}</sup> bytes), weights included: ${esc(MEMORY_NOTE)}${ratePts.size ? esc(` Achieved TFLOP/s and GB/s: the phase's FLOPs or minimum bytes (from the model's shape) ÷ its median time${floors.length ? `; in brackets the share of the datasheet floor of the GPU the row ran on, ${floorsText(floors)}` : ""}.`) : ""}</p>`, `<div class="grid">`];
    if (prefill.length) {
      const id = ctx.chartId("prefill");
      charts.push({ id, spec: lineWithSpread(prefill, "Prefill ms (filter + prefill)", variants) });
      html.push(chartDiv(id, "Prefill time: GemFilter's filter pass plus the prefill that builds the decoding KV cache."));
    }
    if (decode.length) {
      const id = ctx.chartId("decode");
      charts.push({ id, spec: lineWithSpread(decode, "Decode ms / token", variants) });
      html.push(chartDiv(id, "Decode time per generated token."));
    }
    for (const rate of RATES) {
      const pts = ratePts.get(rate.key);
      if (pts === undefined) continue;
      const id = ctx.chartId("rate");
      charts.push({ id, spec: lineWithSpread(pts, rate.title, variants) });
      html.push(chartDiv(id, esc(rateCaption(rate.title, rate.unit, floors))));
    }
    html.push(`</div>`);
    if (mem.length) {
      const id = ctx.chartId("memory");
      const spec: TopLevelSpec = {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        config: CHART_CONFIG,
        data: { values: mem },
        facet: { field: "variant", type: "nominal", title: null, sort: variants, header: { labelAnchor: "start", labelLimit: 230 } },
        columns: Math.min(4, variants.length),
        spec: {
          width: Math.max(120, 60 * lengths.length),
          height: 170,
          mark: { type: "bar" },
          encoding: {
            x: { field: "contextLength", type: "ordinal", title: "Context length (tokens); bars: filter, prefill, decode", sort: lengths, axis: { labelExpr: K_LABEL, labelAngle: 0 } },
            xOffset: { field: "phase", type: "nominal", sort: [...MEMORY_PHASES] },
            y: { field: "size", type: "quantitative", title: `Memory at the phase's peak (${unit.name})`, stack: "zero" },
            color: { field: "category", type: "nominal", title: "Category", sort: [...MEMORY_CATEGORIES], scale: { domain: [...MEMORY_CATEGORIES], range: ["#9e9e9e", "#4e79a7", "#f28e2b", "#76b7b2"] } },
            order: { field: "categoryIndex", type: "quantitative", sort: "ascending" },
            tooltip: [
              { field: "variant", type: "nominal", title: "Method" },
              { field: "contextLength", type: "ordinal", title: "Context" },
              { field: "phase", type: "nominal", title: "Phase" },
              { field: "peak", type: "nominal", title: "Largest total" },
              { field: "category", type: "nominal", title: "Category" },
              { field: "size", type: "quantitative", title: unit.name, format: ".2f" },
            ],
          },
        },
        resolve: { axis: { x: "independent" } },
      };
      charts.push({ id, spec });
      html.push(chartDiv(id, `Memory by category (weights, KV cache, activations, workspace) at each phase's peak, ${unit.name}: per context length one bar per phase the method has (filter = GemFilter's filter pass, prefill, decode: the KV cache decoded from). The tallest bar is the peak total.`));
    }
    html.push(
      `<table class="data"><caption>Speed and memory: median (min–max)${profileTitle(rs) ? ` (${esc(profileTitle(rs))})` : ""}</caption><thead><tr><th>Method</th><th>Context</th><th>Cases</th><th>Prefill ms</th><th>Decode ms/token</th>${memoryHeader(unit).map((h) => `<th>${esc(h)}</th>`).join("")}${ratePts.size ? '<th class="l">Achieved</th>' : ""}</tr></thead><tbody>${rows
        .map((r) => `<tr>${r.cells}${ratePts.size ? `<td class="l">${r.rates.join("<br>")}</td>` : ""}</tr>`)
        .join("")}</tbody></table>`,
    );
    const load = machineLoadText(rs, ctx.withModel);
    if (load) {
      html.push(`<p class="note">Machine load: ${esc(load.summary)}</p>`);
      if (load.rows.length)
        html.push(`<table class="data"><caption>Records taken on a loaded machine</caption><thead><tr>${MACHINE_LOAD_HEADER.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${load.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`);
    }
    // all records of the suites shown, failed ones included: a peer that failed says so
    const ratios = peerRatioTable(records.filter((r) => rs.some((x) => x.suite === r.suite)), ctx.withModel);
    if (ratios) html.push(ratios);
    return { html: html.join("\n"), charts };
  },
};
