// `gembench compare`: the CI regression gate between two runs.
import { compareCommand, type Thresholds } from "../reports/compare.ts";
import { log } from "./process.ts";

export interface CompareFlags {
  thresholds?: string;
  maxAccuracyDrop?: number | "off";
  maxTimeRatio?: number | "off";
  maxMemoryRatio?: number | "off";
  minTimeMs?: number | "off";
}

/** `gembench compare`: markdown on stdout; exit 1 on a regression, 0 otherwise (2 for usage errors, thrown). */
export function compareCliCommand(baseline: string, candidate: string, o: CompareFlags): number {
  const flags: Partial<Thresholds> = {};
  const value = (v: number | "off"): number | null => (v === "off" ? null : v);
  if (o.maxAccuracyDrop !== undefined) flags.maxAccuracyDrop = value(o.maxAccuracyDrop);
  if (o.maxTimeRatio !== undefined) flags.maxTimeRatio = value(o.maxTimeRatio);
  if (o.maxMemoryRatio !== undefined) flags.maxMemoryRatio = value(o.maxMemoryRatio);
  if (o.minTimeMs !== undefined) flags.minTimeMs = value(o.minTimeMs);
  const { code, stdout, result } = compareCommand(baseline, candidate, { ...(o.thresholds !== undefined ? { thresholdsFile: o.thresholds } : {}), flags });
  process.stdout.write(stdout);
  const regressed = result.cells.filter((c) => c.regressions.length > 0).length;
  log(
    `compare: ${result.cells.length} cells matched, ${regressed} regressed, ${result.missingCells.length} missing from the candidate, ${result.addedCells.length} added`,
  );
  return code;
}
