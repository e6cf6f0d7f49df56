// A run folder written by shards is read as one run by report and compare (every records.<i>-of-<N>.jsonl, latest
// record per case across files), and a shard file that belongs to another config or record schema is refused by name.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { UsageError } from "../core/errors.ts";
import { RECORD_SCHEMA_VERSION, type GemRecord } from "../core/records.ts";
import { configHash, loadRunRecords, manifestFileFor, recordsFileFor, writeManifest, type ShardSpec } from "../core/results.ts";
import { loadComparable } from "../reports/compare.ts";
import { writeReports } from "../reports/index.ts";
import { dense, gemfilter, niahRecord } from "./helpers/records.ts";

const CONFIG = { name: "merge", cells: [{ cellKey: "a" }, { cellKey: "b" }] };

function runFolder(shards: { shard: ShardSpec; records: GemRecord[] }[], manifest: (s: ShardSpec) => Record<string, unknown> = () => ({})): string {
  const dir = mkdtempSync(join(tmpdir(), "gembench-merge-"));
  writeFileSync(join(dir, "config.json"), `${JSON.stringify(CONFIG, null, 2)}\n`);
  for (const { shard, records } of shards) {
    writeFileSync(join(dir, recordsFileFor(shard)), records.map((r) => `${JSON.stringify(r)}\n`).join(""));
    writeManifest(dir, {
      schema: RECORD_SCHEMA_VERSION,
      configHash: configHash(CONFIG),
      shard,
      limit: null,
      host: "node1",
      pid: 1,
      slurm: null,
      startedAt: "2026-01-01T00:00:00.000Z",
      finished: null,
      ...manifest(shard),
    });
  }
  return dir;
}

const r = (method: typeof dense, contextLength: number, depthPercent: number, extra: Partial<GemRecord> = {}): GemRecord => ({
  ...niahRecord({ method, contextLength, depthPercent, score: 1 }),
  ...extra,
});

test("three shard files read as one run: every case once, the later of two attempts wins, one report", async (t) => {
  const a = [r(dense, 1000, 0), r(dense, 1000, 50)];
  const b = [r(dense, 1000, 100), r(gemfilter(1, 64), 1000, 0, { status: "errored", finishedAt: "2026-01-01T00:00:01.000Z" })];
  // Shard 2 of a later 3-way resubmission finished the errored case again.
  const c = [r(gemfilter(1, 64), 1000, 0, { finishedAt: "2026-01-01T00:00:09.000Z" }), r(gemfilter(1, 64), 1000, 50)];
  const dir = runFolder([
    { shard: { index: 0, count: 2 }, records: a },
    { shard: { index: 1, count: 2 }, records: b },
    { shard: { index: 2, count: 3 }, records: c },
  ]);
  const merged = loadRunRecords(dir);
  t.deepEqual(merged.map((x) => x.recordKey).sort(), [...a, ...b.slice(0, 1), ...c].map((x) => x.recordKey).sort());
  t.is(merged.find((x) => x.recordKey === c[0]!.recordKey)!.status, "completed");
  t.deepEqual(loadComparable(dir, "baseline"), merged);
  const paths = await writeReports(dir, { generatedAt: "2026-01-01T00:00:00Z" });
  t.true(paths.some((p) => p.endsWith("summary.csv")));
  // One row per cell with its merged case count (dense: 3 cases from two shards; gemfilter: 2 from two).
  const csv = readFileSync(join(dir, "summary.csv"), "utf8");
  t.regex(csv, /dense[^\n]*,3,/);
  t.regex(csv, /gemfilter[^\n]*,2,/);
});

test("a shard written for another config is refused, by report and by compare", (t) => {
  const dir = runFolder(
    [
      { shard: { index: 0, count: 2 }, records: [r(dense, 1000, 0)] },
      { shard: { index: 1, count: 2 }, records: [r(dense, 1000, 50)] },
    ],
    (s) => (s.index === 1 ? { configHash: configHash({ ...CONFIG, name: "other" }) } : {}),
  );
  const e = t.throws(() => loadRunRecords(dir), { instanceOf: UsageError });
  t.regex(e.message, /records\.1-of-2\.jsonl: written for another config \(sha256:[0-9a-f]{16}\) than this run folder's config\.json \(sha256:[0-9a-f]{16}\)/);
  t.throws(() => loadComparable(dir, "candidate"), { instanceOf: UsageError, message: /^candidate: .*records\.1-of-2\.jsonl: written for another config/ });
});

test("a shard of another record schema version is refused", (t) => {
  const dir = runFolder([{ shard: { index: 0, count: 1 }, records: [r(dense, 1000, 0)] }], () => ({ schema: RECORD_SCHEMA_VERSION + 1 }));
  t.throws(() => loadRunRecords(dir), {
    instanceOf: UsageError,
    message: new RegExp(`records\\.0-of-1\\.jsonl: written with record schema v${RECORD_SCHEMA_VERSION + 1}; this gembench reads v${RECORD_SCHEMA_VERSION}`),
  });
  // A record line of another schema, whatever the manifest says, is refused by its line number.
  const dir2 = runFolder([{ shard: { index: 0, count: 1 }, records: [{ ...r(dense, 1000, 0), schema: 7 } as unknown as GemRecord] }]);
  t.throws(() => loadRunRecords(dir2), { instanceOf: UsageError, message: /records\.0-of-1\.jsonl:1: a record of schema v7; this gembench reads v1/ });
});

test("a shard records file without its manifest is refused", (t) => {
  const dir = runFolder([{ shard: { index: 0, count: 2 }, records: [r(dense, 1000, 0)] }]);
  rmSync(join(dir, manifestFileFor({ index: 0, count: 2 })));
  t.throws(() => loadRunRecords(dir), { instanceOf: UsageError, message: /records\.0-of-2\.jsonl: no shard\.0-of-2\.json beside it/ });
});
