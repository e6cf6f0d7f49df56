// `gembench slurm` on a real Slurm (a one-node cluster: scripts/slurm-local.sh, which .ci/run starts): the quick-start
// grid as 3 shards of a job array on the CPU backend. One array task is killed mid-run (scancel: SIGTERM, then SIGKILL
// after KillWait, as a preemption does), the others finish;
// re-submitting runs only the killed shard, which resumes where it stopped. The merged records then equal an
// unsharded run's case for case (same keys, same outputs), with nothing lost or duplicated, and the dependent report
// job has written the merged report. Opt-in: GEMBENCH_SLURM=1 says a cluster is up (.ci/run sets it).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import test from "ava";
import type { GemRecord } from "../core/records.ts";
import { loadRunRecords, readManifest, recordFiles } from "../core/results.ts";
import { suites } from "../datasets/index.ts";
import { loadConfig } from "../harness/config.ts";
import { shardPlan } from "../harness/run.ts";
import type { RunStatus } from "../harness/shard-status.ts";
import { expandSweep } from "../harness/sweep.ts";

const REPO = resolve(import.meta.dirname, "..");
const CLI = join(REPO, "bin", "gembench.js");
const CONFIG = join(REPO, "configs", "quickstart.json");
const SHARDS = 3;
const WAIT_MS = 6 * 60_000;

interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

function gembench(args: string[], env: Record<string, string> = {}): Promise<Done> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, GEMBENCH_RUNNER_ARGS: "--threads 1", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", rej);
    child.on("exit", (code) => res({ code, stdout, stderr }));
  });
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Whether Slurm still has the job (or any task of the array) pending or running. */
function queued(jobId: string): boolean {
  return execFileSync("squeue", ["-h", "-j", jobId, "-o", "%i"], { encoding: "utf8" }).trim() !== "";
}

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").slice(0, -1) : [];
}

function status(dir: string): RunStatus {
  return JSON.parse(execFileSync(process.execPath, [CLI, "status", dir, "--json"], { cwd: REPO, encoding: "utf8" })) as RunStatus;
}

