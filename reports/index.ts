// The reporter registry (each reporter implements reporter.ts): every format is written from the run's records (the one
// schema, latest record per recordKey as core/results.ts loadRunRecords reads them) into the run folder.
// Adding a format = one new module + one line in REPORTERS; nothing else changes.
//
// There is no separate jsonl reporter: records.jsonl, which the run appends to, IS the jsonl format (one GemRecord
// per line); a second copy would only drift. Readers take the last record per recordKey (errored cases retried on
// resume leave their earlier attempt in the file).
import { existsSync, statSync } from "node:fs";
import { MAX_BYTES, readJsonFile } from "../core/files.ts";
import { join } from "node:path";
import type { GemRecord } from "../core/records.ts";
import { UsageError } from "../core/errors.ts";
import { loadRunRecords, notRunDir, recordFiles, RECORDS_FILE, CONFIG_FILE } from "../core/results.ts";
import { csvReporter } from "./csv.ts";
import { htmlReporter } from "./html/index.ts";
import { markdownReporter } from "./markdown.ts";
import type { ReportContext, Reporter } from "./reporter.ts";

export const REPORTERS: readonly Reporter[] = [csvReporter, markdownReporter, htmlReporter];

/** The run's config.json, or null when the folder has none. */
export function readConfig(runDir: string): unknown {
  const path = join(runDir, CONFIG_FILE);
  if (!existsSync(path)) return null;
  return readJsonFile(path, { maxBytes: MAX_BYTES.smallJson, what: "run config" });
}

/** A run folder with a records file (records.jsonl or a shard's); a UsageError (exit 2) naming what is missing otherwise. */
export function requireRunDir(runDir: string): void {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw new UsageError(`${runDir}: no such run folder`);
  if (recordFiles(runDir).length === 0) throw new UsageError(`${runDir}: no ${RECORDS_FILE} in this folder (is it a run folder?)`);
  // Reports overwrite summary.md, summary.csv, report.html: never in a folder that holds other files than a run's.
  const foreign = notRunDir(runDir);
  if (foreign !== null) throw new UsageError(`${runDir} is not a gembench run folder (${foreign}): refusing to write reports into it`);
}

/** Writes every registered format for the run folder; returns the written paths. */
export async function writeReports(
  runDir: string,
  opts: { reporters?: readonly Reporter[]; generatedAt?: string; records?: readonly GemRecord[] } = {},
): Promise<string[]> {
  const records = opts.records ?? loadRunRecords(runDir);
  const ctx: ReportContext = { config: readConfig(runDir), generatedAt: opts.generatedAt ?? new Date().toISOString() };
  const paths: string[] = [];
  for (const r of opts.reporters ?? REPORTERS) paths.push(...(await r.write(runDir, records, ctx)));
  return paths;
}
