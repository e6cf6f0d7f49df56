// A shard's own lock: shards of one run lock separately (run.<i>-of-<N>.lock, so siblings never block each other),
// the same shard twice is refused, and a lock left on another host by a Slurm job that has ended (a preempted task
// resubmitted elsewhere) is taken over — asked of squeue, here a stand-in on PATH that answers as Slurm does.
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { UsageError } from "../core/errors.ts";
import { RECORD_SCHEMA_VERSION } from "../core/records.ts";
import { lockFileFor, MARKER_FILE, RunStore } from "../core/results.ts";

/** Run fn with a fake squeue first on PATH: `jobs` are the job ids it lists; any other id is "Invalid job id". */
function withSqueue<T>(jobs: string[], fn: () => T): T {
  const bin = mkdtempSync(join(tmpdir(), "gembench-fake-squeue-"));
  writeFileSync(
    join(bin, "squeue"),
    `#!/bin/sh\n# squeue -h -j <id> -o %i\nfor j in ${jobs.join(" ")}; do [ "$3" = "$j" ] && { echo "$j"; exit 0; }; done\necho "slurm_load_jobs error: Invalid job id specified" >&2\nexit 1\n`,
  );
  chmodSync(join(bin, "squeue"), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path ?? ""}`;
  try {
    return fn();
  } finally {
    process.env.PATH = path;
  }
}

test.serial("shards lock separately; the same shard twice is refused", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-shard-lock-"));
  const a = new RunStore(dir, { index: 0, count: 2 });
  const b = new RunStore(dir, { index: 1, count: 2 });
  t.true(existsSync(join(dir, "run.0-of-2.lock")) && existsSync(join(dir, "run.1-of-2.lock")));
  t.throws(() => new RunStore(dir, { index: 1, count: 2 }), { instanceOf: UsageError, message: /is being written by another gembench run/ });
  a.close();
  b.close();
  t.false(existsSync(join(dir, "run.0-of-2.lock")));
});

test.serial("another host's lock: taken over once its Slurm job has ended, refused while Slurm still lists it", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-shard-lock-"));
  const shard = { index: 1, count: 3 };
  const lock = join(dir, lockFileFor(shard));
  writeFileSync(join(dir, MARKER_FILE), JSON.stringify({ gembench: "run", schema: RECORD_SCHEMA_VERSION })); // the run folder it left
  writeFileSync(lock, `12345 not-${hostname()} slurm:77\n`);
  const err = withSqueue(["77"], () => t.throws(() => new RunStore(dir, shard), { instanceOf: UsageError }));
  t.is(err?.message, `${dir} is locked by a run on host not-${hostname()} (pid 12345); if that run is over, delete ${lock}`);
  const s = withSqueue(["78"], () => new RunStore(dir, shard));
  t.true(existsSync(lock));
  s.close();
  t.false(existsSync(lock));
});