if (process.env.GEMBENCH_SLURM !== "1") {
  test.skip('Slurm job array: SKIPPED, no cluster — as root: eval "$(scripts/slurm-local.sh start)" (sets GEMBENCH_SLURM=1; .ci/run does it)', () => {});
} else {
  test("3 shards as a Slurm array: one task killed and resubmitted alone; merged records equal the unsharded run", async (t) => {
    t.timeout(15 * 60_000);
    const dir = mkdtempSync(join("/tmp", "gembench-slurm-test-"));
    const out = join(dir, "sharded");
    const jobs: string[] = [];
    t.teardown(() => {
      for (const j of jobs) execFileSync("scancel", [j], { stdio: "ignore" });
      if (t.passed) rmSync(dir, { recursive: true, force: true });
    });

    // The first case of the first whole cell of shard 1 hangs (its runner sleeps), so the task is killed mid-run with
    // records already written before it (and the hang never finishes: the killed case has no record).
    const cells = expandSweep(loadConfig(CONFIG, suites));
    const plan = shardPlan(cells, suites, SHARDS)[1]!;
    const target = plan.slice(1).find((p) => p.from === 0 && p.to === 1);
    if (target === undefined) return t.fail(`shard 1 has no whole cell after its first portion: ${JSON.stringify(plan)}`);
    const fault = `${target.cellKey}/len500-depth0:hang`;

    // The unsharded reference runs beside the array (outputs do not depend on timing).
    const reference = gembench(["run", CONFIG, "--out", join(dir, "reference"), "--devices", "cpu"]);

    const first = await gembench(["slurm", CONFIG, "--out", out, "--shards", String(SHARDS), "--gpus-per-task", "0", "--time", "00:20:00"], {
      GEMBENCH_RUNNER_ARGS: "--threads 1 --allow-faults",
      GEMBENCH_FAULT_CASE: fault,
    });
    t.is(first.code, 0, first.stderr);
    const sub1 = JSON.parse(first.stdout) as { jobId: string; reportJobId: string; tasks: number[] };
    jobs.push(sub1.jobId, sub1.reportJobId);
    t.deepEqual(sub1.tasks, [0, 1, 2]);
    const script = readFileSync(join(out, "slurm", "array-1.sbatch"), "utf8");
    t.regex(script, /^#SBATCH --array=0-2 /m);
    t.regex(script, /--shard "\$SLURM_ARRAY_TASK_ID\/3" --devices "\$DEVICES"/);

    const shard1 = join(out, "records.1-of-3.jsonl");
    await waitFor("shard 1 to write two records", () => lines(shard1).length >= 2);
    t.is(readManifest(out, { index: 1, count: 3 })?.finished, null, "shard 1 hangs at its faulted case, unfinished");
    execFileSync("scancel", [`${sub1.jobId}_1`]);
    await waitFor("the first array to end", () => !queued(sub1.jobId));
    const beforeResume = lines(shard1);
    t.true(beforeResume.length >= 2);

    const mid = status(out);
    t.deepEqual(
      mid.perShard.map((s) => s.state),
      ["done", "interrupted", "done"],
      JSON.stringify(mid.perShard),
    );

    // Re-submitting (no --shards: the last submission's 3) sends only the unfinished shard.
    const second = await gembench(["slurm", CONFIG, "--out", out, "--gpus-per-task", "0"]);
    t.is(second.code, 0, second.stderr);
    const sub2 = JSON.parse(second.stdout) as { jobId: string; reportJobId: string; tasks: number[] };
    jobs.push(sub2.jobId, sub2.reportJobId);
    t.deepEqual(sub2.tasks, [1]);
    t.regex(readFileSync(join(out, "slurm", "array-2.sbatch"), "utf8"), /^#SBATCH --array=1 /m);
    await waitFor("the resubmitted task and the report job to end", () => !queued(sub2.jobId) && !queued(sub2.reportJobId));

    const ref = await reference;
    t.is(ref.code, 0, ref.stderr);
    const refRecords = loadRunRecords(join(dir, "reference"));
    t.is(refRecords.length, 45);

    t.deepEqual(status(out).perShard.map((s) => s.state), ["done", "done", "done"]);
    t.deepEqual(lines(shard1).slice(0, beforeResume.length), beforeResume, "records written before the kill are kept byte for byte");
    // Nothing duplicated: every record line of every shard file is a different case, and there are exactly 45.
    const all = recordFiles(out).flatMap((f) => lines(join(out, f.file)).map((l) => JSON.parse(l) as GemRecord));
    t.deepEqual(
      recordFiles(out).map((f) => f.file),
      ["records.0-of-3.jsonl", "records.1-of-3.jsonl", "records.2-of-3.jsonl"],
    );
    t.is(all.length, 45);
    t.is(new Set(all.map((r) => r.recordKey)).size, 45);
    // Nothing lost, nothing changed: the merged run equals the unsharded one case for case.
    const merged = loadRunRecords(out);
    const byKey = new Map(refRecords.map((r) => [r.recordKey, r]));
    t.deepEqual(merged.map((r) => r.recordKey).sort(), [...byKey.keys()].sort());
    for (const r of merged) {
      const want = byKey.get(r.recordKey)!;
      t.is(r.status, "completed", r.recordKey);
      t.deepEqual(r.output, want.output, r.recordKey);
      t.deepEqual(r.scores, want.scores, r.recordKey);
      t.is(r.keptLength, want.keptLength, r.recordKey);
      t.deepEqual(r.selection, want.selection, r.recordKey);
    }
    // The report job of the second submission merged all three shards: one row per case in summary.csv, all 45.
    const rows = readFileSync(join(out, "summary.csv"), "utf8").trim().split("\n");
    t.is(rows.length, 1 + 45);
    t.true(existsSync(join(out, "report.html")));
  });
}
