// Shared, format-independent views of records: headline scores, display variants, pooled timing samples, units.
// Every reporter builds on these so csv, md, html and compare agree on what "the score" and "the median" are.
import type { GemRecord, Scalar } from "../core/records.ts";
import { max, mean, median, min } from "../core/stats.ts";

export { mean };

export const GiB = 1024 ** 3;

/** Case-level axes that vary inside a cell (never part of a variant label). */
export const CASE_AXES = new Set(["contextLength", "depthPercent"]);

/** The suite's headline metric: the first key of `scores` (the Suite contract), or null when unscored. */
export function headline(r: GemRecord): { metric: string; value: number } | null {
  for (const [metric, value] of Object.entries(r.scores)) return { metric, value };
  return null;
}

export function scalarText(v: Scalar): string {
  if (v === null) return "null";
  return String(v);
}

/** `k=1024 filterLayer=13` in the record's own key order. */
export function paramsText(p: Record<string, Scalar>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${scalarText(v)}`)
    .join(" ");
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
 * A display name for "this method configuration": method label, plus swept values not in the label, plus the model
 * when the run has several. Stable across records of one cell.
 */
export function variantOf(r: GemRecord, opts: { withModel: boolean; omit?: ReadonlySet<string> }): string {
  const parts = [r.method.label];
  const extra = paramsText(extraSweep(r, opts.omit ?? CASE_AXES));
  if (extra) parts.push(extra);
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

export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
}
export function spreadOf(xs: readonly number[]): Spread | null {
  if (xs.length === 0) return null;
  return { n: xs.length, median: median(xs), min: min(xs), max: max(xs) };
}

/** Mean headline score of the completed, scored records, or null. */
export function meanHeadline(records: readonly GemRecord[]): number | null {
  const xs = records.filter((r) => r.status === "completed").flatMap((r) => {
    const h = headline(r);
    return h ? [h.value] : [];
  });
  return xs.length ? mean(xs) : null;
}

export type PeakBytes = NonNullable<GemRecord["memory"]>["peak"];
/** The largest peak (by total) over completed records, or null. */
export function peakOf(records: readonly GemRecord[]): PeakBytes | null {
  let best: PeakBytes | null = null;
  for (const r of records) {
    if (r.status !== "completed" || !r.memory) continue;
    if (!best || r.memory.peak.total > best.total) best = r.memory.peak;
  }
  return best;
}

/** Fixed-decimals formatting with a dash for missing values. */
export function fx(v: number | null | undefined, digits: number): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return v.toFixed(digits);
}

/** Milliseconds with precision that suits the magnitude. */
export function fms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function fspread(s: Spread | null): string {
  if (!s) return "–";
  if (s.n === 1) return fms(s.median);
  return `${fms(s.median)} (${fms(s.min)}–${fms(s.max)})`;
}

/** The unit memory is shown in: GiB, or MiB when the largest value is under half a GiB (small test models). */
export interface MemoryUnit {
  name: "GiB" | "MiB";
  bytes: number;
  /** The power of two, for "2^30 bytes" notes. */
  power: 30 | 20;
}
export function memoryUnit(largestBytes: number): MemoryUnit {
  return largestBytes >= GiB / 2 ? { name: "GiB", bytes: GiB, power: 30 } : { name: "MiB", bytes: 2 ** 20, power: 20 };
}

/** Bytes in the given unit with two decimals, a dash when missing. */
export function fmem(bytes: number | null | undefined, unit: MemoryUnit): string {
  if (bytes === null || bytes === undefined) return "–";
  return (bytes / unit.bytes).toFixed(2);
}

/** Sorts numeric-looking strings numerically, others lexically. */
export function compareMixed(a: Scalar, b: Scalar): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return scalarText(a).localeCompare(scalarText(b), "en", { numeric: true });
}

/** Dense (keep-everything) records: the baseline of difference columns. */
export const isDense = (r: GemRecord): boolean => r.method.name === "dense";

/** Markdown table cell: pipes and newlines would break the table; backslash-escape them. */
export function md(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A GitHub-flavoured markdown table; every cell escaped. Default alignment: first column left, the rest right. */
export function mdTable(header: string[], rows: string[][], align?: ("l" | "r")[]): string {
  const a = align ?? header.map((_, i) => (i === 0 ? "l" : "r"));
  const lines = [
    `| ${header.map(md).join(" | ")} |`,
    `|${a.map((x) => (x === "l" ? " :--- " : " ---: ")).join("|")}|`,
    ...rows.map((r) => `| ${r.map(md).join(" | ")} |`),
  ];
  return lines.join("\n");
}
