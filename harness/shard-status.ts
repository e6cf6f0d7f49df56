// Where a sharded run stands, shard by shard: from the run folder (each shard's records file and manifest) and, where
// Slurm is there, from squeue (and sacct when the cluster keeps accounting). Used by `gembench status` and by
// `gembench slurm` to resubmit only the shards that are not done.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { InputError, UsageError } from "../core/errors.ts";
import { MAX_BYTES, readJsonFile } from "../core/files.ts";
import { isFinished, latestRecords, lockFileFor, readManifest, readRecordsFile, recordFiles, recordsFileFor, type ShardManifest } from "../core/results.ts";
import type { ShardSpec } from "../core/results.ts";

export const SLURM_FILE = "slurm.json";

/** One `gembench slurm` submission, as recorded in the run folder's slurm.json. */
export interface SlurmSubmission {
  jobId: string;
  /** The dependent job that writes the merged reports once the array is over; null with --no-report. */
  reportJobId: string | null;
  shards: number;
  /** The array task ids (= shard indices) submitted. */
  tasks: number[];
  script: string;
  submittedAt: string;
}

export function readSubmissions(dir: string): SlurmSubmission[] {
  const p = join(dir, SLURM_FILE);
  if (!existsSync(p)) return [];
  const v = readJsonFile(p, { maxBytes: MAX_BYTES.smallJson, what: "Slurm submissions file" }) as { submissions?: unknown } | null;
  if (v === null || typeof v !== "object" || !Array.isArray(v.submissions)) throw new InputError(`${p}: not a gembench slurm.json (no submissions list)`);
  return v.submissions as SlurmSubmission[];
}

/**
 * done: finished with nothing errored; errored: finished, some cases errored (resubmit retries them); interrupted:
 * stopped cleanly (SIGTERM, a time limit); stopped: started but ended without finishing (killed, preempted, a node
 * lost); running / pending: as Slurm (or, off Slurm, the shard's live lock) says; not started: nothing yet.
 */
export type ShardState = "done" | "errored" | "interrupted" | "stopped" | "running" | "pending" | "not started";

export interface ShardStatus {
  shard: ShardSpec;
  state: ShardState;
  /** Latest record per case in the shard's own file, by status. */
  completed: number;
  errored: number;
  other: number;
  /** The shard's case count, once it finished (a shard learns it model by model). */
  cases: number | null;
  host: string | null;
  /** "<array job>_<task>" of the latest submission that ran or queued this shard, and Slurm's word for it. */
  job: string | null;
  slurmState: string | null;
}

export interface RunStatus {
  dir: string;
  shards: number | null;
  perShard: ShardStatus[];
  /** Shards of another shard count (an earlier `--shards`, or `run --shard i/M` by hand) with files in the folder:
   *  their finished cases are part of the run (resume skips them), so they are shown, never silently left out. */
  otherShards: ShardStatus[];
  /** records.jsonl (an unsharded run into the same folder), when there. */
  unsharded: { completed: number; errored: number; other: number } | null;
  submissions: SlurmSubmission[];
}

/** Array task id → Slurm state, for the given array jobs (squeue -r: one line per task; finished ones for MinJobAge). */
export function slurmTaskStates(jobIds: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (jobIds.length === 0) return out;
  const run = (cmd: string, args: string[]): string | null => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8", timeout: 15_000, stdio: ["ignore", "pipe", "pipe"] });
    } catch {
      return null; // not installed, no controller, or no accounting (sacct): the run folder still tells
    }
  };
  const acct = run("sacct", ["-n", "-P", "-X", "-j", jobIds.join(","), "-o", "JobID,State"]);
  for (const line of (acct ?? "").split("\n")) {
    const [id = "", state = ""] = line.trim().split("|");
    if (/^\d+_\d+$/.test(id)) out.set(id, state.split(" ")[0]!);
  }
  const q = run("squeue", ["-h", "-r", "-t", "all", "-j", jobIds.join(","), "-o", "%i|%T"]);
  for (const line of (q ?? "").split("\n")) {
    const [id = "", state = ""] = line.trim().split("|");
    if (/^\d+_\d+$/.test(id)) out.set(id, state);
  }
  return out;
}

