// The one aggregation of records every report reads (csv, md, html, compare and the console tables): headline
// scores and their means, display variants and groups, pooled timing samples and their medians (core/stats.ts: one
// median definition), peaks. Queries only: number formatting is in format.ts, markdown in markdown-table.ts.
import type { GemRecord, Scalar } from "../core/records.ts";
import { keptForViewer } from "../core/selection.ts";
import { mean, median } from "../core/stats.ts";
import { baseName, summarizeRecords } from "../datasets/longbench/aggregate.ts";
import { DATASETS, infoFor } from "../datasets/longbench/catalog.ts";
import { paramsText, scalarText } from "./format.ts";

/** Case-level axes that vary inside a cell (never part of a variant label). */
export const CASE_AXES = new Set(["contextLength", "depthPercent"]);

/** The suite's headline metric: the first key of `scores` (the Suite contract), or null when unscored. */
export function headline(r: GemRecord): { metric: string; value: number } | null {
  for (const [metric, value] of Object.entries(r.scores)) return { metric, value };
  return null;
}

/** Sweep entries that are not already method params and not case-level axes (e.g. a suite option swept). */
export function extraSweep(r: GemRecord, omit: ReadonlySet<string> = CASE_AXES): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(r.sweep)) {
    if (omit.has(k) || k in r.method.params) continue;
    out[k] = v;
  }
  return out;
}

/**
 * The protocol facts that tell a variant from the paper's, for records that carry them: the profile and the cell's
 * input cap ("longbench cap=127500", "paper cap=8192", "paper"); "" for records without a profile.
 */
export function protocolTag(protocol: Readonly<Record<string, Scalar>>): string {
  if (typeof protocol.profile !== "string") return "";
  const cap = protocol.inputCap;
  return cap === undefined || cap === null ? protocol.profile : `${protocol.profile} cap=${scalarText(cap)}`;
}

/**
 * The protocol profiles of records, for table titles: "profile longbench", "profiles chat, paper"; "" when no record
 * names one (the bench suite).
 */
export function profileTitle(records: readonly Pick<GemRecord, "protocol">[]): string {
  const ps = uniq(records.flatMap((r) => (typeof r.protocol.profile === "string" ? [r.protocol.profile] : [])));
  return ps.length === 0 ? "" : `profile${ps.length > 1 ? "s" : ""} ${ps.join(", ")}`;
}

/** The method label followed by the protocol tag, when there is one ("snapkv k=1024 gqa=mean · paper cap=128000"). */
export function labelWithProtocol(r: Pick<GemRecord, "method" | "protocol">): string {
  const tag = protocolTag(r.protocol);
  return tag === "" ? r.method.label : `${r.method.label} · ${tag}`;
}

/** The engine of a record: "native" (our runner; records without the field) or a peer's name ("transformers"). */
export const engineOf = (r: Pick<GemRecord, "engine">): string => r.engine ?? "native";

/**
 * A display name for "this method configuration": method label, plus swept values not in the label, plus the
 * protocol tag (profile, input cap), plus a peer engine's name ("dense · transformers"; withEngine false leaves it
 * out, to pair a peer's records with ours), plus the model when the run has several. Stable across records of one cell.
 */
export function variantOf(r: GemRecord, opts: { withModel: boolean; omit?: ReadonlySet<string>; withEngine?: boolean }): string {
  const parts = [r.method.label];
  const extra = paramsText(extraSweep(r, opts.omit ?? CASE_AXES));
  if (extra) parts.push(extra);
  const tag = protocolTag(r.protocol);
  if (tag) parts.push(`· ${tag}`);
  if (opts.withEngine !== false && engineOf(r) !== "native") parts.push(`· ${engineOf(r)}`);
  const v = parts.join(" ");
  return opts.withModel ? `${r.model.name} · ${v}` : v;
}

export function hasManyModels(records: readonly GemRecord[]): boolean {
  return new Set(records.map((r) => r.model.hash + r.model.name)).size > 1;
}

/** Group preserving first-seen order of keys. */
export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}

export function uniq<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

