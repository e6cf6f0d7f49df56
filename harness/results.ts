// The run folder: results/<run>/config.json (resolved) and records.jsonl (append-only, one record per line).
//
// Durability: each record is written as one full line with a single write on an O_APPEND descriptor, then fsync'd.
// A kill -9 can at worst leave a torn last line (no trailing newline); on resume that fragment is truncated away.
// Resume skips every recordKey that already has a completed / unsupported / skipped record. Errored cases are
// retried on resume: the retry appends a new record and the earlier errored one stays in the file (nothing is
// rewritten), so readers take the LAST record per recordKey (latestRecords does this).
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { GemRecord } from "./records.ts";
import { canonicalJson } from "./sweep.ts";

export const RECORDS_FILE = "records.jsonl";
export const CONFIG_FILE = "config.json";

export interface ExistingRecords {
  /** Every parsed record in file order (retries included). */
  all: GemRecord[];
  /** Bytes of a torn final line that were cut away (0 when the file ended cleanly). */
  truncatedBytes: number;
}

/**
 * Read records.jsonl, cutting away a torn last line (a fragment without "\n" left by a kill mid-write) when
 * `repair` is set. A malformed line anywhere else is an error naming its line number.
 */
export function readRecordsFile(path: string, opts: { repair: boolean }): ExistingRecords {
  if (!existsSync(path)) return { all: [], truncatedBytes: 0 };
  const buf = readFileSync(path);
  const lastNl = buf.lastIndexOf(0x0a);
  const cleanLen = lastNl + 1;
  const truncatedBytes = buf.length - cleanLen;
  if (truncatedBytes > 0 && opts.repair) {
    const fd = openSync(path, "r+");
    try {
      ftruncateSync(fd, cleanLen);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  const text = buf.subarray(0, cleanLen).toString("utf8");
  const all: GemRecord[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    const r = GemRecord.safeParse(value);
    if (!r.success) throw new Error(`${path}:${i + 1}: not a record: ${r.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`);
    all.push(r.data);
  });
  return { all, truncatedBytes };
}

/** The last record per recordKey, in order of first appearance: what reporters should read. */
export function latestRecords(all: readonly GemRecord[]): GemRecord[] {
  const byKey = new Map<string, GemRecord>();
  for (const r of all) {
    byKey.delete(r.recordKey); // re-insert so the position follows the latest attempt
    byKey.set(r.recordKey, r);
  }
  return [...byKey.values()];
}

/** Read a run folder's records (no repair), latest per recordKey. */
export function loadRunRecords(runDir: string): GemRecord[] {
  return latestRecords(readRecordsFile(join(runDir, RECORDS_FILE), { repair: false }).all);
}

export function isFinished(r: GemRecord): boolean {
  return r.status === "completed" || r.status === "unsupported" || r.status === "skipped";
}

export class RunStore {
  readonly recordsPath: string;
  private fd: number | null = null;
  /** recordKeys with a finished record (skipped on resume). */
  readonly finished = new Set<string>();
  /** Records found when the store was opened (latest per key). */
  readonly previous: GemRecord[];
  readonly truncatedBytes: number;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.recordsPath = join(dir, RECORDS_FILE);
    const existing = readRecordsFile(this.recordsPath, { repair: true });
    this.truncatedBytes = existing.truncatedBytes;
    this.previous = latestRecords(existing.all);
    for (const r of this.previous) if (isFinished(r)) this.finished.add(r.recordKey);
  }

  /**
   * Write the resolved config. When a different config.json is already there (the same --out reused with an
   * edited config), the old one is kept as config.<n>.json, so nothing is lost.
   */
  writeConfig(resolved: unknown): void {
    const path = join(this.dir, CONFIG_FILE);
    const text = `${JSON.stringify(resolved, null, 2)}\n`;
    if (existsSync(path)) {
      const old = readFileSync(path, "utf8");
      if (canonicalJson(JSON.parse(old)) === canonicalJson(JSON.parse(text))) return;
      let n = 1;
      while (existsSync(join(this.dir, `config.${n}.json`))) n++;
      writeFileSync(join(this.dir, `config.${n}.json`), old);
    }
    writeFileSync(path, text);
  }

  /** Append one record: validated, one write of the full line, fsync. */
  append(record: GemRecord): void {
    const line = `${JSON.stringify(GemRecord.parse(record))}\n`;
    if (this.fd === null) this.fd = openSync(this.recordsPath, "a");
    writeSync(this.fd, line);
    fsyncSync(this.fd);
    if (isFinished(record)) this.finished.add(record.recordKey);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
