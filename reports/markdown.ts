// summary.md: per suite, a score table (mean headline score ×100 per method variant × dataset, with counts and
// failures; for LongBench the official aggregation, longbench-markdown.ts, instead) and a speed/memory table
// (medians with min–max over the raw samples, memory in GiB, or MiB for small models) with the achieved TFLOP/s and
// GB/s per phase where records carry them (against the GPU's datasheet floor where it is known: rates.ts).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { summaryMarkdown } from "./longbench-markdown.ts";
import { rulerMarkdown } from "./ruler-markdown.ts";
import { roundsMarkdown } from "./rounds.ts";
import { longbenchV2Markdown } from "./longbench-v2-markdown.ts";
import type { GemRecord } from "../core/records.ts";
import { compareMixed, contextLengthOf, datasetMeans, decodeMsPerTokenSamples, engineAgreement, groupBy, hasManyModels, headline, isFailure, meanOverDatasets, memorySummary, profileTitle, noMemoryReason, peerRatios, samplesOf, uniq, variantOf, type PeerRatioRow } from "./aggregate.ts";
import { fmem, fms, fratio, fspread, fx, memoryUnit } from "./format.ts";
import { memoryCells, memoryHeader, MEMORY_NOTE } from "./memory.ts";
import { md, mdTable } from "./markdown-table.ts";
import { MACHINE_LOAD_HEADER, machineLoadText } from "./machine-load.ts";
import { floorOf, floorsOf, floorsText, RATES, rateText, rateValues } from "./rates.ts";
import { spreadOf } from "../core/stats.ts";
import type { Reporter } from "./reporter.ts";

function scoreTable(records: readonly GemRecord[], withModel: boolean): string | null {
  const scored = records.filter((r) => headline(r) !== null || isFailure(r));
  if (!records.some((r) => headline(r) !== null)) return null;
  const datasets = uniq(scored.map((r) => r.dataset));
  const metrics = uniq(records.flatMap((r) => (headline(r) ? [`${r.dataset}: ${headline(r)!.metric}`] : [])));
  const byVariant = groupBy(scored, (r) => variantOf(r, { withModel }));
  const header = ["Method", ...datasets, ...(datasets.length > 1 ? ["Avg"] : []), "n", "Failed"];
  const rows: string[][] = [];
  for (const [variant, rs] of byVariant) {
    const means = datasetMeans(rs);
    const perDs = datasets.map((d) => means.find((m) => m.dataset === d)?.mean ?? null);
    const avg = meanOverDatasets(means);
    rows.push([
      variant,
      ...perDs.map((x) => fx(x === null ? null : 100 * x, 1)),
      ...(datasets.length > 1 ? [fx(avg === null ? null : 100 * avg, 1)] : []),
      String(rs.filter((r) => r.status === "completed").length),
      String(rs.filter(isFailure).length),
    ]);
  }
  return `Mean headline score × 100 (${metrics.join(", ")}); Avg = mean over datasets; n = completed cases; Failed = errored or unsupported.\n\n${mdTable(header, rows)}`;
}

