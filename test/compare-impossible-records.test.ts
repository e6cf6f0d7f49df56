// Records that cannot be true — a negative time or memory, a score outside [0, 1] — are input errors (exit 2), named
// with their file and line, in compare (where a ratio of ×-0.00 used to pass every gate) and in status/report reads.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GemRecord } from "../core/records.ts";
import { dense, niahRecord } from "./helpers/records.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "gembench-impossible-"));
const good = niahRecord({ method: dense, contextLength: 1000, depthPercent: 0, score: 1 });

function runDir(name: string, second: GemRecord): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const other = niahRecord({ method: dense, contextLength: 1000, depthPercent: 50, score: 1 });
  writeFileSync(join(dir, "records.jsonl"), `${JSON.stringify(good)}\n${JSON.stringify({ ...second, recordKey: other.recordKey, caseId: other.caseId })}\n`);
  return dir;
}

test("negative times and memory, scores outside [0, 1]: compare exits 2 naming file:line and the field", (t) => {
  const base = runDir("base", good);
  const bad: [string, GemRecord, RegExp][] = [
    ["neg-time", { ...good, timings: { ...good.timings!, totalMs: -0.001 } }, /timings\.totalMs: .*>=0/],
    ["neg-memory", { ...good, memory: { ...good.memory!, peak: { ...good.memory!.peak, kv: -5 } } }, /memory\.peak\.kv: .*>=0/],
    ["big-score", { ...good, scores: { niah: 1.5 } }, /scores\.niah: .*<=1/],
    ["neg-score", { ...good, scores: { niah: -0.1 } }, /scores\.niah: .*>=0/],
  ];
  for (const [name, record, field] of bad) {
    const r = spawnSync(process.execPath, [bin, "compare", base, runDir(name, record)], { encoding: "utf8", timeout: 60_000 });
    t.is(r.status, 2, `${name}: ${r.stderr}`);
    t.regex(r.stderr, new RegExp(`${name}/records\\.jsonl:2: not a record: `), name);
    t.regex(r.stderr, field, name);
  }
});
