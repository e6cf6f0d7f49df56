// `gembench status`: each shard's state from its manifest, its records and what Slurm says of its array task
// (here a stand-in for squeue/sacct): done, errored, interrupted, stopped (killed or preempted), running, pending,
// not started; and the line that says what to resubmit.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { RECORD_SCHEMA_VERSION } from "../core/records.ts";
import { recordsFileFor, writeManifest, type ShardManifest, type ShardSpec } from "../core/results.ts";
import { runStatus } from "../harness/shard-status.ts";
import { statusTable } from "../reports/console.ts";
import { dense, niahRecord } from "./helpers/records.ts";

const N = 7;

function manifest(shard: ShardSpec, finished: Partial<NonNullable<ShardManifest["finished"]>> | null): ShardManifest {
  return {
    schema: RECORD_SCHEMA_VERSION,
    configHash: "sha256:0000000000000000",
    shard,
    limit: null,
    host: "node7",
    pid: 1,
    slurm: null,
    startedAt: "2026-01-01T00:00:00.000Z",
    finished:
      finished === null
        ? null
        : { at: "2026-01-01T01:00:00.000Z", cases: 2, completed: 2, resumed: 0, errored: 0, unsupported: 0, interrupted: false, modelErrors: 0, ...finished },
  };
}

test("per-shard states from manifests, records and Slurm; the summary line says what to resubmit", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-status-"));
  mkdirSync(dir, { recursive: true });
  const s = (i: number): ShardSpec => ({ index: i, count: N });
  writeManifest(dir, manifest(s(0), {})); // done
  writeManifest(dir, manifest(s(1), null)); // Slurm: RUNNING
  writeManifest(dir, manifest(s(2), null)); // Slurm: CANCELLED → stopped
  writeManifest(dir, manifest(s(3), { completed: 1, errored: 1 })); // errored
  writeManifest(dir, manifest(s(4), { completed: 1, interrupted: true })); // interrupted (SIGTERM, time limit)
  // 5: queued, no manifest yet (Slurm: PENDING); 6: never submitted
  writeFileSync(
    join(dir, recordsFileFor(s(0))),
    [niahRecord({ method: dense, contextLength: 500, depthPercent: 0, score: 1 }), niahRecord({ method: dense, contextLength: 500, depthPercent: 50, score: 0, status: "errored" })]
      .map((r) => `${JSON.stringify(r)}\n`)
      .join(""),
  );
  writeFileSync(join(dir, "slurm.json"), JSON.stringify({ submissions: [{ jobId: "41", reportJobId: "42", shards: N, tasks: [0, 1, 2, 3, 4, 5], script: "x", submittedAt: "2026-01-01T00:00:00.000Z" }] }));
  const asked: string[][] = [];
  const st = runStatus(dir, {
    slurm: (ids) => {
      asked.push([...ids]);
      return new Map([
        ["41_0", "COMPLETED"],
        ["41_1", "RUNNING"],
        ["41_2", "CANCELLED"],
        ["41_5", "PENDING"],
      ]);
    },
  });
  t.deepEqual(asked, [["41"]]);
  t.is(st.shards, N);
  t.deepEqual(
    st.perShard.map((x) => [x.state, x.job, x.slurmState]),
    [
      ["done", "41_0", "COMPLETED"],
      ["running", "41_1", "RUNNING"],
      ["stopped", "41_2", "CANCELLED"],
      ["errored", "41_3", null],
      ["interrupted", "41_4", null],
      ["pending", "41_5", "PENDING"],
      ["not started", null, null],
    ],
  );
  t.deepEqual([st.perShard[0]!.completed, st.perShard[0]!.errored, st.perShard[0]!.cases], [1, 1, 2]);
  const text = statusTable(st);
  t.regex(text, /^shard +state +completed +errored +other +cases +host +slurm job +slurm state$/m);
  t.regex(text, /^2\/7 +stopped +0 +0 +0 +\? +node7 +41_2 +CANCELLED$/m);
  t.regex(text, /^1 of 7 shards done, 1 running, 1 pending, 4 to resubmit\.$/m);
  t.regex(text, /^Resubmit the others \(finished cases are skipped\): `gembench slurm <config> --out .*`\.$/m);
});

test("a folder without shards says so", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-status-"));
  const st = runStatus(dir, { slurm: () => new Map() });
  t.is(st.shards, null);
  t.regex(statusTable(st), /not a sharded run \(no shard record files, no Slurm submission\)/);
});