export function numericMeta(r: GemRecord, key: string): number | null {
  const v = r.caseMeta[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** The context length of a case: caseMeta.contextLength, else the sweep's, else the tokenised input length. */
export function contextLengthOf(r: GemRecord): number {
  const m = numericMeta(r, "contextLength");
  if (m !== null) return m;
  const s = r.sweep.contextLength;
  if (typeof s === "number") return s;
  return r.inputLength;
}

export const isFailure = (r: GemRecord): boolean => r.status === "errored" || r.status === "unsupported";

/** Pooled samples of a timing field over records (raw per-repeat samples where recorded, else the median). */
export type TimingField = "filterMs" | "prefillMs" | "decodeMs" | "ttftMs" | "totalMs";
export function samplesOf(records: readonly GemRecord[], field: TimingField): number[] {
  const out: number[] = [];
  for (const r of records) {
    if (r.status !== "completed" || !r.timings) continue;
    const s = r.timings.samples?.[field];
    if (s && s.length > 0) out.push(...s);
    else out.push(r.timings[field]);
  }
  return out;
}

/** Decode milliseconds per generated token, per sample. */
export function decodeMsPerTokenSamples(records: readonly GemRecord[]): number[] {
  const out: number[] = [];
  for (const r of records) {
    if (r.status !== "completed" || !r.timings || r.timings.decodeTokens <= 0) continue;
    const n = r.timings.decodeTokens;
    const s = r.timings.samples?.decodeMs;
    if (s && s.length > 0) out.push(...s.map((x) => x / n));
    else out.push(r.timings.decodeMs / n);
  }
  return out;
}

/** One dataset's mean headline score (per dataset and headline metric: the suite's first score key). */
export interface DatasetMean {
  dataset: string;
  metric: string;
  /** Completed cases with a score. */
  n: number;
  mean: number;
}

/**
 * Per dataset and headline metric, in first-seen order, the mean headline score over the completed scored records.
 * A group of records can span datasets with different metrics (LongBench), so this is the one way to average them.
 */
export function datasetMeans(records: readonly GemRecord[]): DatasetMean[] {
  const scored = records.filter((r) => r.status === "completed" && headline(r) !== null);
  return [...groupBy(scored, (r) => JSON.stringify([r.dataset, headline(r)!.metric])).values()].map((rs) => ({
    dataset: rs[0]!.dataset,
    metric: headline(rs[0]!)!.metric,
    n: rs.length,
    mean: mean(rs.map((r) => headline(r)!.value)),
  }));
}

/** The unweighted mean of per-dataset means (a mean over cases would mix metrics); null when there are none. */
export function meanOverDatasets(means: readonly { mean: number }[]): number | null {
  return means.length === 0 ? null : mean(means.map((m) => m.mean));
}

/** Median over completed records of their (per-case median) total time; null when none is timed. */
export function medianTotalMs(records: readonly GemRecord[]): number | null {
  const xs = records.flatMap((r) => (r.status === "completed" && r.timings !== null ? [r.timings.totalMs] : []));
  return xs.length === 0 ? null : median(xs);
}

/** A cell as the run expanded it (it may have no records: a model that failed to load). */
export interface RunCell {
  cellKey: string;
  model: string;
  suite: string;
  label: string;
}

/** A cell of a run: its case counts, one mean per dataset, and the median total time. */
export interface CellSummary extends RunCell {
  cases: number;
  completed: number;
  errored: number;
  unsupported: number;
  scores: DatasetMean[];
  medianTotalMs: number | null;
  /** The cell's memory over its cases (memorySummary); null when none is counted. */
  memory: MemorySummary | null;
}

/** The cells' summaries (in the cells' order) from the run folder's records (latest per recordKey). */
export function cellSummaries(cells: readonly RunCell[], records: readonly GemRecord[]): CellSummary[] {
  const byCell = groupBy(records, (r) => r.cellKey);
  return cells.map((c) => {
    const rs = byCell.get(c.cellKey) ?? [];
    const count = (status: GemRecord["status"]): number => rs.filter((r) => r.status === status).length;
    return { ...c, cases: rs.length, completed: count("completed"), errored: count("errored"), unsupported: count("unsupported"), scores: datasetMeans(rs), medianTotalMs: medianTotalMs(rs), memory: memorySummary(rs) };
  });
}

/** One method of the quick start: its score and how far it departs from dense on the same cases. */
export interface DepartureFromDense {
  label: string;
  /** Headline metric and its mean over the method's completed cases; null when unscored. */
  score: { metric: string; mean: number } | null;
  /** Cases with a dense output on the same case (0 for dense itself). */
  paired: number;
  sameFirstToken: number;
  sameOutput: number;
  /** Mean over cases with a needle span and a selection of the fraction of the needle's positions kept; null when none. */
  needleKept: number | null;
  medianTotalMs: number | null;
}

/**
 * Per method label (first-seen order): headline score, agreement with dense on the same case (same first token; same
 * whole output), the needle positions covered by the kept tokens (per-head methods: positions kept by at least half
 * of the layer × head sets, as the viewer shows them), and the median total time per case.
 */
export function departureFromDense(records: readonly GemRecord[]): DepartureFromDense[] {
  const done = records.filter((r) => r.status === "completed");
  const caseKey = (r: GemRecord): string => `${engineOf(r)}/${r.model.id}/${r.dataset}/${r.caseId}`;
  const denseOut = new Map(done.filter(isDense).map((r) => [caseKey(r), r.output?.ids ?? []]));
  return [...groupBy(done, (r) => (engineOf(r) === "native" ? r.method.label : `${r.method.label} · ${engineOf(r)}`))].map(([label, rs]) => {
    const m = datasetMeans(rs);
    let paired = 0;
    let sameFirstToken = 0;
    let sameOutput = 0;
    for (const r of rs) {
      const d = denseOut.get(caseKey(r));
      if (d === undefined || isDense(r)) continue;
      const ids = r.output?.ids ?? [];
      paired++;
      if (ids[0] !== undefined && ids[0] === d[0]) sameFirstToken++;
      if (JSON.stringify(d) === JSON.stringify(ids)) sameOutput++;
    }
    const kept = rs.flatMap((r) => {
      const start = r.caseMeta.needleStart, end = r.caseMeta.needleEnd;
      if (r.selection === null || typeof start !== "number" || typeof end !== "number" || end <= start) return [];
      const k = new Set(keptForViewer(r.selection, r.inputLength));
      let n = 0;
      for (let i = start; i < end; i++) if (k.has(i)) n++;
      return [n / (end - start)];
    });
    return {
      label,
      score: m.length === 0 ? null : { metric: m[0]!.metric, mean: meanOverDatasets(m)! },
      paired,
      sameFirstToken,
      sameOutput,
      needleKept: kept.length === 0 ? null : mean(kept),
      medianTotalMs: medianTotalMs(rs),
    };
  });
}

export type PeakBytes = NonNullable<GemRecord["memory"]>["peak"];
export const MEMORY_CATEGORIES = ["weights", "kv", "activations", "workspace"] as const;
export type MemoryCategory = (typeof MEMORY_CATEGORIES)[number];
export const MEMORY_PHASES = ["filter", "prefill", "decode"] as const;
export type MemoryPhase = (typeof MEMORY_PHASES)[number];
/** Column titles of the category labels ("KV cache MiB (max over phases)"). */
export const CATEGORY_TITLES: Record<MemoryCategory, string> = { weights: "Weights", kv: "KV cache", activations: "Activations", workspace: "Workspace" };

/**
 * The memory of a group of records, read three ways (a record's `memory.peak` is the split at the moment of its
 * largest total: for GemFilter that is the filter pass, with no KV cache held, so it alone would show GemFilter's KV
 * cache as 0):
 * - peak: the largest peak total over the records, the split by category at that moment and the phase it fell in;
 * - maxOverPhases: per category, the largest value of the per-phase splits (`memory.phases`) over the records, with
 *   the phase it came from;
 * - decodeKv: the KV cache the method decodes from (the largest `phases.decode.kv`): what SnapKV, H2O and GemFilter
 *   shrink;
 * - phases: the per-phase splits of the record with the largest peak total (the charts by phase).
 */
export interface MemorySummary {
  peak: PeakBytes;
  peakPhase: MemoryPhase;
  phases: NonNullable<GemRecord["memory"]>["phases"];
  /** phase null: the category is 0 in every phase. */
  maxOverPhases: Record<MemoryCategory, { bytes: number; phase: MemoryPhase | null }>;
  decodeKv: number;
}

/** The phase a record's peak total fell in: the first phase whose total is the largest. */
export function peakPhaseOf(memory: NonNullable<GemRecord["memory"]>): MemoryPhase {
  let best: MemoryPhase = "prefill";
  let total = -1;
  for (const p of MEMORY_PHASES) {
    if (memory.phases[p].total > total) {
      total = memory.phases[p].total;
      best = p;
    }
  }
  return best;
}

/** The memory summary (MemorySummary) over completed records with memory, or null when none has any. */
export function memorySummary(records: readonly GemRecord[]): MemorySummary | null {
  let out: MemorySummary | null = null;
  for (const r of records) {
    if (r.status !== "completed" || !r.memory) continue;
    const m = r.memory;
    if (out === null) {
      const maxOverPhases = {} as MemorySummary["maxOverPhases"];
      for (const c of MEMORY_CATEGORIES) maxOverPhases[c] = { bytes: 0, phase: null };
      out = { peak: m.peak, peakPhase: peakPhaseOf(m), phases: m.phases, maxOverPhases, decodeKv: m.phases.decode.kv };
    } else if (m.peak.total > out.peak.total) {
      out.peak = m.peak;
      out.peakPhase = peakPhaseOf(m);
      out.phases = m.phases;
    }
    out.decodeKv = Math.max(out.decodeKv, m.phases.decode.kv);
    for (const c of MEMORY_CATEGORIES) {
      for (const p of MEMORY_PHASES) {
        if (m.phases[p][c] > out.maxOverPhases[c].bytes) out.maxOverPhases[c] = { bytes: m.phases[p][c], phase: p };
      }
    }
  }
  return out;
}

/**
 * Why a group of completed records has no memory figure, for the cell that would show it: a peer on the CPU counts
 * none (torch has no allocator counter for host memory); null when some record has one.
 */
export function noMemoryReason(records: readonly GemRecord[]): string | null {
  const done = records.filter((r) => r.status === "completed");
  if (done.length === 0 || done.some((r) => r.memory !== null)) return null;
  const peer = done.find((r) => engineOf(r) !== "native");
  if (peer && (/^cpu/i.test(peer.environment.device) || peer.environment.gpu === null)) return `not counted: ${engineOf(peer)} on the CPU (torch counts no host allocations)`;
  return "not counted by the engine";
}

/** Sorts numeric-looking strings numerically, others lexically. */
export function compareMixed(a: Scalar, b: Scalar): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return scalarText(a).localeCompare(scalarText(b), "en", { numeric: true });
}

/** Dense (keep-everything) records: the baseline of difference columns. */
export const isDense = (r: GemRecord): boolean => r.method.name === "dense";

// ---------- LongBench: official per-cell scores ----------
// The official arithmetic (eval.py's rounding, LongBench-E buckets, category and overall averages) is written once, in
// datasets/longbench/aggregate.ts (also what `gembench score longbench` uses); here the records are grouped by cell.

type Summary = ReturnType<typeof summarizeRecords>;

export interface LongbenchCell {
  cellKey: string;
  model: string;
  method: string;
  methodName: string;
  /** Protocol facts shared by the cell's records (a value that differs between records is listed joined by " / "). */
  protocol: {
    profile: string;
    reference: string;
    deviations: string;
    promptSource: string;
    chatTemplateMode: string;
    scoring: string;
    truncationBudget: string;
    h2oInputCap: string | null;
  };
  summary: Summary;
  /** Records that did not complete (errored, unsupported, skipped): not in the scores. */
  failed: number;
}

export type LongbenchRecord = Pick<GemRecord, "cellKey" | "suite" | "dataset" | "status" | "scores" | "caseMeta" | "protocol" | "model" | "method">;

function joined(records: readonly LongbenchRecord[], key: string): string {
  const vals = [...new Set(records.map((r) => String(r.protocol[key] ?? "–")))];
  return vals.join(" / ");
}

/** One summary per cell of the longbench suite, in the order the cells first appear. */
export function longbenchCells(records: readonly LongbenchRecord[]): LongbenchCell[] {
  const byCell = new Map<string, LongbenchRecord[]>();
  for (const r of records) {
    if (r.suite !== "longbench") continue;
    const list = byCell.get(r.cellKey) ?? [];
    list.push(r);
    byCell.set(r.cellKey, list);
  }
  return [...byCell].map(([cellKey, rs]) => {
    const first = rs[0] as LongbenchRecord;
    return {
      cellKey,
      model: first.model.name,
      method: labelWithProtocol(first),
      methodName: first.method.name,
      protocol: {
        profile: joined(rs, "profile"),
        reference: joined(rs, "reference"),
        deviations: joined(rs, "deviations"),
        promptSource: joined(rs, "promptSource"),
        chatTemplateMode: joined(rs, "chatTemplateMode"),
        scoring: joined(rs, "scoring"),
        truncationBudget: joined(rs, "truncationBudget"),
        h2oInputCap: first.method.name === "h2o" ? joined(rs, "h2oInputCap") : null,
      },
      summary: summarizeRecords(rs),
      failed: rs.filter((r) => r.status !== "completed").length,
    };
  });
}

/** Flat rows (one per cell × dataset, category and the overall average) for CSV. */
export function longbenchRows(
  records: readonly LongbenchRecord[],
): { model: string; method: string; cellKey: string; row: "dataset" | "category" | "average"; name: string; category: string; score: number | null; n: number | null; "0-4k": number | null; "4-8k": number | null; "8k+": number | null }[] {
  const nan = (x: number | undefined): number | null => (x === undefined || Number.isNaN(x) ? null : x);
  const out: ReturnType<typeof longbenchRows> = [];
  for (const c of longbenchCells(records)) {
    const base = { model: c.model, method: c.method, cellKey: c.cellKey };
    for (const [name, d] of Object.entries(c.summary.datasets)) {
      const b = d.buckets;
      out.push({ ...base, row: "dataset", name, category: infoFor(baseName(name)).category, score: nan(d.score), n: d.n, "0-4k": nan(b?.["0-4k"]), "4-8k": nan(b?.["4-8k"]), "8k+": nan(b?.["8k+"]) });
    }
    for (const [cat, v] of Object.entries(c.summary.categories)) {
      out.push({ ...base, row: "category", name: cat, category: cat, score: nan(v), n: null, "0-4k": null, "4-8k": null, "8k+": null });
    }
    out.push({ ...base, row: "average", name: "Average", category: "", score: nan(c.summary.average), n: null, "0-4k": null, "4-8k": null, "8k+": null });
  }
  return out;
}

/** The datasets the cells scored, in the paper's order, each LongBench-E `<name>_e` right after `<name>`. */
export function datasetOrder(cells: readonly LongbenchCell[]): string[] {
  const names = new Set(cells.flatMap((c) => Object.keys(c.summary.datasets)));
  return DATASETS.flatMap((d) => [d.name, `${d.name}_e`]).filter((n) => names.has(n));
}

/** A LongBench-E cell: every dataset it scored is a `<name>_e` one. */
export function isLongBenchE(c: LongbenchCell): boolean {
  const names = Object.keys(c.summary.datasets);
  return names.length > 0 && names.every((n) => n.endsWith("_e"));
}

/**
 * Column labels for cells: `base(cell)`, and where two cells share one (the same method run as LongBench and as
 * LongBench-E, or with suite options that differ), " · LongBench-E" / " · LongBench" and then " #n" to tell them apart.
 */
export function cellLabels(cells: readonly LongbenchCell[], base: (c: LongbenchCell) => string): string[] {
  const first = cells.map(base);
  const second = first.map((l, i) => {
    if (first.filter((x) => x === l).length === 1) return l;
    return `${l} · ${isLongBenchE(cells[i] as LongbenchCell) ? "LongBench-E" : "LongBench"}`;
  });
  return second.map((l, i) => (second.filter((x) => x === l).length > 1 ? `${l} #${second.slice(0, i + 1).filter((x) => x === l).length}` : l));
}

// ---------- the speed peer: our/peer ratios ----------

/** A group's medians over its completed cases' pooled samples (null where there is none). */
export interface PhaseMedians {
  filterMs: number | null;
  prefillMs: number | null;
  ttftMs: number | null;
  decodeMsPerToken: number | null;
  totalMs: number | null;
  /** The largest peak total over the cases (bytes); null when the engine counts none (the peer on the CPU). */
  peakBytes: number | null;
  /** The KV cache decoded from (the largest phases.decode.kv, bytes); null likewise. */
  decodeKvBytes: number | null;
}
export const PHASE_FIELDS = ["filterMs", "prefillMs", "ttftMs", "decodeMsPerToken", "totalMs", "peakBytes", "decodeKvBytes"] as const;

export interface PeerRatioRow {
  variant: string;
  contextLength: number;
  peer: string;
  /** paired: both sides completed cases; no peer: the peer has no records of this cell (e.g. a method it does not
   *  implement); peer failed: only failed peer records (`error` says why, e.g. out_of_memory). */
  status: "paired" | "no peer" | "peer failed";
  error: string | null;
  ours: PhaseMedians;
  theirs: PhaseMedians | null;
  /** Why the peer's memory figures are null (noMemoryReason), or null. */
  theirsNoMemory: string | null;
  /** ours / theirs per field; null where either side has no figure or the peer's is 0 (dense has no filter pass). */
  ratio: Record<keyof PhaseMedians, number | null>;
}

function phaseMedians(rs: readonly GemRecord[]): PhaseMedians {
  const med = (xs: number[]): number | null => (xs.length === 0 ? null : median(xs));
  const mem = memorySummary(rs);
  return {
    filterMs: med(samplesOf(rs, "filterMs")),
    prefillMs: med(samplesOf(rs, "prefillMs")),
    ttftMs: med(samplesOf(rs, "ttftMs")),
    decodeMsPerToken: med(decodeMsPerTokenSamples(rs)),
    totalMs: med(samplesOf(rs, "totalMs")),
    peakBytes: mem?.peak.total ?? null,
    decodeKvBytes: mem?.decodeKv ?? null,
  };
}

/**
 * Our records side by side with a peer engine's (records with `engine` set, e.g. the bench suite's transformers peer)
 * on the same cell and context length: per method variant (the peer's engine name left out) and length, the ratio of
 * our median to the peer's for each phase, ms/token and the peak memory. One row per our variant × length × peer
 * engine, in our order; empty when the records hold no peer's.
 */
export function peerRatios(records: readonly GemRecord[], opts: { withModel: boolean }): PeerRatioRow[] {
  const peers = uniq(records.map(engineOf).filter((e) => e !== "native"));
  if (peers.length === 0) return [];
  const suites = new Set(records.filter((r) => engineOf(r) !== "native").map((r) => r.suite));
  const key = (r: GemRecord): string => JSON.stringify([r.suite, variantOf(r, { withModel: opts.withModel, withEngine: false }), contextLengthOf(r)]);
  const ours = groupBy(
    records.filter((r) => engineOf(r) === "native" && suites.has(r.suite)).sort((a, b) => contextLengthOf(a) - contextLengthOf(b)),
    key,
  );
  const order = uniq(records.filter((r) => engineOf(r) === "native").map((r) => variantOf(r, { withModel: opts.withModel })));
  const rows: PeerRatioRow[] = [];
  for (const [k, rs] of ours) {
    if (!rs.some((r) => r.status === "completed")) continue;
    const [, variant, contextLength] = JSON.parse(k) as [string, string, number];
    const o = phaseMedians(rs);
    for (const peer of peers) {
      const theirs = records.filter((r) => engineOf(r) === peer && key(r) === k);
      const done = theirs.filter((r) => r.status === "completed");
      const t = done.length > 0 ? phaseMedians(done) : null;
      const failed = theirs.find(isFailure);
      const ratio = {} as PeerRatioRow["ratio"];
      for (const f of PHASE_FIELDS) {
        const a = o[f];
        const b = t?.[f] ?? null;
        ratio[f] = a === null || b === null || b === 0 ? null : a / b;
      }
      rows.push({
        variant,
        contextLength,
        peer,
        status: t !== null ? "paired" : failed !== undefined ? "peer failed" : "no peer",
        error: t === null && failed !== undefined ? (failed.error?.code ?? failed.status) : null,
        ours: o,
        theirs: t,
        theirsNoMemory: noMemoryReason(done),
        ratio,
      });
    }
  }
  return rows.sort((a, b) => order.indexOf(a.variant) - order.indexOf(b.variant) || a.contextLength - b.contextLength);
}

// ---------- engines side by side: the same cells on the native runner and another engine ----------

export interface EngineAgreementRow {
  suite: string;
  /** The method variant without the engine's name. */
  variant: string;
  engine: string;
  /** The cases' headline metrics ("rouge_score / qa_f1_zh_score" where datasets differ), or null when unscored. */
  metric: string | null;
  /** Cases that completed on both engines (the rows' means and agreement are over these). */
  paired: number;
  native: number | null;
  other: number | null;
  /** The share of paired cases whose generated token ids are identical on both engines. */
  agreement: number | null;
}

/**
 * The native runner's records beside another engine's on the same cells (same suite, method variant and case): per
 * variant, the mean of each case's headline score on each engine over the cases both completed, and the share of those cases whose
 * generated tokens agree exactly. One row per native variant × other engine with paired cases, in the records' order;
 * empty when no other engine ran the same cells.
 */
export function engineAgreement(records: readonly GemRecord[], opts: { withModel: boolean }): EngineAgreementRow[] {
  const others = uniq(records.map(engineOf).filter((e) => e !== "native"));
  const variant = (r: GemRecord): string => variantOf(r, { withModel: opts.withModel, withEngine: false });
  const caseKey = (r: GemRecord): string => JSON.stringify([r.suite, variant(r), r.caseId]);
  const rows: EngineAgreementRow[] = [];
  for (const engine of others) {
    const theirs = new Map(records.filter((r) => engineOf(r) === engine && r.status === "completed").map((r) => [caseKey(r), r]));
    const ours = records.filter((r) => engineOf(r) === "native" && r.status === "completed");
    for (const [k, rs] of groupBy(ours, (r) => JSON.stringify([r.suite, variant(r)]))) {
      const pairs = rs.flatMap((r) => {
        const t = theirs.get(caseKey(r));
        return t === undefined ? [] : [[r, t] as const];
      });
      if (pairs.length === 0) continue;
      const [suite, v] = JSON.parse(k) as [string, string];
      // each case's own headline (a suite of several datasets, e.g. LongBench, scores them under different metrics)
      const metrics = uniq(pairs.map(([a]) => headline(a)?.metric ?? null));
      const metric = metrics.includes(null) ? null : metrics.join(" / ");
      const meanOf = (rs: readonly GemRecord[]): number | null => {
        const xs = rs.map((r) => headline(r)?.value ?? null);
        return metric === null || xs.some((x) => x === null) ? null : mean(xs as number[]);
      };
      const same = pairs.filter(([a, b]) => a.output !== null && b.output !== null && a.output.ids.length === b.output.ids.length && a.output.ids.every((x, i) => x === b.output!.ids[i])).length;
      rows.push({ suite, variant: v, engine, metric, paired: pairs.length, native: meanOf(pairs.map(([a]) => a)), other: meanOf(pairs.map(([, b]) => b)), agreement: same / pairs.length });
    }
  }
  return rows;
}
