// `gembench slurm`: one run as a Slurm job array, task i running `gembench run <config> --out DIR --shard i/N` on
// the GPUs Slurm gives it, plus a dependent job that writes the merged reports once the array is over. The sbatch
// scripts are written into the run folder (slurm/) with a comment on every line, so what runs can be read first
// (--dry-run only prints them). Re-submitting resumes: only the shards that are not done (or queued) go again.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { SuiteRegistry } from "../core/suite.ts";
import { checkGridSize, loadConfig, resolveDtypes } from "./config.ts";
import { UsageError } from "../core/errors.ts";
import { openRunDir, writeFileAtomic, writeRunConfig } from "../core/results.ts";
import { cellMaxCases, runConfigRecord } from "./run.ts";
import { checkShardCount } from "./shards.ts";
import { readSubmissions, runStatus, SLURM_FILE, type RunStatus, type SlurmSubmission } from "./shard-status.ts";
import { expandSweep } from "./sweep.ts";

const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface SlurmOptions {
  out?: string;
  shards?: number;
  gpusPerTask: number;
  cpusPerTask: number;
  partition?: string;
  time?: string;
  sbatchArg: string[];
  /** Array task ids to submit; default: every shard that is not done, running or pending. */
  tasks?: number[];
  limit?: number;
  /** Pass --allow-large-grid to every shard (a grid above LARGE_GRID_CELLS cells is refused without it). */
  allowLargeGrid?: boolean;
  /** Skip the dependent report job. */
  noReport?: boolean;
  dryRun?: boolean;
  /** As for run: the folder may hold another config, which this one replaces (writeRunConfig). */
  extend?: boolean;
}

