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
//
// Sharded runs (`--shard i/N`, harness/shards.ts): shard i of N writes records.<i>-of-<N>.jsonl under its own lock
// run.<i>-of-<N>.lock (no two processes ever append to one file, which a network filesystem would not keep whole),
// and shard.<i>-of-<N>.json, its manifest (config hash, record schema, Slurm job, final counts). Every reader and
// every resume reads ALL record files of the folder as one run: the latest record per recordKey (by finishedAt
// across files), so a case finished by any shard, or by an unsharded run, is never run again. A shard file whose
// manifest names another config or record schema is refused (loadRunRecords).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
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
const RUN_FILE_RE =
  /^(records\.jsonl|config(\.\d+)?\.json|run\.lock|model-info\.json|summary\.(csv|md)|report\.html|longbench-summary\.csv|.*\.tmp-(.+-)?\d+|records\.\d+-of-\d+\.jsonl|run\.\d+-of-\d+\.lock|shard\.\d+-of-\d+\.json|slurm(\.json)?)$/;

/** Shard i of N of a run (0-based index); harness/shards.ts plans which cases each one runs. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** "2-of-4": the name part of a shard's files in the run folder. */
export function shardTag(s: ShardSpec): string {
  return `${s.index}-of-${s.count}`;
}

/** records.jsonl, or records.<i>-of-<N>.jsonl for a shard. */
export function recordsFileFor(shard: ShardSpec | null): string {
  return shard === null ? RECORDS_FILE : `records.${shardTag(shard)}.jsonl`;
}

export function lockFileFor(shard: ShardSpec | null): string {
  return shard === null ? LOCK_FILE : `run.${shardTag(shard)}.lock`;
}

export function manifestFileFor(shard: ShardSpec): string {
  return `shard.${shardTag(shard)}.json`;
}

const SHARD_RECORDS_RE = /^records\.(\d+)-of-(\d+)\.jsonl$/;
/** A shard's file name of any kind (records, manifest, lock), for checking that its i and N can be. */
const SHARD_FILE_RE = /^(?:records|shard|run)\.(\d+)-of-(\d+)\.(?:jsonl|json|lock)$/;

/**
 * The shard a file name of SHARD_FILE_RE names; an InputError (exit 2) naming the file when no shard can have it:
 * i ≥ N, N = 0, a leading zero (gembench writes "2-of-4", never "02-of-4", so "02" would be a second name for shard 2)
 * or numbers past 2^53. Such a file is not ours, and trusting it would count a shard that cannot exist.
 */
function shardOfFile(dir: string, f: string): ShardSpec | null {
  const m = SHARD_FILE_RE.exec(f);
  if (m === null) return null;
  const [i, n] = [m[1]!, m[2]!];
  const index = Number(i), count = Number(n);
  const canonical = (s: string): boolean => s === "0" || !s.startsWith("0");
  if (!canonical(i) || !canonical(n) || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new InputError(`${join(dir, f)}: no shard has this name (shard i of N needs 0 <= i < N, written without leading zeros); it is not a file gembench wrote — move it out of the run folder`);
  }
  return { index, count };
}

/** The folder's record files: records.jsonl (when there) first, then the shards' by N, then i. Every shard file name
 *  of the folder is checked (shardOfFile). */
export function recordFiles(dir: string): { file: string; shard: ShardSpec | null }[] {
  if (!existsSync(dir)) return [];
  const shards: ShardSpec[] = [];
  for (const f of readdirSync(dir)) {
    const s = shardOfFile(dir, f);
    if (s !== null && SHARD_RECORDS_RE.test(f)) shards.push(s);
  }
  shards.sort((a, b) => a.count - b.count || a.index - b.index);
  return [
    ...(existsSync(join(dir, RECORDS_FILE)) ? [{ file: RECORDS_FILE, shard: null }] : []),
    ...shards.map((s) => ({ file: recordsFileFor(s), shard: s })),
  ];
}

/** What a shard writes beside its records: which config and schema they belong to, where it ran, how it ended. */
export interface ShardManifest {
  schema: number;
  /** configHash of the run folder's config.json when the shard started. */
  configHash: string;
  shard: ShardSpec;
  /** --limit the shard ran with (all shards of a run must agree). */
  limit: number | null;
  host: string;
  pid: number;
  /** The Slurm array task it ran as (SLURM_ARRAY_JOB_ID / SLURM_ARRAY_TASK_ID / SLURM_JOB_ID), or null. */
  slurm: { arrayJobId: string; taskId: string; jobId: string } | null;
  startedAt: string;
  /** Set when the shard's run returned (interrupted or not); null while it runs or after a kill. */
  finished: {
    at: string;
    cases: number;
    completed: number;
    resumed: number;
    errored: number;
    unsupported: number;
    interrupted: boolean;
    modelErrors: number;
  } | null;
}

