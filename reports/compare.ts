// `gembench compare <baseline> <candidate>`: the CI regression gate. Cells are matched by cellKey (stable across runs:
// model content hash + method + params + suite options), cases inside a cell by caseId. Per matched cell:
//   - accuracy: mean of each score metric over the cases completed in both runs; delta in points (×100);
//   - speed: median over those cases of filter+prefill ms, decode ms/token and total ms; ratio candidate/baseline,
//     per context length when the cases record one (the worst length is reported); a ratio whose two medians are both
//     below minTimeMs is reported as "below floor" and not judged (sub-millisecond timings are noise);
//   - memory (aggregate.ts memorySummary): the largest peak total bytes over those cases, and the KV cache the method
//     decodes from; ratios candidate/baseline, per context length likewise;
//   - failures: a case that completed in the baseline and errored (or became unsupported) in the candidate.
// A cell regresses when a metric drops by more than maxAccuracyDrop points, a time ratio exceeds maxTimeRatio, the
// peak total or decode KV cache ratio exceeds maxMemoryRatio, or any case newly fails. Cells (and cases) present on one side only are
// listed, never a regression. Thresholds: defaults < thresholds file < flags; null turns a check off.
import { existsSync, statSync } from "node:fs";
import { MAX_BYTES, readJsonFile } from "../core/files.ts";
import { z } from "zod";
import { UsageError } from "../core/errors.ts";
import type { GemRecord } from "../core/records.ts";
import { latestRecords, loadRunRecords, readRecordsFile, recordFiles, RECORDS_FILE } from "../core/results.ts";
import { mean, median } from "../core/stats.ts";
import { fx } from "./format.ts";
import { groupBy, memorySummary, numericMeta, uniq, variantOf } from "./aggregate.ts";
import { mdTable } from "./markdown-table.ts";

export const Thresholds = z
  .object({
    /** Largest allowed drop of any score metric, in points (score × 100), e.g. 1 = one point absolute. */
    maxAccuracyDrop: z.number().min(0).nullable(),
    /** Largest allowed candidate/baseline ratio of median times (prefill, decode per token, total). */
    maxTimeRatio: z.number().positive().nullable(),
    /** Largest allowed candidate/baseline ratio of peak memory. */
    maxMemoryRatio: z.number().positive().nullable(),
    /** Time floor in ms: a time ratio whose baseline and candidate medians are both below it is not judged. */
    minTimeMs: z.number().min(0).nullable(),
  })
  .strict();
export type Thresholds = z.infer<typeof Thresholds>;

export const DEFAULT_THRESHOLDS: Thresholds = { maxAccuracyDrop: 1, maxTimeRatio: 1.1, maxMemoryRatio: 1.05, minTimeMs: 5 };

/** Comparisons are made with this slack so float noise (0.5 − 0.49 = 0.0100000…09) never decides a verdict. */
const EPS = 1e-9;

const ThresholdsFile = Thresholds.partial();

