// Which timed records were taken on a loaded machine (environment.loadAverage against the host's cores), for the
// markdown summary and the HTML report. The rule: a record is flagged when the 1-minute load average at its start,
// less the run's own threads, exceeds half the host's cores. Its own threads are subtracted because the load average
// at a case's start still counts the previous case of the same run (its engine kept them busy). The cores come from
// environment.host ("…, N cores)"), the threads from environment.device ("(N threads"): gem-runner's cpu backend and
// the transformers peer on the CPU say them; a record whose device does not is counted with 0 own threads.
import type { GemRecord } from "../core/records.ts";
import { contextLengthOf, variantOf } from "./aggregate.ts";

export const LOAD_RULE =
  "flagged when the 1-minute load average at the record's start, less the run's own threads, exceeds half the host's cores";

export interface LoadedRecord {
  variant: string;
  contextLength: number;
  /** The 1-minute load averages at the start and the end. */
  start: number;
  end: number;
  cores: number;
  threads: number;
}

function coresOf(host: string): number | null {
  const m = /(\d+) cores\)\s*$/.exec(host);
  return m ? Number(m[1]) : null;
}

function threadsOf(device: string): number {
  const m = /\((\d+) threads\b/.exec(device);
  return m ? Number(m[1]) : 0;
}

/** The timed records (completed, with a load average and a known core count), each with whether it was loaded. */
export function machineLoad(records: readonly GemRecord[], withModel: boolean): { checked: number; loaded: LoadedRecord[] } {
  let checked = 0;
  const loaded: LoadedRecord[] = [];
  for (const r of records) {
    const load = r.environment.loadAverage;
    const cores = coresOf(r.environment.host);
    if (r.status !== "completed" || !r.timings || !load || cores === null || load.start.length === 0) continue;
    checked++;
    const threads = threadsOf(r.environment.device);
    const start = load.start[0]!;
    if (start - threads > 0.5 * cores)
      loaded.push({ variant: variantOf(r, { withModel }), contextLength: contextLengthOf(r), start, end: load.end[0] ?? Number.NaN, cores, threads });
  }
  return { checked, loaded };
}

/** One line for the reports: how many timed records were flagged, and which. Null when no record carries a load. */
export function machineLoadText(records: readonly GemRecord[], withModel: boolean): { summary: string; rows: string[][] } | null {
  const { checked, loaded } = machineLoad(records, withModel);
  if (checked === 0) return null;
  const summary =
    loaded.length === 0
      ? `None of the ${checked} timed records was taken on a loaded machine (${LOAD_RULE}).`
      : `${loaded.length} of the ${checked} timed records were taken on a loaded machine (${LOAD_RULE}); their timings are suspect:`;
  const rows = loaded.map((l) => [l.variant, String(l.contextLength), `${l.start.toFixed(2)} → ${l.end.toFixed(2)}`, String(l.threads), String(l.cores)]);
  return { summary, rows };
}

export const MACHINE_LOAD_HEADER = ["method", "context", "load (1 min) start → end", "own threads", "cores"];
