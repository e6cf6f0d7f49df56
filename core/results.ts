// The run folder: results/<run>/config.json (resolved) and records.jsonl (append-only, one record per line).
// It carries gembench-run.json (the record schema); a run writes only into such a folder or a new/empty one
// (prepareRunDir), so `--out` pointed at someone's folder never overwrites their files.
//
// Durability: each record is written as one full line with a single write on an O_APPEND descriptor, then fsync'd.
// A kill -9 can at worst leave a torn last line (no trailing newline); on resume that fragment is truncated away.
// config.json is replaced atomically (temporary file, fsync, rename), so a kill never leaves it half-written.
// A run holds run.lock (its pid and host) while it writes; a second run on the same folder is refused while that
// process lives, and a lock left by a killed run is taken over.
// Resume skips every recordKey that already has a completed / unsupported / skipped record. Errored cases are
// retried on resume: the retry appends a new record and the earlier errored one stays in the file (nothing is
// rewritten), so readers take the LAST record per recordKey (latestRecords does this).
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { InputError, UsageError } from "./errors.ts";
import { MAX_BYTES, readJsonFile, readRegularFile, readTextFile } from "./files.ts";
import { GemRecord, RECORD_SCHEMA_VERSION } from "./records.ts";
import { canonicalJson } from "./canonical-json.ts";

export const RECORDS_FILE = "records.jsonl";
export const CONFIG_FILE = "config.json";
export const LOCK_FILE = "run.lock";
/** Marks a folder as a gembench run folder (and its record schema): only such a folder, or a new/empty one, is written. */
export const MARKER_FILE = "gembench-run.json";
/** The files gembench writes into a run folder (reports included), for recognising run folders made before the marker. */
const RUN_FILE_RE = /^(records\.jsonl|config(\.\d+)?\.json|run\.lock|model-info\.json|summary\.(csv|md)|report\.html|longbench-summary\.csv|.*\.tmp-\d+)$/;

/** Write all of `buf` at the descriptor's position (a single writeSync may write less than asked). */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** Replace `path` with `text` atomically: write a temporary file beside it, fsync, rename over. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    writeAll(fd, Buffer.from(text, "utf8"));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Take the run folder's lock: refuse when another live process on this host holds it; take over a lock whose
 * process is gone (a killed run). Returns the lock's path.
 */
export function acquireRunLock(dir: string): string {
  const path = join(dir, LOCK_FILE);
  const mine = `${process.pid} ${hostname()}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx");
      try {
        writeAll(fd, Buffer.from(mine, "utf8"));
      } finally {
        closeSync(fd);
      }
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let holder = "";
    try {
      holder = readTextFile(path, { maxBytes: 4096, what: "lock file" });
    } catch {
      continue; // released meanwhile
    }
    const [pidText = "", host = ""] = holder.trim().split(" ");
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 0 && host === hostname() && processAlive(pid)) {
      throw new UsageError(
        `${dir} is being written by another gembench run (pid ${pid}); wait for it to finish or stop it (if no run is active, delete ${path})`,
      );
    }
    if (host !== "" && host !== hostname()) {
      throw new UsageError(`${dir} is locked by a run on host ${host} (pid ${pidText}); if that run is over, delete ${path}`);
    }
    try {
      unlinkSync(path); // stale: its process is gone
    } catch {
      /* someone else removed it first */
    }
  }
  throw new UsageError(`could not take the lock ${path}`);
}

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
  const buf = readRegularFile(path, { maxBytes: MAX_BYTES.data, what: "records file" });
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
      throw new InputError(`${path}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    const r = GemRecord.safeParse(value);
    if (!r.success) throw new InputError(`${path}:${i + 1}: not a record: ${r.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`);
    all.push(r.data);
  });
  return { all, truncatedBytes };
}

/**
 * Makes sure `dir` may be written as a run folder, creating it when missing: an existing folder must be a gembench run
 * folder of this record schema (its marker file), or empty, or a run folder from before the marker (only gembench's own
 * files, records.jsonl, config.json or run.lock among them: a lone summary.md is not enough). Anything else — the current folder via `--out ""`, a home folder, a file — is
 * refused with a UsageError before a single file is written.
 */
export function prepareRunDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder: the run folder (--out) must be a new, empty or earlier gembench run folder`);
  const marker = join(dir, MARKER_FILE);
  if (existsSync(marker)) {
    const m = readJsonFile(marker, { maxBytes: 4096, what: "run folder marker" }) as { gembench?: unknown; schema?: unknown } | null;
    if (m === null || typeof m !== "object" || m.gembench !== "run") throw new InputError(`${marker} is not a gembench run folder marker`);
    if (m.schema !== RECORD_SCHEMA_VERSION) {
      throw new UsageError(`${dir} holds records of schema ${JSON.stringify(m.schema)}; this gembench writes schema ${RECORD_SCHEMA_VERSION}: give --out a new folder`);
    }
    return;
  }
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  const runFiles = [RECORDS_FILE, CONFIG_FILE, LOCK_FILE];
  if (entries.some((e) => runFiles.includes(e)) && entries.every((e) => RUN_FILE_RE.test(e))) return;
  const shown = entries.slice(0, 5).join(", ") + (entries.length > 5 ? `, … (${entries.length} entries)` : "");
  throw new UsageError(
    `${dir} is not empty and not a gembench run folder (no ${MARKER_FILE}; it holds ${shown}): refusing to write into it — give --out a new or empty folder`,
  );
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

/** Two JSON texts with the same content (key order ignored); an unparseable text equals nothing. */
function sameJson(a: string, b: string): boolean {
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return false;
  }
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

  private lockPath: string | null;

  constructor(readonly dir: string) {
    prepareRunDir(dir);
    this.lockPath = acquireRunLock(dir);
    try {
      if (!existsSync(join(dir, MARKER_FILE))) writeFileAtomic(join(dir, MARKER_FILE), `${JSON.stringify({ gembench: "run", schema: RECORD_SCHEMA_VERSION })}\n`);
    } catch (e) {
      this.close();
      throw e;
    }
    this.recordsPath = join(dir, RECORDS_FILE);
    let existing: ExistingRecords;
    try {
      existing = readRecordsFile(this.recordsPath, { repair: true });
    } catch (e) {
      this.close();
      throw e;
    }
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
      const old = readTextFile(path, { maxBytes: MAX_BYTES.smallJson, what: "run config" });
      if (sameJson(old, text)) return;
      let n = 1;
      while (existsSync(join(this.dir, `config.${n}.json`))) n++;
      writeFileAtomic(join(this.dir, `config.${n}.json`), old);
    }
    writeFileAtomic(path, text);
  }

  /** Append one record: validated, one write of the full line, fsync. */
  append(record: GemRecord): void {
    const line = Buffer.from(`${JSON.stringify(GemRecord.parse(record))}\n`, "utf8");
    if (this.fd === null) this.fd = openSync(this.recordsPath, "a");
    writeAll(this.fd, line);
    fsyncSync(this.fd);
    if (isFinished(record)) this.finished.add(record.recordKey);
  }

  /** Close records.jsonl and release the lock. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (this.lockPath !== null) {
      try {
        unlinkSync(this.lockPath);
      } catch {
        /* already gone */
      }
      this.lockPath = null;
    }
  }
}
