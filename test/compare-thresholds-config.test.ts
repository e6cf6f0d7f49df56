// compare: thresholds come from defaults, then a JSON file, then flags (null = not gated); a malformed file is a
// usage error naming the problem.
import test from "ava";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../core/errors.ts";
import { compareCommand } from "../reports/compare.ts";
import { gemfilter, niahRecord } from "./helpers/records.ts";

const dir = mkdtempSync(join(tmpdir(), "gembench-cmp-th-"));
function runDir(name: string, score: number): string {
  const d = join(dir, name);
  mkdirSync(d);
  writeFileSync(join(d, "records.jsonl"), `${JSON.stringify(niahRecord({ method: gemfilter(13, 1024), contextLength: 4000, depthPercent: 0, score }))}\n`);
  return d;
}
function file(name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === "string" ? value : JSON.stringify(value));
  return p;
}
const base = runDir("base", 0.9);
const cand = runDir("cand", 0.87); // −3 points

test("defaults: a 3-point drop regresses", (t) => {
  const r = compareCommand(base, cand);
  t.is(r.code, 1);
  t.deepEqual(r.result.thresholds, { maxAccuracyDrop: 1, maxTimeRatio: 1.1, maxMemoryRatio: 1.05, minTimeMs: 5 });
});

test("the file overrides the defaults and the flags override the file", (t) => {
  const loose = file("loose.json", { maxAccuracyDrop: 5, maxTimeRatio: null });
  const r = compareCommand(base, cand, { thresholdsFile: loose });
  t.is(r.code, 0);
  t.deepEqual(r.result.thresholds, { maxAccuracyDrop: 5, maxTimeRatio: null, maxMemoryRatio: 1.05, minTimeMs: 5 });
  t.true(r.stdout.includes("- Thresholds: accuracy drop ≤ 5 points · time: not gated · memory ratio ≤ ×1.05"));
  t.is(compareCommand(base, cand, { thresholdsFile: loose, flags: { maxAccuracyDrop: 2 } }).code, 1);
});

test("unknown keys, wrong types and bad JSON in the file are usage errors", (t) => {
  t.throws(() => compareCommand(base, cand, { thresholdsFile: file("typo.json", { maxAccuracyDrops: 2 }) }), { instanceOf: UsageError, message: /Unrecognized key/ });
  t.throws(() => compareCommand(base, cand, { thresholdsFile: file("type.json", { maxTimeRatio: "1.2" }) }), { instanceOf: UsageError, message: /maxTimeRatio/ });
  t.throws(() => compareCommand(base, cand, { thresholdsFile: file("bad.json", "{") }), { instanceOf: UsageError, message: /not valid JSON/ });
  t.throws(() => compareCommand(base, cand, { thresholdsFile: join(dir, "absent.json") }), { instanceOf: UsageError, message: /does not exist/ });
});
