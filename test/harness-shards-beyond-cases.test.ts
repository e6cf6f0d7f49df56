// More shards than cases is refused (exit 2), for `run --shard i/N` and `slurm --shards N`, naming the count of cases
// (each cell's suite maxCases, capped by --limit): the extra shards would run nothing. Suites that cannot tell their
// case count before reading data (LongBench without limit) are not checked.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import { UsageError } from "../core/errors.ts";
import { checkShardCount } from "../harness/shards.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "gembench-shards-cases-"));
const configPath = join(dir, "c.json");
// 2 methods × 1 length × 3 depths: 6 cases.
writeFileSync(
  configPath,
  JSON.stringify({
    name: "shards-cases",
    models: ["synthetic:retrieval-tiny"],
    engines: [{ method: "dense" }, { method: "snapkv", params: { k: 64 } }],
    suites: [{ name: "niah", options: { variant: "passkey", lengths: [400], depths: [0, 50, 100] } }],
    run: { maxNewTokens: 4 },
  }),
);

const gembench = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: "utf8", timeout: 60_000 });

test("checkShardCount: refuses N above the cases' total, names both; an unknown count is not checked", (t) => {
  t.notThrows(() => checkShardCount("--shards", 6, [3, 3]));
  const e = t.throws(() => checkShardCount("--shards", 7, [3, 3]));
  t.true(e instanceof UsageError);
  t.is(e.message, "--shards: 7 shards for a run of at most 6 case(s) (2 cell(s)); 1 shard(s) would run nothing — use at most 6 shards");
  t.notThrows(() => checkShardCount("--shards", 1000, [3, null]));
});

test("run --shard 0/7 on 6 cases: exit 2 before anything is written; --limit 1 makes it 2 cases", (t) => {
  const out = join(dir, "run");
  const r = gembench("run", configPath, "--out", out, "--shard", "0/7");
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /--shard: 7 shards for a run of at most 6 case\(s\) \(2 cell\(s\)\); 1 shard\(s\) would run nothing/);
  t.false(existsSync(out));
  const limited = gembench("run", configPath, "--out", out, "--shard", "1/3", "--limit", "1");
  t.is(limited.status, 2, limited.stderr);
  t.regex(limited.stderr, /--shard: 3 shards for a run of at most 2 case\(s\)/);
});

test("slurm --shards 7 on 6 cases: exit 2 (even with --dry-run); --shards 6 prints the scripts", (t) => {
  const out = join(dir, "slurm");
  const r = gembench("slurm", configPath, "--out", out, "--shards", "7", "--dry-run");
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /--shards: 7 shards for a run of at most 6 case\(s\)/);
  const ok = gembench("slurm", configPath, "--out", out, "--shards", "6", "--dry-run");
  t.is(ok.status, 0, ok.stderr);
  t.regex(ok.stdout + ok.stderr, /--array=0-5/);
});