/** Reads a thresholds JSON file ({"maxAccuracyDrop": 2, "maxTimeRatio": null, …}); UsageError when malformed. */
export function readThresholdsFile(path: string): Partial<Thresholds> {
  let value: unknown;
  try {
    value = readJsonFile(path, { maxBytes: MAX_BYTES.smallJson, what: "thresholds file" });
  } catch (e) {
    throw new UsageError(`--thresholds: ${(e as Error).message}`);
  }
  const r = ThresholdsFile.safeParse(value);
  if (!r.success) throw new UsageError(`--thresholds: ${path}: ${r.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`).join("; ")}`);
  return r.data;
}

export type TimeField = "prefill" | "decodePerToken" | "total";
export const TIME_FIELDS: readonly { key: TimeField; title: string }[] = [
  { key: "prefill", title: "Prefill" },
  { key: "decodePerToken", title: "Decode/token" },
  { key: "total", title: "Total" },
];

function timeOf(r: GemRecord, f: TimeField): number | null {
  const t = r.timings;
  if (t === null) return null;
  switch (f) {
    case "prefill":
      return t.filterMs + t.prefillMs;
    case "decodePerToken":
      return t.decodeTokens > 0 ? t.decodeMs / t.decodeTokens : null;
    case "total":
      return t.totalMs;
  }
}

export interface MetricDelta {
  metric: string;
  baseline: number;
  candidate: number;
  /** (candidate − baseline) × 100 */
  deltaPoints: number;
}
export interface Ratio {
  baseline: number;
  candidate: number;
  ratio: number;
  /** The context length of the worst group, or null when the cell's cases carry none. */
  at: number | null;
}

/** A time ratio; belowFloor: both medians are under the time floor (minTimeMs), so the ratio is shown, not judged. */
export interface TimeRatio extends Ratio {
  belowFloor: boolean;
}

export interface CellComparison {
  cellKey: string;
  suite: string;
  model: string;
  method: string;
  /** Cases completed in both runs (what accuracy, speed and memory are computed over). */
  compared: number;
  baselineCases: number;
  candidateCases: number;
  /** caseIds in the baseline only / the candidate only. */
  missingCases: string[];
  addedCases: string[];
  /** Completed in the baseline, errored or unsupported in the candidate. */
  newlyFailing: string[];
  /** Failed in the baseline, completed in the candidate. */
  fixed: string[];
  /** Cases failed on both sides. */
  stillFailing: string[];
  /**
   * One entry per (dataset, score metric), the suite's headline metric first; named "<metric>" for a one-dataset
   * cell and "<dataset> <metric>" otherwise, led by "average of N datasets" (macro average of the headlines).
   */
  metrics: MetricDelta[];
  /**
   * Worst candidate/baseline ratio of median times over the cell's context-length groups: the worst judged one, or
   * when every group is below the time floor, the worst of those (belowFloor).
   */
  times: Partial<Record<TimeField, TimeRatio>>;
  /** Worst candidate/baseline ratio of peak memory (largest over the group's cases) over the context-length groups. */
  memory: Ratio | null;
  /** Worst candidate/baseline ratio of the KV cache decoded from (memorySummary decodeKv), likewise. */
  kvCache: Ratio | null;
  /** Why this cell regressed; empty when it did not. */
  regressions: string[];
}

export interface CellRef {
  cellKey: string;
  suite: string;
  model: string;
  method: string;
  cases: number;
}

export interface RunSide {
  label: string;
  records: number;
  runIds: string[];
  commits: string[];
  devices: string[];
}

export interface CompareResult {
  thresholds: Thresholds;
  baseline: RunSide;
  candidate: RunSide;
  cells: CellComparison[];
  missingCells: CellRef[];
  addedCells: CellRef[];
  regressed: boolean;
}

const failed = (r: GemRecord): boolean => r.status === "errored" || r.status === "unsupported";

function describe(rs: readonly GemRecord[]): Omit<CellRef, "cases"> {
  const r = rs[0]!;
  // The method label plus every swept value not in the params (in a sweep, contextLength can be a cell axis).
  return { cellKey: r.cellKey, suite: r.suite, model: r.model.name, method: variantOf(r, { withModel: false, omit: new Set() }) };
}

function side(label: string, rs: readonly GemRecord[]): RunSide {
  return {
    label,
    records: rs.length,
    runIds: uniq(rs.map((r) => r.runId)),
    commits: uniq(rs.map((r) => r.environment.commit)),
    devices: uniq(rs.map((r) => [r.environment.gpu ?? r.environment.device, r.environment.host].join(" on "))),
  };
}

const ratioText = (r: Ratio | null | undefined): string => (r ? `×${r.ratio.toFixed(2)}` : "–");
const timeRatioText = (r: TimeRatio | undefined): string => (r?.belowFloor ? `${ratioText(r)} below floor` : ratioText(r));
const ratioAt = (r: Ratio): string => `×${r.ratio.toFixed(3)}${r.at === null ? "" : ` at context ${r.at}`}`;

const points = (x: number): string => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}`;

