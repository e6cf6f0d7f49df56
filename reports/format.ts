// Number and value formatting shared by every report: fixed decimals with a dash for missing values, milliseconds,
// spreads, memory units, parameter text.
import type { Scalar } from "../core/records.ts";
import type { Spread } from "../core/stats.ts";

export const GiB = 1024 ** 3;

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

/** A ratio as "0.52×" (two decimals, three below 0.1), a dash when missing. */
export function fratio(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return `${v.toFixed(v < 0.1 ? 3 : 2)}×`;
}
