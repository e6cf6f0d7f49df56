// What a reporter is: it turns the run's records (latest record per recordKey) into one file in the run folder.
// The registry of reporters is index.ts; reporters import only this interface, never the registry.
import type { GemRecord } from "../core/records.ts";

export interface ReportContext {
  /** The run's resolved config.json, as read (unvalidated: reports show it, never depend on its shape). */
  config: unknown;
  /** ISO time the report was generated (fixed in tests for exact output). */
  generatedAt: string;
}

export interface Reporter {
  readonly name: string;
  /** Writes this format into runDir and returns the path(s) written. */
  write(runDir: string, records: readonly GemRecord[], ctx: ReportContext): Promise<string[]>;
}