function compareCell(base: readonly GemRecord[], cand: readonly GemRecord[], t: Thresholds): CellComparison {
  const b = new Map(base.map((r) => [r.caseId, r]));
  const c = new Map(cand.map((r) => [r.caseId, r]));
  const missingCases = [...b.keys()].filter((id) => !c.has(id));
  const addedCases = [...c.keys()].filter((id) => !b.has(id));
  const newlyFailing: string[] = [];
  const fixed: string[] = [];
  const stillFailing: string[] = [];
  const both: [GemRecord, GemRecord][] = [];
  for (const [id, rb] of b) {
    const rc = c.get(id);
    if (rc === undefined) continue;
    if (rb.status === "completed" && failed(rc)) newlyFailing.push(id);
    else if (failed(rb) && rc.status === "completed") fixed.push(id);
    else if (failed(rb) && failed(rc)) stillFailing.push(id);
    else if (rb.status === "completed" && rc.status === "completed") both.push([rb, rc]);
  }
  const regressions: string[] = [];
  if (newlyFailing.length > 0) {
    const codes = uniq(newlyFailing.map((id) => c.get(id)!.error?.code ?? c.get(id)!.status));
    regressions.push(`${newlyFailing.length} case${newlyFailing.length === 1 ? "" : "s"} newly failing (${codes.join(", ")})`);
  }

  // Per dataset, every score metric in the order the records list them (headline first), over the cases that have it
  // on both sides. A cell spanning several datasets (LongBench) also gets their macro average of headline metrics.
  const metrics: MetricDelta[] = [];
  const byDataset = groupBy(both, ([rb]) => rb.dataset);
  const headlines: { baseline: number; candidate: number }[] = [];
  for (const [dataset, pairs] of byDataset) {
    const names = uniq(pairs.flatMap(([rb]) => Object.keys(rb.scores)));
    names.forEach((m, i) => {
      const ps = pairs.filter(([rb, rc]) => rb.scores[m] !== undefined && rc.scores[m] !== undefined);
      if (ps.length === 0) return;
      const d = { metric: byDataset.size > 1 ? `${dataset} ${m}` : m, baseline: mean(ps.map(([rb]) => rb.scores[m]!)), candidate: mean(ps.map(([, rc]) => rc.scores[m]!)), deltaPoints: 0 };
      d.deltaPoints = 100 * (d.candidate - d.baseline);
      metrics.push(d);
      if (i === 0) headlines.push(d);
    });
  }
  if (headlines.length > 1) {
    const baseline = mean(headlines.map((h) => h.baseline));
    const candidate = mean(headlines.map((h) => h.candidate));
    metrics.unshift({ metric: `average of ${headlines.length} datasets`, baseline, candidate, deltaPoints: 100 * (candidate - baseline) });
  }
  if (t.maxAccuracyDrop !== null) {
    for (const d of metrics) if (-d.deltaPoints > t.maxAccuracyDrop + EPS) regressions.push(`${d.metric} ${points(d.deltaPoints)} points (max drop ${t.maxAccuracyDrop})`);
  }

  // Speed and memory are compared per context length where the suite records one (caseMeta.contextLength: NIAH,
  // bench), so a slowdown at one length is not hidden by a median over lengths; otherwise over the whole cell. The
  // worst group is kept.
  const byLength = groupBy(both, ([rb]) => String(numericMeta(rb, "contextLength") ?? ""));
  const worse = (prev: Ratio | undefined | null, next: Ratio): Ratio => (prev && prev.ratio >= next.ratio ? prev : next);
  // a judged ratio always outranks one below the floor
  const worseTime = (prev: TimeRatio | undefined, next: TimeRatio): TimeRatio =>
    prev === undefined || prev.belowFloor !== next.belowFloor ? (prev && !prev.belowFloor ? prev : next) : prev.ratio >= next.ratio ? prev : next;
  const floor = t.minTimeMs;
  const times: Partial<Record<TimeField, TimeRatio>> = {};
  let memory: Ratio | null = null;
  let kvCache: Ratio | null = null;
  for (const [len, pairs] of byLength) {
    const at = len === "" ? null : Number(len);
    for (const { key } of TIME_FIELDS) {
      const xs = pairs.flatMap(([rb, rc]) => {
        const x = timeOf(rb, key);
        const y = timeOf(rc, key);
        return x !== null && y !== null ? [[x, y] as const] : [];
      });
      if (xs.length === 0) continue;
      const mb = median(xs.map(([x]) => x));
      const mc = median(xs.map(([, y]) => y));
      if (mb > 0) times[key] = worseTime(times[key], { baseline: mb, candidate: mc, ratio: mc / mb, at, belowFloor: floor !== null && mb < floor && mc < floor });
    }
    const mems = pairs.filter(([rb, rc]) => rb.memory !== null && rc.memory !== null);
    const mb = memorySummary(mems.map(([rb]) => rb));
    const mc = memorySummary(mems.map(([, rc]) => rc));
    if (mb && mc) {
      if (mb.peak.total > 0) memory = worse(memory, { baseline: mb.peak.total, candidate: mc.peak.total, ratio: mc.peak.total / mb.peak.total, at });
      if (mb.decodeKv > 0) kvCache = worse(kvCache, { baseline: mb.decodeKv, candidate: mc.decodeKv, ratio: mc.decodeKv / mb.decodeKv, at });
    }
  }
  for (const { key, title } of TIME_FIELDS) {
    const r = times[key];
    if (r && !r.belowFloor && t.maxTimeRatio !== null && r.ratio > t.maxTimeRatio + EPS) regressions.push(`${title.toLowerCase()} time ${ratioAt(r)} (max ×${t.maxTimeRatio})`);
  }
  if (memory && t.maxMemoryRatio !== null && memory.ratio > t.maxMemoryRatio + EPS) regressions.push(`peak total memory ${ratioAt(memory)} (max ×${t.maxMemoryRatio})`);
  if (kvCache && t.maxMemoryRatio !== null && kvCache.ratio > t.maxMemoryRatio + EPS) regressions.push(`KV cache (decode) ${ratioAt(kvCache)} (max ×${t.maxMemoryRatio})`);

  return {
    ...describe(base),
    compared: both.length,
    baselineCases: b.size,
    candidateCases: c.size,
    missingCases,
    addedCases,
    newlyFailing,
    fixed,
    stillFailing,
    metrics,
    times,
    memory,
    kvCache,
    regressions,
  };
}

