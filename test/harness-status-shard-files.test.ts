// `gembench status` (and every reader of a run folder) refuses shard file names no shard can have — i ≥ N, N = 0, a
// leading zero — with exit 2 naming the file; shards of another shard count than the latest (an earlier --shards, or
// `run --shard i/M` by hand) are shown with their state, a finished one as done, never silently left out.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import { InputError } from "../core/errors.ts";
import { RECORD_SCHEMA_VERSION } from "../core/records.ts";
import { recordsFileFor, writeManifest, type ShardManifest, type ShardSpec } from "../core/results.ts";
import { runStatus } from "../harness/shard-status.ts";
import { statusTable } from "../reports/console.ts";
import { dense, niahRecord } from "./helpers/records.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));

function manifest(shard: ShardSpec, finished: boolean): ShardManifest {
  return {
    schema: RECORD_SCHEMA_VERSION,
    configHash: "sha256:0000000000000000",
    shard,
    limit: null,
    host: "node7",
    pid: 1,
    slurm: null,
    startedAt: "2026-01-01T00:00:00.000Z",
    finished: finished ? { at: "2026-01-01T01:00:00.000Z", cases: 1, completed: 1, resumed: 0, errored: 0, unsupported: 0, interrupted: false, modelErrors: 0 } : null,
  };
}

function shardFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "gembench-status-files-"));
  const s = { index: 0, count: 2 };
  writeManifest(dir, manifest(s, true));
  writeFileSync(join(dir, recordsFileFor(s)), `${JSON.stringify(niahRecord({ method: dense, contextLength: 500, depthPercent: 0, score: 1 }))}\n`);
  return dir;
}

for (const bad of ["records.2-of-2.jsonl", "records.0-of-0.jsonl", "records.01-of-2.jsonl", "shard.5-of-3.json", "records.99999999999999999999-of-2.jsonl"]) {
  test(`${bad}: no shard has this name — status exits 2 naming the file`, (t) => {
    const dir = shardFolder();
    writeFileSync(join(dir, bad), "");
    const e = t.throws(() => runStatus(dir, { slurm: () => new Map() }));
    t.true(e instanceof InputError);
    t.is(e.message, `${join(dir, bad)}: no shard has this name (shard i of N needs 0 <= i < N, written without leading zeros); it is not a file gembench wrote — move it out of the run folder`);
    const r = spawnSync(process.execPath, [bin, "status", dir], { encoding: "utf8", timeout: 60_000 });
    t.is(r.status, 2, r.stderr);
    t.true(r.stderr.includes(`${bad}: no shard has this name`), r.stderr);
  });
}

test("finished shards of an earlier shard count are shown as done beside the latest count's", (t) => {
  const dir = shardFolder(); // 0/2 finished
  const s1 = { index: 1, count: 2 };
  writeManifest(dir, manifest(s1, true));
  writeFileSync(join(dir, recordsFileFor(s1)), `${JSON.stringify(niahRecord({ method: dense, contextLength: 500, depthPercent: 50, score: 1 }))}\n`);
  // Then resubmitted as 3 shards, none started yet.
  writeFileSync(join(dir, "slurm.json"), JSON.stringify({ submissions: [{ jobId: "9", reportJobId: null, shards: 3, tasks: [0, 1, 2], script: "x", submittedAt: "2026-01-02T00:00:00.000Z" }] }));
  const st = runStatus(dir, { slurm: () => new Map() });
  t.is(st.shards, 3);
  t.deepEqual(st.perShard.map((x) => x.state), ["pending", "pending", "pending"]);
  t.deepEqual(st.otherShards.map((x) => [`${x.shard.index}/${x.shard.count}`, x.state, x.completed]), [["0/2", "done", 1], ["1/2", "done", 1]]);
  const text = statusTable(st);
  t.regex(text, /^shards of another count \(their finished cases are part of the run; resume skips them\):\n0\/2 +done +1 +0 +0 +1 +node7 +- +-\n1\/2 +done +1 +0 +0 +1 +node7 +- +-$/m);
});
