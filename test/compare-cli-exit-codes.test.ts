// `gembench compare` as a CI step: markdown on stdout, exit 0 without a regression, 1 with one, 2 for usage errors.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dense, gemfilter, niahRecord } from "./helpers/records.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "gembench-cmp-cli-"));

function runDir(name: string, method: typeof dense, score: number): string {
  const d = join(dir, name);
  mkdirSync(d);
  const rs = [0, 50].map((depthPercent) => niahRecord({ method, contextLength: 4000, depthPercent, score }));
  writeFileSync(join(d, "records.jsonl"), rs.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return d;
}
const base = runDir("base", gemfilter(13, 1024), 0.9);
const worse = runDir("worse", gemfilter(13, 1024), 0.8);
const other = runDir("other", dense, 0.9);

function gembench(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, "compare", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("same results: exit 0 and a markdown verdict", (t) => {
  const r = gembench(base, join(base, "records.jsonl"));
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.startsWith("## gembench compare\n\n**✅ No regression: 1 matched cell within thresholds.**"));
  t.regex(r.stderr, /compare: 1 cells matched, 0 regressed/);
});

test("a 10-point drop: exit 1 and the reason in the table; --max-accuracy-drop off: exit 0", (t) => {
  const r = gembench(base, worse);
  t.is(r.code, 1, r.stderr);
  t.true(r.stdout.includes("**❌ Regression: 1 of 1 matched cells regressed.**"));
  t.true(r.stdout.includes("| niah −10.00 points (max drop 1) |"));
  t.is(gembench(base, worse, "--max-accuracy-drop", "off").code, 0);
});

test("usage errors exit 2: a missing folder, a folder without records, a bad flag value, no cells in common", (t) => {
  const missing = gembench(join(dir, "nope"), base);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /baseline: .*nope does not exist/);
  mkdirSync(join(dir, "empty"));
  t.is(gembench(base, join(dir, "empty")).code, 2);
  t.is(gembench(base, worse, "--max-time-ratio", "fast").code, 2);
  const disjoint = gembench(base, other);
  t.is(disjoint.code, 2);
  t.regex(disjoint.stderr, /no cells in common/);
});