function countRecords(dir: string, file: string): { completed: number; errored: number; other: number } {
  const rs = latestRecords(readRecordsFile(join(dir, file), { repair: false }).all);
  return {
    completed: rs.filter((r) => r.status === "completed").length,
    errored: rs.filter((r) => r.status === "errored").length,
    other: rs.filter((r) => r.status !== "completed" && r.status !== "errored" && isFinished(r)).length,
  };
}

function lockAlive(dir: string, shard: ShardSpec): boolean {
  const p = join(dir, lockFileFor(shard));
  if (!existsSync(p)) return false;
  const [pid = "", host = ""] = readFileSync(p, "utf8").trim().split(" ");
  if (host !== hostname()) return true; // held on another host: trust it (the shard's own start re-checks it)
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const RUNNING = new Set(["RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "STAGE_OUT", "SIGNALING", "RESIZING"]);
const PENDING = new Set(["PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED"]);

function stateOf(m: ShardManifest | null, slurm: string | null, lockHeld: boolean, submitted: boolean): ShardState {
  if (slurm !== null && RUNNING.has(slurm)) return "running";
  if (slurm !== null && PENDING.has(slurm)) return "pending";
  if (m !== null && m.finished !== null) {
    if (m.finished.interrupted) return "interrupted";
    return m.finished.errored > 0 || m.finished.modelErrors > 0 ? "errored" : "done";
  }
  if (m !== null) return lockHeld && slurm === null ? "running" : "stopped";
  if (submitted && slurm === null) return "pending"; // squeue cannot tell (no Slurm here, or it forgot the job)
  return "not started";
}

/** The status of every shard of the run folder's latest shard count (the last submission's, else the files'). */
export function runStatus(dir: string, opts: { slurm?: (jobIds: readonly string[]) => Map<string, string> } = {}): RunStatus {
  if (!existsSync(dir)) throw new UsageError(`${dir}: no such run folder`);
  const submissions = readSubmissions(dir);
  const files = recordFiles(dir);
  const counts = files.flatMap((f) => (f.shard === null ? [] : [f.shard.count]));
  const n = submissions.at(-1)?.shards ?? (counts.length > 0 ? Math.max(...counts) : null);
  const unshardedFile = files.find((f) => f.shard === null);
  const status: RunStatus = { dir, shards: n, perShard: [], otherShards: [], unsharded: unshardedFile ? countRecords(dir, unshardedFile.file) : null, submissions };
  if (n === null) return status;
  const states = (opts.slurm ?? slurmTaskStates)([...new Set(submissions.map((s) => s.jobId))]);
  const shardStatus = (shard: ShardSpec): ShardStatus => {
    const m = readManifest(dir, shard);
    const sub = [...submissions].reverse().find((s) => s.shards === shard.count && s.tasks.includes(shard.index)) ?? null;
    const job = sub === null ? null : `${sub.jobId}_${shard.index}`;
    const slurmState = job === null ? null : (states.get(job) ?? null);
    const c = existsSync(join(dir, recordsFileFor(shard))) ? countRecords(dir, recordsFileFor(shard)) : { completed: 0, errored: 0, other: 0 };
    return { shard, state: stateOf(m, slurmState, lockAlive(dir, shard), sub !== null), ...c, cases: m?.finished?.cases ?? null, host: m?.host ?? null, job, slurmState };
  };
  for (let i = 0; i < n; i++) status.perShard.push(shardStatus({ index: i, count: n }));
  const others = files.flatMap((f) => (f.shard !== null && f.shard.count !== n ? [f.shard] : []));
  for (const shard of others) status.otherShards.push(shardStatus(shard));
  return status;
}