/** The identity of a resolved config as written to config.json (key order ignored). */
export function configHash(resolved: unknown): string {
  return `sha256:${createHash("sha256").update(canonicalJson(resolved)).digest("hex").slice(0, 16)}`;
}

export function readManifest(dir: string, shard: ShardSpec): ShardManifest | null {
  const p = join(dir, manifestFileFor(shard));
  if (!existsSync(p)) return null;
  return readJsonFile(p, { maxBytes: MAX_BYTES.smallJson, what: "shard manifest" }) as ShardManifest;
}

export function writeManifest(dir: string, m: ShardManifest): void {
  writeFileAtomic(join(dir, manifestFileFor(m.shard)), `${JSON.stringify(m, null, 2)}\n`);
}

/** Write all of `buf` at the descriptor's position (a single writeSync may write less than asked). */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** Replace `path` with `text` atomically: write a temporary file beside it, fsync, rename over. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${hostname()}-${process.pid}`; // shards on several hosts can share a folder
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

/** Whether Slurm still knows the job (squeue lists it); null when squeue cannot tell (not installed, no cluster). */
function slurmJobAlive(jobId: string): boolean | null {
  try {
    return execFileSync("squeue", ["-h", "-j", jobId, "-o", "%i"], { encoding: "utf8", timeout: 15_000, stdio: ["ignore", "pipe", "pipe"] }).trim() !== "";
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? "");
    return /Invalid job id/i.test(stderr) ? false : null;
  }
}

/**
 * Take the run folder's lock (run.lock, or a shard's own): refuse when another live process on this host holds it;
 * take over a lock whose process is gone (a killed run), or, on another host, whose Slurm job has ended (a preempted
 * or killed array task resubmitted elsewhere). Returns the lock's path.
 */
export function acquireRunLock(dir: string, name: string = LOCK_FILE): string {
  const path = join(dir, name);
  const job = process.env.SLURM_JOB_ID;
  const mine = `${process.pid} ${hostname()}${job ? ` slurm:${job}` : ""}\n`;
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
    const [pidText = "", host = "", slurmTag = ""] = holder.trim().split(" ");
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 0 && host === hostname() && processAlive(pid)) {
      throw new UsageError(
        `${dir} is being written by another gembench run (pid ${pid}); wait for it to finish or stop it (if no run is active, delete ${path})`,
      );
    }
    const holderJob = slurmTag.startsWith("slurm:") ? slurmTag.slice("slurm:".length) : "";
    if (host !== "" && host !== hostname() && !(holderJob !== "" && slurmJobAlive(holderJob) === false)) {
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
  let buf = readRegularFile(path, { maxBytes: MAX_BYTES.data, what: "records file" });
  const lastNl = buf.lastIndexOf(0x0a);
  // A last line without its newline is a complete record when it parses and validates (only the newline is missing,
  // e.g. the file was edited by hand): it is kept, and with repair its newline is added. Anything else is torn.
  if (lastNl + 1 < buf.length && completeRecord(buf.subarray(lastNl + 1))) {
    if (opts.repair) {
      const fd = openSync(path, "a");
      try {
        writeSync(fd, "\n");
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    buf = Buffer.concat([buf, Buffer.from("\n")]);
  }
  const cleanLen = buf.lastIndexOf(0x0a) + 1;
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
    const schema = (value as { schema?: unknown } | null)?.schema;
    if (typeof schema === "number" && schema !== RECORD_SCHEMA_VERSION) {
      throw new InputError(`${path}:${i + 1}: a record of schema v${schema}; this gembench reads v${RECORD_SCHEMA_VERSION} (read these runs with the gembench version that made them, or re-run)`);
    }
    const r = GemRecord.safeParse(value);
    if (!r.success) throw new InputError(`${path}:${i + 1}: not a record: ${r.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`);
    all.push(r.data);
  });
  return { all, truncatedBytes };
}

function completeRecord(tail: Buffer): boolean {
  try {
    return GemRecord.safeParse(JSON.parse(tail.toString("utf8"))).success;
  } catch {
    return false;
  }
}

/**
 * Makes sure `dir` may be written as a run folder, creating it when missing: an existing folder must be a gembench run
 * folder of this record schema (its marker file), or empty, or a run folder from before the marker (only gembench's own
 * files, records.jsonl, config.json or run.lock among them: a lone summary.md is not enough). Anything else — the current folder via `--out ""`, a home folder, a file — is
 * refused with a UsageError before a single file is written.
 */
export function prepareRunDir(dir: string): void {
  if (!existsSync(dir)) {
    asRunDirError(dir, () => mkdirSync(dir, { recursive: true }));
    return;
  }
  if (!asRunDirError(dir, () => statSync(dir)).isDirectory()) throw new UsageError(`${dir} is not a folder: the run folder (--out) must be a new, empty or earlier gembench run folder`);
  const marker = join(dir, MARKER_FILE);
  if (existsSync(marker)) {
    const m = readJsonFile(marker, { maxBytes: 4096, what: "run folder marker" }) as { gembench?: unknown; schema?: unknown } | null;
    if (m === null || typeof m !== "object" || m.gembench !== "run") throw new InputError(`${marker} is not a gembench run folder marker`);
    if (m.schema !== RECORD_SCHEMA_VERSION) {
      throw new UsageError(`${dir} holds records of schema ${JSON.stringify(m.schema)}; this gembench writes schema ${RECORD_SCHEMA_VERSION}: give --out a new folder`);
    }
    return;
  }
  if (readdirSync(dir).length === 0) return;
  const foreign = notRunDir(dir);
  if (foreign !== null) throw new UsageError(`${dir} is not empty and not a gembench run folder (${foreign}): refusing to write into it — give --out a new or empty folder`);
}

/**
 * null when `dir` (an existing, non-empty folder) is a gembench run folder: its marker, or only gembench's own files
 * with records.jsonl, config.json or run.lock among them (a run folder from before the marker); else why it is not.
 */
export function notRunDir(dir: string): string | null {
  if (existsSync(join(dir, MARKER_FILE))) return null;
  const entries = readdirSync(dir);
  const runFiles = [RECORDS_FILE, CONFIG_FILE, LOCK_FILE];
  if (entries.some((e) => runFiles.includes(e)) && entries.every((e) => RUN_FILE_RE.test(e))) return null;
  const shown = entries.slice(0, 5).join(", ") + (entries.length > 5 ? `, … (${entries.length} entries)` : "");
  return `no ${MARKER_FILE}; it holds ${shown}`;
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

/**
 * Merge per-file latest records into one run: per recordKey the record that finished last (a later file wins a tie),
 * in order of first appearance.
 */
export function mergeRecordFiles(files: readonly (readonly GemRecord[])[]): GemRecord[] {
  const byKey = new Map<string, GemRecord>();
  for (const rs of files) {
    for (const r of rs) {
      const had = byKey.get(r.recordKey);
      if (had === undefined || r.finishedAt >= had.finishedAt) byKey.set(r.recordKey, r);
    }
  }
  return [...byKey.values()];
}

/**
 * Check that every shard record file of the folder belongs to the folder's config and to this record schema (its
 * manifest says so); a UsageError naming the file otherwise.
 */
export function checkShardFiles(runDir: string): void {
  const shards = recordFiles(runDir).flatMap((f) => (f.shard === null ? [] : [{ file: f.file, shard: f.shard }]));
  if (shards.length === 0) return;
  const cfgPath = join(runDir, CONFIG_FILE);
  if (!existsSync(cfgPath)) throw new UsageError(`${runDir}: shard record files but no ${CONFIG_FILE}`);
  const want = configHash(readJsonFile(cfgPath, { maxBytes: MAX_BYTES.smallJson, what: "run config" }));
  for (const { file, shard } of shards) {
    const m = readManifest(runDir, shard);
    if (m === null) throw new UsageError(`${join(runDir, file)}: no ${manifestFileFor(shard)} beside it, so it cannot be told to belong to this run; move it away`);
    if (m.schema !== RECORD_SCHEMA_VERSION) {
      throw new UsageError(`${join(runDir, file)}: written with record schema v${m.schema}; this gembench reads v${RECORD_SCHEMA_VERSION}. Shards of one run must come from one gembench version.`);
    }
    if (m.configHash !== want) {
      throw new UsageError(
        `${join(runDir, file)}: written for another config (${m.configHash}) than this run folder's ${CONFIG_FILE} (${want}); shards of one run must share one config — move the stray shard files away or re-run them`,
      );
    }
  }
}