/**
 * A record's protocol profile as compared: its name, and for LongBench whether it names its reference. LongBench
 * records from before profiles named their reference have none: their `longbench` ran the model's chat template (today's `chat`), not THUDM's
 * pred.py, so they pair with neither.
 */
function profileOf(r: GemRecord): string | null {
  const p = r.protocol.profile;
  if (typeof p !== "string") return null;
  return r.suite !== "longbench" || typeof r.protocol.reference === "string" ? p : `${p} (recorded before profiles named their reference)`;
}

/**
 * UsageError when a cell matched in both runs ran under different protocol profiles: their scores come from
 * different pipelines (chat template or not, budgets, stop rules) and a ratio or a drop between them means nothing.
 */
function refuseMixedProfiles(b: Map<string, GemRecord[]>, c: Map<string, GemRecord[]>): void {
  const clashes: string[] = [];
  for (const [key, rs] of b) {
    const cs = c.get(key);
    if (cs === undefined) continue;
    const pb = uniq(rs.map(profileOf)).filter((x) => x !== null);
    const pc = uniq(cs.map(profileOf)).filter((x) => x !== null);
    if (pb.join() !== pc.join()) clashes.push(`${describe(rs).method} (${describe(rs).suite}): baseline ${pb.join(", ") || "none"}, candidate ${pc.join(", ") || "none"}`);
  }
  if (clashes.length > 0) {
    throw new UsageError(
      `the runs used different protocol profiles, so their cells cannot be compared: ${clashes.slice(0, 5).join("; ")}${clashes.length > 5 ? `; and ${clashes.length - 5} more` : ""}. Rerun the baseline under the candidate's profile (suite option "profile").`,
    );
  }
}