/** Single-quote for bash. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** "0-2" / "0,2,5-7": an --array value for the given task ids. */
export function arraySpec(tasks: readonly number[]): string {
  const xs = [...new Set(tasks)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    parts.push(i === j ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

export interface ScriptParams {
  name: string;
  configPath: string;
  outDir: string;
  shards: number;
  tasks: number[];
  gpusPerTask: number;
  cpusPerTask: number;
  partition?: string;
  time?: string;
  sbatchArgs: string[];
  limit?: number;
  allowLargeGrid?: boolean;
  node: string;
  repoDir: string;
}

/** The array job's script: one array task per shard. */
export function arrayScript(p: ScriptParams): string {
  const pad = (directive: string, comment: string): string => `${directive.padEnd(48)} # ${comment}`;
  const logs = join(p.outDir, "slurm");
  const run = [
    shq(p.node),
    shq(join(p.repoDir, "bin", "gembench.js")),
    "run",
    shq(p.configPath),
    "--out",
    shq(p.outDir),
    "--shard",
    `"$SLURM_ARRAY_TASK_ID/${p.shards}"`,
    "--devices",
    '"$DEVICES"',
    ...(p.limit !== undefined ? ["--limit", String(p.limit)] : []),
    ...(p.allowLargeGrid === true ? ["--allow-large-grid"] : []),
  ].join(" ");
  return [
    "#!/bin/bash",
    `# gembench run "${p.name}" as ${p.shards} shards, one Slurm array task per shard. Written by \`gembench slurm\`;`,
    "# submit it with sbatch (gembench slurm did, unless --dry-run). Task i runs shard i of the run: the cells, in",
    "# model-major order, cut into equal-cost pieces (harness/shards.ts), into its own records file in the run folder.",
    pad(`#SBATCH --job-name=gembench-${p.name}`, "the name squeue shows"),
    pad(`#SBATCH --array=${arraySpec(p.tasks)}`, `the shards to run (task id = shard index, of ${p.shards})`),
    pad(`#SBATCH --output=${logs}/%A_%a.out`, "one log per task: %A = the array job id, %a = the shard"),
    pad("#SBATCH --ntasks=1", "one gembench process per shard; it starts one runner per GPU"),
    pad(`#SBATCH --cpus-per-task=${p.cpusPerTask}`, "CPUs for that process and its runners"),
    ...(p.gpusPerTask > 0 ? [pad(`#SBATCH --gpus-per-task=${p.gpusPerTask}`, "GPUs per shard; Slurm lists them in CUDA_VISIBLE_DEVICES")] : []),
    ...(p.partition !== undefined ? [pad(`#SBATCH --partition=${p.partition}`, "the partition to queue in")] : []),
    ...(p.time !== undefined ? [pad(`#SBATCH --time=${p.time}`, "time limit per shard; at the limit Slurm sends SIGTERM and gembench stops cleanly")] : []),
    ...p.sbatchArgs.map((a) => pad(`#SBATCH ${a}`, "given with --sbatch-arg")),
    "",
    "set -euo pipefail                                # stop at the first failing line",
    `cd ${shq(p.repoDir)}`.padEnd(48) + " # the gembench checkout (its node_modules and built runner)",
    "# One runner per GPU Slurm gave this task (the indices in CUDA_VISIBLE_DEVICES); the CPU when it gave none.",
    'DEVICES="${CUDA_VISIBLE_DEVICES:-cpu}"',
    'echo "gembench shard $SLURM_ARRAY_TASK_ID/' + p.shards + ' on $(hostname), devices $DEVICES"',
    "# Finished cases (in any shard's records) are skipped, so a resubmitted task resumes where it stopped.",
    `exec ${run}`,
    "",
  ].join("\n");
}

/** The dependent job's script: the merged reports of the run folder, whatever the array's outcome. */
export function reportScript(p: Pick<ScriptParams, "name" | "outDir" | "partition" | "sbatchArgs" | "node" | "repoDir">): string {
  const pad = (directive: string, comment: string): string => `${directive.padEnd(48)} # ${comment}`;
  return [
    "#!/bin/bash",
    `# gembench: the merged reports (summary.csv, summary.md, report.html) of "${p.name}" from every shard's records.`,
    "# Submitted by `gembench slurm` to start once the array job is over (--dependency=afterany:<array job>).",
    pad(`#SBATCH --job-name=gembench-${p.name}-report`, "the name squeue shows"),
    pad(`#SBATCH --output=${join(p.outDir, "slurm")}/report-%j.out`, "its log"),
    pad("#SBATCH --ntasks=1", "one process"),
    pad("#SBATCH --cpus-per-task=1", "reports need one CPU and no GPU"),
    ...(p.partition !== undefined ? [pad(`#SBATCH --partition=${p.partition}`, "the partition to queue in")] : []),
    ...p.sbatchArgs.map((a) => pad(`#SBATCH ${a}`, "given with --sbatch-arg")),
    "",
    "set -euo pipefail                                # stop at the first failing line",
    `cd ${shq(p.repoDir)}`.padEnd(48) + " # the gembench checkout",
    `${shq(p.node)} ${shq(join(p.repoDir, "bin", "gembench.js"))} status ${shq(p.outDir)} || true   # how each shard ended, in this log`,
    `exec ${shq(p.node)} ${shq(join(p.repoDir, "bin", "gembench.js"))} report ${shq(p.outDir)}`,
    "",
  ].join("\n");
}

const NO_SBATCH = "sbatch not found: `gembench slurm` submits through Slurm's sbatch (use --dry-run to only print the script)";

function sbatchVersion(): string {
  try {
    return execFileSync("sbatch", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 }).trim();
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") throw new UsageError(NO_SBATCH);
    throw e;
  }
}

function sbatch(args: string[]): string {
  let out: string;
  try {
    out = execFileSync("sbatch", ["--parsable", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  } catch (e) {
    const err = e as { code?: string; stderr?: unknown; message: string };
    if (err.code === "ENOENT") throw new UsageError(NO_SBATCH);
    throw new UsageError(`sbatch failed: ${String(err.stderr ?? err.message).trim()}`);
  }
  const id = out.trim().split(";")[0] ?? "";
  if (!/^\d+$/.test(id)) throw new Error(`sbatch answered ${JSON.stringify(out)}, not a job id`);
  return id;
}

export interface SlurmResult {
  /** Submitted (or, dry run, would submit) array task ids; empty when every shard is done or queued. */
  tasks: number[];
  submission: SlurmSubmission | null;
  script: string;
  reportScript: string | null;
  status: RunStatus | null;
}

/**
 * Every value pasted into a batch script is checked: a newline would start a new directive or shell line, a space or
 * quote would cut #SBATCH --output, a % is a Slurm filename pattern there.
 */
function checkScriptValues(outDir: string, o: SlurmOptions): void {
  if (/[\s"'%\\\x00-\x1f\x7f]/.test(outDir))
    throw new UsageError(`--out: ${JSON.stringify(outDir)} holds a space, quote, backslash, % or control character, which a #SBATCH --output line cannot carry; give a plainer path`);
  if (o.partition !== undefined && !/^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/.test(o.partition))
    throw new UsageError(`--partition: expected a partition name (letters, digits, _ . -; several separated by commas), got ${JSON.stringify(o.partition)}`);
  for (const a of o.sbatchArg)
    if (!/^--?[A-Za-z][A-Za-z0-9-]*(=[^\x00-\x1f\x7f]*)?$/.test(a) || /[\x00-\x1f\x7f]/.test(a))
      throw new UsageError(`--sbatch-arg: expected one sbatch option such as --account=lab (no newline or control character), got ${JSON.stringify(a)}`);
}

/** Plan and (unless dry run) submit; `log` gets the human lines, the return value the facts. */
export function slurmSubmit(configPath: string, o: SlurmOptions, suites: SuiteRegistry, log: (m: string) => void): SlurmResult {
  const config = resolveDtypes(loadConfig(configPath, suites), o.gpusPerTask > 0 ? ["0"] : ["cpu"]);
  checkGridSize(configPath, config, o.allowLargeGrid === true);
  const outDir = resolve(o.out ?? join("results", config.name));
  checkScriptValues(outDir, o);
  const previous = existsSync(outDir) ? readSubmissions(outDir) : [];
  const last = previous.at(-1);
  const shards = o.shards ?? last?.shards ?? config.models.length;
  if (!Number.isInteger(shards) || shards < 1) throw new UsageError(`--shards: expected a positive integer, got ${shards}`);
  if (o.time !== undefined && !/^(\d+-)?\d+(:\d{1,2}){0,2}$/.test(o.time)) throw new UsageError(`--time: expected Slurm's [D-]HH:MM:SS (or MM, MM:SS, HH:MM:SS), got ${JSON.stringify(o.time)}`);
  if (o.tasks !== undefined) {
    const bad = o.tasks.filter((t) => !Number.isInteger(t) || t < 0 || t >= shards);
    if (bad.length > 0) throw new UsageError(`--tasks: ${bad.join(", ")} not a shard of 0..${shards - 1}`);
  }
  const cells = expandSweep(config);
  checkShardCount("--shards", shards, cellMaxCases(cells, suites, o.limit ?? null));
  const status = existsSync(outDir) ? runStatus(outDir) : null;
  let tasks: number[];
  if (o.tasks !== undefined) tasks = [...new Set(o.tasks)].sort((a, b) => a - b);
  else if (status !== null && status.shards === shards) {
    tasks = status.perShard.filter((s) => s.state !== "done" && s.state !== "running" && s.state !== "pending").map((s) => s.shard.index);
    const skipped = status.perShard.filter((s) => !tasks.includes(s.shard.index));
    if (skipped.length > 0) log(`shards not resubmitted: ${skipped.map((s) => `${s.shard.index} (${s.state})`).join(", ")}`);
  } else tasks = Array.from({ length: shards }, (_, i) => i);

  const params: ScriptParams = {
    name: config.name,
    configPath: resolve(configPath),
    outDir,
    shards,
    tasks,
    gpusPerTask: o.gpusPerTask,
    cpusPerTask: o.cpusPerTask,
    ...(o.partition !== undefined ? { partition: o.partition } : {}),
    ...(o.time !== undefined ? { time: o.time } : {}),
    sbatchArgs: o.sbatchArg,
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    ...(o.allowLargeGrid === true ? { allowLargeGrid: true } : {}),
    node: process.execPath,
    repoDir: REPO_DIR,
  };
  const script = arrayScript(params);
  const report = o.noReport ? null : reportScript(params);
  if (tasks.length === 0) {
    log(`${outDir}: all ${shards} shards are done, running or queued; nothing to submit (\`gembench status ${outDir}\`)`);
    return { tasks, submission: null, script, reportScript: report, status };
  }
  if (o.dryRun) return { tasks, submission: null, script, reportScript: report, status };

  sbatchVersion(); // before anything is written: no Slurm here, nothing changes in the run folder
  // config.json first: every shard checks it holds their config (a folder of another config is refused here, once).
  openRunDir(outDir); // a new, empty or gembench run folder only, marked as one before anything else is written
  mkdirSync(join(outDir, "slurm"), { recursive: true });
  writeRunConfig(outDir, runConfigRecord(config, cells), { extend: o.extend === true });
  const n = previous.length + 1;
  const scriptPath = join(outDir, "slurm", `array-${n}.sbatch`);
  writeFileAtomic(scriptPath, script);
  const jobId = sbatch([scriptPath]);
  log(`submitted array job ${jobId}: shards ${arraySpec(tasks)} of ${shards} (${scriptPath})`);
  let reportJobId: string | null = null;
  if (report !== null) {
    const reportPath = join(outDir, "slurm", `report-${n}.sbatch`);
    writeFileAtomic(reportPath, report);
    reportJobId = sbatch([`--dependency=afterany:${jobId}`, reportPath]);
    log(`submitted report job ${reportJobId} (after the array): ${reportPath}`);
  }
  const submission: SlurmSubmission = { jobId, reportJobId, shards, tasks, script: scriptPath, submittedAt: new Date().toISOString() };
  const slurmFile = join(outDir, SLURM_FILE);
  writeFileAtomic(slurmFile, `${JSON.stringify({ submissions: [...previous, submission] }, null, 2)}\n`);
  log(`progress: gembench status ${outDir}`);
  return { tasks, submission, script, reportScript: report, status };
}