/** Read a run folder's records as one run (no repair): every record file (records.jsonl and all shards), latest per recordKey. */
export function loadRunRecords(runDir: string): GemRecord[] {
  checkShardFiles(runDir);
  return mergeRecordFiles(recordFiles(runDir).map(({ file }) => latestRecords(readRecordsFile(join(runDir, file), { repair: false }).all)));
}

function validJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Two JSON texts with the same content (key order ignored); an unparseable text equals nothing. */
function sameJson(a: string, b: string): boolean {
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return false;
  }
}

/** The JSON paths where two values differ (`run.timeoutMs`, `models[0].dtype`), at most `max`, deepest first found. */
function jsonDifferences(a: unknown, b: unknown, path: string, out: string[], max: number): void {
  if (out.length >= max || canonicalJson(a) === canonicalJson(b)) return;
  const objA = a !== null && typeof a === "object", objB = b !== null && typeof b === "object";
  if (!objA || !objB || Array.isArray(a) !== Array.isArray(b)) {
    out.push(path === "" ? "(the whole config)" : path);
    return;
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) {
    const sub = Array.isArray(a) ? `${path}[${k}]` : path === "" ? k : `${path}.${k}`;
    jsonDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], sub, out, max);
  }
}

type CellEntry = { cellKey?: unknown; model?: unknown; suite?: unknown; method?: { label?: unknown } };