/** Compares two runs' records (latest per recordKey). Pure: no I/O. UsageError when matched cells differ in profile. */
export function compareRuns(
  baseline: readonly GemRecord[],
  candidate: readonly GemRecord[],
  thresholds: Thresholds = DEFAULT_THRESHOLDS,
  labels: { baseline: string; candidate: string } = { baseline: "baseline", candidate: "candidate" },
): CompareResult {
  const b = groupBy(baseline, (r) => r.cellKey);
  const c = groupBy(candidate, (r) => r.cellKey);
  refuseMixedProfiles(b, c);
  const cells: CellComparison[] = [];
  const missingCells: CellRef[] = [];
  for (const [key, rs] of b) {
    const cs = c.get(key);
    if (cs === undefined) missingCells.push({ ...describe(rs), cases: rs.length });
    else cells.push(compareCell(rs, cs, thresholds));
  }
  const addedCells = [...c].filter(([key]) => !b.has(key)).map(([, rs]) => ({ ...describe(rs), cases: rs.length }));
  return {
    thresholds,
    baseline: side(labels.baseline, baseline),
    candidate: side(labels.candidate, candidate),
    cells,
    missingCells,
    addedCells,
    regressed: cells.some((x) => x.regressions.length > 0),
  };
}


function thresholdText(t: Thresholds): string {
  return [
    t.maxAccuracyDrop === null ? "accuracy: not gated" : `accuracy drop ≤ ${t.maxAccuracyDrop} points`,
    t.maxTimeRatio === null ? "time: not gated" : `time ratio ≤ ×${t.maxTimeRatio}${t.minTimeMs === null ? "" : ` (not judged where both medians are below ${t.minTimeMs} ms)`}`,
    t.maxMemoryRatio === null ? "memory: not gated" : `memory ratio ≤ ×${t.maxMemoryRatio}`,
  ].join(" · ");
}

function sideText(s: RunSide): string {
  return `\`${s.label}\` (${s.runIds.join(", ") || "no records"}; ${s.records} records; commit ${s.commits.join(", ") || "–"}; ${s.devices.join(", ") || "–"})`;
}

function cellCases(x: CellComparison): string {
  const extra: string[] = [];
  if (x.missingCases.length) extra.push(`${x.missingCases.length} missing`);
  if (x.addedCases.length) extra.push(`${x.addedCases.length} added`);
  if (x.stillFailing.length) extra.push(`${x.stillFailing.length} failing in both`);
  if (x.fixed.length) extra.push(`${x.fixed.length} fixed`);
  return `${x.compared}${extra.length ? ` (${extra.join(", ")})` : ""}`;
}