function speedTable(records: readonly GemRecord[], withModel: boolean): string | null {
  const timed = records.filter((r) => r.status === "completed" && r.timings);
  if (timed.length === 0) return null;
  const unit = memoryUnit(Math.max(0, ...timed.map((r) => r.memory?.peak.total ?? 0)));
  const groups = groupBy(
    [...timed].sort((a, b) => contextLengthOf(a) - contextLengthOf(b)),
    (r) => JSON.stringify([variantOf(r, { withModel }), contextLengthOf(r)]),
  );
  const sortedKeys = [...groups.keys()].sort((a, b) => {
    const [va, la] = JSON.parse(a) as [string, number];
    const [vb, lb] = JSON.parse(b) as [string, number];
    const order = uniq(timed.map((r) => variantOf(r, { withModel })));
    return order.indexOf(va) - order.indexOf(vb) || compareMixed(la, lb);
  });
  const rates = RATES.filter((rate) => rateValues(timed, rate.key).length > 0);
  const floors = floorsOf(timed);
  const rows: string[][] = [];
  for (const key of sortedKeys) {
    const rs = groups.get(key)!;
    const [variant, len] = JSON.parse(key) as [string, number];
    const mem = memorySummary(rs);
    const floor = floorOf(rs);
    const rateCells = rates.map((rate) => {
      const s = spreadOf(rateValues(rs, rate.key));
      return s ? rateText(s.median, rate.unit, floor) : "–";
    });
    rows.push([
      variant,
      String(len),
      String(rs.length),
      fspread(spreadOf(samplesOf(rs, "filterMs"))),
      fspread(spreadOf(samplesOf(rs, "prefillMs"))),
      fspread(spreadOf(samplesOf(rs, "ttftMs"))),
      fspread(spreadOf(decodeMsPerTokenSamples(rs))),
      ...memoryCells(mem, unit, noMemoryReason(rs)),
      ...rateCells,
    ]);
  }
  const header = ["Method", "Context", "Cases", "Filter ms", "Prefill ms", "TTFT ms", "Decode ms/token", ...memoryHeader(unit), ...rates.map((r) => r.title)];
  const rateNote = rates.length === 0 ? "" : ` Achieved TFLOP/s and GB/s: the phase's FLOPs or minimum bytes (from the model's shape) ÷ its median time, median over the cases${floors.length ? `; in brackets the share of the datasheet floor of the GPU the row ran on, ${floorsText(floors)}` : ""}.`;
  return `Median (min–max) over all kept repeats of all cases; memory in ${unit.name} (2^${unit.power} bytes): ${MEMORY_NOTE}${rateNote}\n\n${mdTable(header, rows)}`;
}

/** Our/peer ratios (aggregate.ts peerRatios): per method and length, the ratio of medians then ours / the peer's. */
export function peerTable(records: readonly GemRecord[], withModel: boolean): string | null {
  const rows = peerRatios(records, { withModel });
  if (rows.length === 0) return null;
  const unit = memoryUnit(Math.max(0, ...rows.flatMap((r) => [r.ours.peakBytes ?? 0, r.theirs?.peakBytes ?? 0])));
  const ms = (r: PeerRatioRow, f: "filterMs" | "prefillMs" | "ttftMs" | "decodeMsPerToken" | "totalMs"): string =>
    r.theirs === null || !r.ours[f] || !r.theirs[f] ? "–" : `${fratio(r.ratio[f])} (${fms(r.ours[f])} / ${fms(r.theirs[f])})`;
  const mem = (r: PeerRatioRow, f: "peakBytes" | "decodeKvBytes"): string =>
    r.theirs![f] === null ? `– (${fmem(r.ours[f], unit)} / ${r.theirsNoMemory ?? "none"})` : `${fratio(r.ratio[f])} (${fmem(r.ours[f], unit)} / ${fmem(r.theirs![f], unit)})`;
  const body = rows.map((r) => {
    const head = [r.variant, String(r.contextLength), r.peer];
    if (r.status !== "paired") return [...head, r.status === "no peer" ? "no peer" : `peer failed: ${r.error ?? "?"}`, "", "", "", "", "", ""];
    return [...head, ms(r, "filterMs"), ms(r, "prefillMs"), ms(r, "ttftMs"), ms(r, "decodeMsPerToken"), ms(r, "totalMs"), mem(r, "peakBytes"), mem(r, "decodeKvBytes")];
  });
  const header = ["Method", "Context", "Peer", "Filter", "Prefill", "TTFT", "Decode ms/token", "Total", `Peak total ${unit.name}`, `KV cache ${unit.name} (decode)`];
  return (
    `Ours / the peer's: the ratio of the medians over all kept repeats (below 1: ours is faster or smaller), then our median / the peer's ` +
    `(ms, memory in ${unit.name}). The peer runs the same cells on the same weights in the same run (records with \`engine\`); ` +
    `its memory is torch.cuda.max_memory_allocated (allocator level, no CUDA context), ours the runner's own peak; ` +
    `on the CPU the peer counts none (the cell says so). "no peer": the peer has no such method.\n\n${mdTable(header, body)}`
  );
}