/** "model · suite · label" of each cell of a config record, by key. */
function cellsOf(v: unknown): Map<string, string> {
  const cells = (v as { cells?: unknown } | null)?.cells;
  const out = new Map<string, string>();
  if (!Array.isArray(cells)) return out;
  for (const c of cells as CellEntry[]) if (typeof c?.cellKey === "string") out.set(c.cellKey, `${String(c.model)} · ${String(c.suite)} · ${String(c.method?.label)}`);
  return out;
}

/**
 * What differs between the folder's config.json (`old`) and this run's: the cells only in either (named, a few) and
 * the other keys that differ (JSON paths). For the refusal of a reused --out.
 */
export function configDifference(oldText: string, resolved: unknown): string {
  let old: unknown;
  try {
    old = JSON.parse(oldText);
  } catch {
    return `its ${CONFIG_FILE} is not valid JSON`;
  }
  const parts: string[] = [];
  const a = cellsOf(old), b = cellsOf(resolved);
  const show = (keys: string[], m: Map<string, string>): string => keys.slice(0, 3).map((k) => `${k} (${m.get(k)})`).join(", ") + (keys.length > 3 ? `, … ${keys.length - 3} more` : "");
  const gone = [...a.keys()].filter((k) => !b.has(k)), added = [...b.keys()].filter((k) => !a.has(k));
  if (gone.length > 0) parts.push(`${gone.length} cell(s) only in the folder's run: ${show(gone, a)}`);
  if (added.length > 0) parts.push(`${added.length} cell(s) only in this config: ${show(added, b)}`);
  const strip = (v: unknown): unknown => (v !== null && typeof v === "object" && !Array.isArray(v) ? { ...v, cells: undefined } : v);
  const paths: string[] = [];
  jsonDifferences(JSON.parse(JSON.stringify(strip(old))), JSON.parse(JSON.stringify(strip(resolved))), "", paths, 6);
  if (paths.length > 0) parts.push(`settings that differ: ${paths.join(", ")}${paths.length >= 6 ? ", …" : ""}`);
  return parts.length === 0 ? "the configs differ" : parts.join("; ");
}

/**
 * Write config.json for `resolved` (a no-op when it holds the same). A different one is refused, naming the
 * difference — the reports would mix two experiments — unless `extend` (`--extend`): then the old one is archived as
 * config.<n>.json and replaced, its records kept as part of the run. An unparseable one (half-written by an old,
 * non-atomic write) is no experiment: it is archived without asking. Shard files of the old config in the folder
 * refuse it either way (their siblings share the folder).
 */
