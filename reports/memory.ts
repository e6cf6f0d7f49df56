// The memory columns of the speed tables (summary.md, the HTML report): labels that say which figure each is, and
// the cells from aggregate.ts memorySummary. One definition, so every presentation shows the same numbers.
import { CATEGORY_TITLES, type MemorySummary } from "./aggregate.ts";
import { fmem, type MemoryUnit } from "./format.ts";

/** Categories shown as their largest value over the phases (weights are the same in every phase: in the split). */
const MAX_COLUMNS = ["kv", "activations", "workspace"] as const;

export function memoryHeader(unit: MemoryUnit): string[] {
  return [
    `Peak total ${unit.name} (phase)`,
    `At peak total ${unit.name}: weights / KV / activations / workspace`,
    `KV cache ${unit.name} (decode)`,
    ...MAX_COLUMNS.map((c) => `${CATEGORY_TITLES[c]} ${unit.name} (max over phases)`),
  ];
}

/** The cells under memoryHeader; without a summary the first cell says why (`reason`) and the others are dashes. */
export function memoryCells(m: MemorySummary | null, unit: MemoryUnit, reason: string | null): string[] {
  if (m === null) return [reason ?? "–", "–", "–", ...MAX_COLUMNS.map(() => "–")];
  const p = m.peak;
  return [
    `${fmem(p.total, unit)} (${m.peakPhase})`,
    [p.weights, p.kv, p.activations, p.workspace].map((b) => fmem(b, unit)).join(" / "),
    fmem(m.decodeKv, unit),
    ...MAX_COLUMNS.map((c) => {
      const x = m.maxOverPhases[c];
      return x.phase === null ? fmem(0, unit) : `${fmem(x.bytes, unit)} (${x.phase})`;
    }),
  ];
}

export const MEMORY_NOTE =
  "the runner's own bytes in use, the largest over the cases. Peak total: the largest total and the phase it fell in " +
  "(filter = GemFilter's filter pass), then its split by category at that moment. KV cache (decode): the cache the " +
  "method decodes from, what SnapKV, H2O and GemFilter shrink. Max over phases: per category, the largest of the " +
  "per-phase splits (each taken at its phase's peak total), with its phase.";