/** The native runner beside another engine on the same cells (aggregate.ts engineAgreement). */
export function enginesTable(records: readonly GemRecord[], withModel: boolean): string | null {
  const rows = engineAgreement(records, { withModel });
  if (rows.length === 0) return null;
  const body = rows.map((r) => [r.variant, r.engine, String(r.paired), r.metric ?? "–", fx(r.native, 3), fx(r.other, 3), fx(r.agreement, 3)]);
  return (
    `The same cells on the native runner and another engine (the same weights and input ids): the mean headline score of each over the ` +
    `cases both completed, and the share of those cases whose generated token ids are identical.\n\n` +
    mdTable(["Method", "Engine", "Paired cases", "Metric", "native", "other engine", "Same tokens"], body)
  );
}

export function markdownText(records: readonly GemRecord[]): string {
  const out: string[] = ["# gembench summary", ""];
  const runIds = uniq(records.map((r) => r.runId));
  out.push(`Run: ${runIds.map(md).join(", ") || "–"} · ${records.length} records`, "");
  const withModel = hasManyModels(records);
  for (const [suite, rs] of groupBy(records, (r) => r.suite)) {
    out.push(`## ${md(suite)}`, "");
    // every table title names the protocol profile its records ran under
    const prof = profileTitle(rs);
    const title = (s: string): string => (prof === "" ? `### ${s}` : `### ${s} (${md(prof)})`);
    const counts = groupBy(rs, (r) => r.status);
    out.push(
      [...counts].map(([s, xs]) => `${s}: ${xs.length}`).join(" · "),
      "",
    );
    // LongBench has its own official aggregation (rounded dataset scores, categories, Average, LongBench-E buckets):
    // the same numbers as `gembench score longbench`, not a mean of raw case scores.
    const s = suite === "longbench" ? (rs.some((r) => headline(r) !== null) ? summaryMarkdown(rs) : null) : scoreTable(rs, withModel);
    // RULER: its task × length tables (task scores, per-length averages) and the methods compared.
    if (suite === "ruler" && rs.some((r) => headline(r) !== null)) out.push(title("RULER"), "", rulerMarkdown(rs), "");
    if (suite === "longbench-v2" && rs.some((r) => headline(r) !== null)) out.push(title("LongBench v2"), "", longbenchV2Markdown(rs), "");
    if (s) out.push(title("Scores"), "", s, "");
    const rounds = roundsMarkdown(rs, withModel);
    if (rounds) out.push(title("Rounds and prompt protocols"), "", rounds, "");
    const t = speedTable(rs, withModel);
    if (t) out.push(title("Speed and memory"), "", t, "");
    const load = machineLoadText(rs, withModel);
    if (load) out.push(title("Machine load"), "", load.summary, "", ...(load.rows.length ? [mdTable(MACHINE_LOAD_HEADER, load.rows), ""] : []));
    const peers = peerTable(rs, withModel);
    if (peers) out.push(title("Ours vs the peer"), "", peers, "");
    const engines = enginesTable(rs, withModel);
    if (engines) out.push(title("Engines side by side"), "", engines, "");
    const failures = rs.filter(isFailure);
    if (failures.length) {
      out.push("### Failures", "");
      const byCode = groupBy(failures, (r) => `${r.status} ${r.error?.code ?? "?"}: ${r.error?.message ?? ""}`);
      for (const [what, xs] of byCode) out.push(`- ${md(what)} (${xs.length}×)${xs[0]?.error?.hint ? ` — hint: ${md(xs[0].error.hint)}` : ""}`);
      out.push("");
    }
  }
  return out.join("\n");
}

export const markdownReporter: Reporter = {
  name: "md",
  async write(runDir, records) {
    const path = join(runDir, "summary.md");
    writeFileSync(path, markdownText(records));
    return [path];
  },
};