/** The comparison as markdown (for a CI job summary): verdict, thresholds, one row per matched cell, one-sided cells. */
export function compareMarkdown(res: CompareResult): string {
  const regressed = res.cells.filter((x) => x.regressions.length > 0);
  const out: string[] = ["## gembench compare", ""];
  out.push(
    regressed.length
      ? `**❌ Regression: ${regressed.length} of ${res.cells.length} matched cells regressed.**`
      : `**✅ No regression: ${res.cells.length} matched cell${res.cells.length === 1 ? "" : "s"} within thresholds.**`,
    "",
    `- Baseline: ${sideText(res.baseline)}`,
    `- Candidate: ${sideText(res.candidate)}`,
    `- Thresholds: ${thresholdText(res.thresholds)}`,
  );
  if (res.baseline.devices.join() !== res.candidate.devices.join()) out.push(`- ⚠ The runs were measured on different devices; time and memory ratios compare different machines.`);
  out.push("");
  const withModel = uniq([...res.cells.map((x) => x.model), ...res.missingCells.map((x) => x.model), ...res.addedCells.map((x) => x.model)]).length > 1;
  const header = ["", "Suite", ...(withModel ? ["Model"] : []), "Method", "Cases", "Metric", "Baseline", "Candidate", "Δ points", ...TIME_FIELDS.map((f) => `${f.title} time`), "Peak total memory", "KV cache (decode)", "Regression"];
  // Regressed cells first, then the rest, each in baseline order.
  const ordered = [...regressed, ...res.cells.filter((x) => x.regressions.length === 0)];
  const rows = ordered.map((x) => {
    const h = x.metrics[0];
    return [
      x.regressions.length ? "❌" : "✅",
      x.suite,
      ...(withModel ? [x.model] : []),
      x.method,
      cellCases(x),
      h?.metric ?? "–",
      fx(h ? 100 * h.baseline : null, 2),
      fx(h ? 100 * h.candidate : null, 2),
      h ? points(h.deltaPoints) : "–",
      ...TIME_FIELDS.map((f) => timeRatioText(x.times[f.key])),
      ratioText(x.memory),
      ratioText(x.kvCache),
      x.regressions.join("; ") || "–",
    ];
  });
  const numeric = new Set(["Baseline", "Candidate", "Δ points", "Peak total memory", "KV cache (decode)", ...TIME_FIELDS.map((f) => `${f.title} time`)]);
  if (rows.length) out.push(mdTable(header, rows, header.map((h) => (numeric.has(h) ? "r" : "l"))), "");
  out.push(
    "Scores: mean × 100 over the cases completed in both runs (the first metric shown; every metric of every dataset is gated). Times: candidate/baseline ratio of medians over those cases (prefill includes GemFilter's filter pass); \"below floor\": both medians under the time floor, shown but not judged; memory: ratio of the largest peak totals, and of the KV caches the methods decode from (GemFilter's peak total falls in its filter pass, with no KV cache held); all per context length where cases record one, worst length shown.",
    "",
  );
  const refs = (title: string, xs: CellRef[]): void => {
    if (xs.length === 0) return;
    out.push(`### ${title} (${xs.length}, not a regression)`, "");
    for (const x of xs) out.push(`- ${x.suite} · ${withModel ? `${x.model} · ` : ""}${x.method} (${x.cases} cases, cell ${x.cellKey})`);
    out.push("");
  };
  refs("Cells only in the baseline (missing from the candidate)", res.missingCells);
  refs("Cells only in the candidate (added)", res.addedCells);
  return out.join("\n");
}

/**
 * A run folder (all its record files, shards merged, as loadRunRecords) or one records file; latest record per
 * recordKey. UsageError when absent or when the folder's shards do not belong together.
 */
export function loadComparable(path: string, which: string): GemRecord[] {
  if (!existsSync(path)) throw new UsageError(`${which}: ${path} does not exist`);
  if (statSync(path).isDirectory()) {
    if (recordFiles(path).length === 0) throw new UsageError(`${which}: ${path} has no ${RECORDS_FILE} (is it a run folder?)`);
    try {
      return loadRunRecords(path);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`${which}: ${e.message}`);
      throw e;
    }
  }
  return latestRecords(readRecordsFile(path, { repair: false }).all);
}

export interface CompareOptions {
  thresholdsFile?: string;
  /** Flag values override the file; null turns a check off. */
  flags?: Partial<Thresholds>;
}

/** `gembench compare`: exit code 0 (no regression) or 1 (regression), and the markdown for stdout. */
export function compareCommand(baselinePath: string, candidatePath: string, o: CompareOptions = {}): { code: 0 | 1; stdout: string; result: CompareResult } {
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS, ...(o.thresholdsFile ? readThresholdsFile(o.thresholdsFile) : {}), ...(o.flags ?? {}) };
  const base = loadComparable(baselinePath, "baseline");
  const cand = loadComparable(candidatePath, "candidate");
  const result = compareRuns(base, cand, thresholds, { baseline: baselinePath, candidate: candidatePath });
  if (result.cells.length === 0) {
    const pb = uniq(base.map(profileOf)).filter((x) => x !== null);
    const pc = uniq(cand.map(profileOf)).filter((x) => x !== null);
    const profiles = pb.join() === pc.join() ? "" : ` (they ran different protocol profiles: ${pb.join(", ") || "none"} and ${pc.join(", ") || "none"}; runs of different profiles are not compared)`;
    throw new UsageError(
      `no cells in common between ${baselinePath} (${result.missingCells.length} cells) and ${candidatePath} (${result.addedCells.length} cells): were they run from the same config and models?${profiles}`,
    );
  }
  return { code: result.regressed ? 1 : 0, stdout: compareMarkdown(result), result };
}
