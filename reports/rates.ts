// Achieved rates as reports show them: the record's timings.rates (engines/phase-work.ts computes them in the harness)
// with readable names, and, where the record's runner ran on a GPU whose datasheet figures we know, the floor they
// are read against. Floors are datasheet figures (dense bf16 tensor FLOP/s, HBM bandwidth), never measurements, and
// only for the cuda backend (bf16: the only dtype it runs); a CPU or an unknown GPU gets none.
import type { Environment, GemRecord, PhaseRates } from "../core/records.ts";

export type RateKey = keyof PhaseRates;

/** Every rate a record may carry, in display order, with its title and unit. */
export const RATES: readonly { key: RateKey; title: string; unit: "TFLOP/s" | "GB/s" }[] = [
  { key: "filterTflops", title: "Filter TFLOP/s", unit: "TFLOP/s" },
  { key: "prefillTflops", title: "Prefill TFLOP/s", unit: "TFLOP/s" },
  { key: "decodeTflops", title: "Decode TFLOP/s", unit: "TFLOP/s" },
  { key: "prefillGBps", title: "Prefill GB/s", unit: "GB/s" },
  { key: "decodeGBps", title: "Decode GB/s", unit: "GB/s" },
];

export interface DeviceFloor {
  /** The datasheet's name of the part. */
  name: string;
  tflops: number;
  gbps: number;
}

// NVIDIA datasheets: dense bf16 tensor-core TFLOP/s (half the "with sparsity" figure) and memory bandwidth.
// Matched against the runner's device name (cudaDeviceProp::name); NVL before the plain names they contain.
const FLOORS: readonly { match: RegExp; floor: DeviceFloor }[] = [
  { match: /\bH200 NVL\b/i, floor: { name: "H200 NVL", tflops: 835, gbps: 4800 } },
  { match: /\bH200\b/i, floor: { name: "H200 SXM", tflops: 989, gbps: 4800 } },
  { match: /\bH100 NVL\b/i, floor: { name: "H100 NVL", tflops: 835, gbps: 3900 } },
  { match: /\bH100 PCIe\b/i, floor: { name: "H100 PCIe", tflops: 756, gbps: 2000 } },
  { match: /\bH100\b.*\b(SXM|HBM3)\b/i, floor: { name: "H100 SXM", tflops: 989, gbps: 3350 } },
];

/** The datasheet floor of the GPU a record's runner used; null on the CPU or an unlisted GPU. */
export function deviceFloor(env: Pick<Environment, "backend" | "device">): DeviceFloor | null {
  if (env.backend !== "cuda") return null;
  return FLOORS.find((f) => f.match.test(env.device))?.floor ?? null;
}

/** The one floor of a set of records, e.g. one table row's (null when none, or when they ran on different parts). */
export function floorOf(records: readonly GemRecord[]): DeviceFloor | null {
  const floors = records.map((r) => deviceFloor(r.environment));
  const first = floors[0] ?? null;
  return first !== null && floors.every((f) => f?.name === first.name) ? first : null;
}

/** The distinct floors of the records that have one (for the notes beside a table or chart). */
export function floorsOf(records: readonly GemRecord[]): DeviceFloor[] {
  const byName = new Map<string, DeviceFloor>();
  for (const r of records) {
    const f = deviceFloor(r.environment);
    if (f !== null) byName.set(f.name, f);
  }
  return [...byName.values()];
}

/** "the H100 SXM's (989 TFLOP/s dense bf16, 3350 GB/s)" for each floor, joined with "and". */
export function floorsText(floors: readonly DeviceFloor[]): string {
  return floors.map((f) => `the ${f.name}'s (${f.tflops} TFLOP/s dense bf16, ${f.gbps} GB/s)`).join(" and ");
}

/** One rate of every completed record that carries it. */
export function rateValues(records: readonly GemRecord[], key: RateKey): number[] {
  return records.flatMap((r) => {
    const v = r.status === "completed" ? r.timings?.rates?.[key] : undefined;
    return v === undefined ? [] : [v];
  });
}

/** A rate with three significant figures (CPU rates are small: 0.0123), a dash when missing. */
export function frate(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return v.toPrecision(3);
}

/** "412 (42% of 989)" against a floor, or the rate alone. */
export function rateText(v: number, unit: "TFLOP/s" | "GB/s", floor: DeviceFloor | null): string {
  if (floor === null) return frate(v);
  const of = unit === "TFLOP/s" ? floor.tflops : floor.gbps;
  return `${frate(v)} (${Math.round((100 * v) / of)}% of ${of})`;
}