export function writeRunConfig(dir: string, resolved: unknown, opts: { extend: boolean }): void {
  const path = join(dir, CONFIG_FILE);
  const text = `${JSON.stringify(resolved, null, 2)}\n`;
  if (existsSync(path)) {
    const old = readTextFile(path, { maxBytes: MAX_BYTES.smallJson, what: "run config" });
    if (sameJson(old, text)) return;
    const shards = recordFiles(dir).filter((f) => f.shard !== null);
    if (shards.length > 0) {
      throw new UsageError(
        `${dir} holds a run of another config (${configDifference(old, resolved)}), with ${shards.length} shard record files; the shards of one run must share one config — use a new --out for this config`,
      );
    }
    if (!opts.extend && validJson(old)) {
      throw new UsageError(
        `${dir} holds a run of another config (${configDifference(old, resolved)}): its reports would mix the two — use a new --out for this config, ` +
          `or add --extend to make this config the run's (the old ${CONFIG_FILE} kept as config.<n>.json, its records kept)`,
      );
    }
    let n = 1;
    while (existsSync(join(dir, `config.${n}.json`))) n++;
    writeFileAtomic(join(dir, `config.${n}.json`), old);
  }
  writeFileAtomic(path, text);
}

/** Mark a prepared folder as a run folder of this record schema (once). */
function markRunDir(dir: string): void {
  if (!existsSync(join(dir, MARKER_FILE)))
    asRunDirError(dir, () => writeFileAtomic(join(dir, MARKER_FILE), `${JSON.stringify({ gembench: "run", schema: RECORD_SCHEMA_VERSION })}\n`));
}

const RUN_DIR_ERRNO: Record<string, string> = {
  ELOOP: "a loop of symbolic links in the path",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "a read-only filesystem",
  ENOTDIR: "a part of the path is a file, not a folder",
  ENAMETOOLONG: "the path is too long",
  ENOSPC: "no space left on the device",
};

/** A filesystem error on the run folder itself is the user's --out: a usage error (exit 2) saying what is wrong. */
function asRunDirError<T>(dir: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    const why = RUN_DIR_ERRNO[(e as NodeJS.ErrnoException).code ?? ""];
    if (why === undefined) throw e;
    throw new UsageError(`cannot use ${dir} as the run folder (--out): ${why} (${(e as NodeJS.ErrnoException).code}); give --out a folder you can write`);
  }
}

/** prepareRunDir, then mark the folder (gembench slurm does it before submitting, before any shard runs). */
export function openRunDir(dir: string): void {
  prepareRunDir(dir);
  markRunDir(dir);
}

export function isFinished(r: GemRecord): boolean {
  return r.status === "completed" || r.status === "unsupported" || r.status === "skipped";
}

export class RunStore {
  readonly recordsPath: string;
  private fd: number | null = null;
  /** recordKeys with a finished record in any record file of the folder (skipped on resume). */
  readonly finished = new Set<string>();
  /** Records found when the store was opened, all record files merged (latest per key). */
  readonly previous: GemRecord[];
  /** Bytes of a torn last line cut from this store's own records file. */
  readonly truncatedBytes: number;

  private lockPath: string | null;

  /** `shard`: write records.<i>-of-<N>.jsonl under its own lock; null: records.jsonl under run.lock. */
  constructor(
    readonly dir: string,
    readonly shard: ShardSpec | null = null,
  ) {
    prepareRunDir(dir);
    this.lockPath = asRunDirError(dir, () => acquireRunLock(dir, lockFileFor(shard)));
    try {
      markRunDir(dir);
    } catch (e) {
      this.close();
      throw e;
    }
    const own = recordsFileFor(shard);
    this.recordsPath = join(dir, own);
    let existing: ExistingRecords;
    let others: GemRecord[][];
    try {
      existing = readRecordsFile(this.recordsPath, { repair: true });
      // Other files may be written right now by other shards: read up to their last full line, never repair them.
      others = recordFiles(dir)
        .filter((f) => f.file !== own)
        .map((f) => latestRecords(readRecordsFile(join(dir, f.file), { repair: false }).all));
    } catch (e) {
      this.close();
      throw e;
    }
    this.truncatedBytes = existing.truncatedBytes;
    this.previous = others.length === 0 ? latestRecords(existing.all) : mergeRecordFiles([...others, latestRecords(existing.all)]);
    for (const r of this.previous) if (isFinished(r)) this.finished.add(r.recordKey);
  }

  /**
   * Write the resolved config (writeRunConfig). A different config.json already there (the same --out reused with an
   * edited config) is refused unless `extend`; then the old one is kept as config.<n>.json, so nothing is lost. A
   * shard never replaces it: its siblings share the folder.
   */
  writeConfig(resolved: unknown, opts: { extend: boolean } = { extend: false }): void {
    writeRunConfig(this.dir, resolved, { extend: opts.extend && this.shard === null });
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
