// `gembench slurm --dry-run` prints the sbatch scripts a user reads before submitting, and writes nothing; its flags
// land on the script's lines; bad flags are usage errors. No Slurm needed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import test from "ava";
import { main } from "../cli/main.ts";
import { arraySpec } from "../harness/slurm.ts";

const REPO = resolve(import.meta.dirname, "..");
const CONFIG = join(REPO, "configs", "quickstart.json");

/** The CLI in this process (serial tests only: it captures this process's stdout and stderr). */
async function gembench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => ((stdout += String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((stderr += String(c)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

test.serial("--dry-run prints the array script (every directive commented) and the report job's, and writes nothing", async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), "gembench-slurm-dry-")), "run");
  const r = await gembench([
    "slurm", CONFIG, "--out", out, "--shards", "4", "--gpus-per-task", "2", "--cpus-per-task", "8",
    "--partition", "gpu", "--time", "12:00:00", "--sbatch-arg=--account=lab", "--sbatch-arg=--qos=long", "--dry-run",
  ]);
  t.is(r.code, 0, r.stderr);
  const s = r.stdout;
  t.true(s.startsWith("#!/bin/bash\n"));
  for (const line of [
    "#SBATCH --job-name=gembench-quickstart",
    "#SBATCH --array=0-3",
    `#SBATCH --output=${out}/slurm/%A_%a.out`,
    "#SBATCH --ntasks=1",
    "#SBATCH --cpus-per-task=8",
    "#SBATCH --gpus-per-task=2",
    "#SBATCH --partition=gpu",
    "#SBATCH --time=12:00:00",
    "#SBATCH --account=lab",
    "#SBATCH --qos=long",
  ]) {
    t.regex(s, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} +# \\S`, "m"), `${line} with its comment`);
  }
  t.regex(s, /^DEVICES="\$\{CUDA_VISIBLE_DEVICES:-cpu\}"$/m);
  t.regex(s, new RegExp(`^exec \\S+ ${REPO}/bin/gembench\\.js run ${CONFIG} --out ${out} --shard "\\$SLURM_ARRAY_TASK_ID/4" --devices "\\$DEVICES"$`, "m"));
  t.regex(s, /--dependency=afterany:<array job id>/);
  t.regex(s, new RegExp(`^exec \\S+ ${REPO}/bin/gembench\\.js report ${out}$`, "m"));
  t.false(existsSync(out), "a dry run writes nothing");
});

test.serial("--tasks picks shards (the array line says which); --no-report leaves the report job out; defaults: one shard per model, the CPU (as run)", async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), "gembench-slurm-dry-")), "run");
  const r = await gembench(["slurm", CONFIG, "--out", out, "--shards", "8", "--tasks", "1,2,3,6", "--no-report", "--dry-run"]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^#SBATCH --array=1-3,6 /m);
  t.notRegex(r.stdout, /report/);
  const d = await gembench(["slurm", CONFIG, "--out", out, "--dry-run"]);
  t.regex(d.stdout, /^#SBATCH --array=0 /m);
  t.regex(d.stdout, /--shard "\$SLURM_ARRAY_TASK_ID\/1"/);
  t.notRegex(d.stdout, /--gpus-per-task/);
  t.deepEqual([arraySpec([0, 1, 2]), arraySpec([5, 0, 2, 1]), arraySpec([7])], ["0-2", "0-2,5", "7"]);
});

test.serial("bad flags are usage errors (exit 2) naming the flag; without sbatch, a submission says so", async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), "gembench-slurm-dry-")), "run");
  const cases: [string[], RegExp][] = [
    [["--shards", "0"], /--shards: expected a positive integer/],
    [["--shards", "3", "--tasks", "3"], /--tasks: 3 not a shard of 0\.\.2/],
    [["--tasks", "a"], /--tasks: expected a non-negative integer, got "a"/],
    [["--tasks", "1,,2"], /--tasks: expected shard indices like 1,3, got "1,,2" \(an empty entry\)/],
    [["--time", "soon"], /--time: expected Slurm's \[D-\]HH:MM:SS/],
    [["--gpus-per-task", "-1"], /--gpus-per-task: expected a non-negative integer/],
  ];
  for (const [flags, msg] of cases) {
    const r = await gembench(["slurm", CONFIG, "--out", out, ...flags, "--dry-run"]);
    t.is(r.code, 2, flags.join(" "));
    t.regex(r.stderr, msg);
  }
  const bad = await gembench(["run", CONFIG, "--out", out, "--shard", "2/2"]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--shard: expected "i\/N" with 0 <= i < N/);
  // A PATH without Slurm on it: the submission says what is missing.
  const r = spawnSync(process.execPath, [join(REPO, "bin", "gembench.js"), "slurm", CONFIG, "--out", out], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...process.env, PATH: mkdtempSync(join(tmpdir(), "gembench-empty-path-")) },
  });
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /sbatch not found: `gembench slurm` submits through Slurm's sbatch \(use --dry-run to only print the script\)/);
  t.false(existsSync(out), "nothing written when nothing can be submitted");
});
