// `gembench report <runDir>`: writes summary.csv, summary.md and report.html from records.jsonl (the latest record
// per recordKey, so a case retried after an error counts once, as completed); exit 2 without a run folder.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gemfilter, niahRecord } from "./helpers/records.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const gembench = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

test("writes the three formats and prints their paths; a retried case is reported once, completed", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-report-"));
  const failed = niahRecord({ method: gemfilter(13, 1024), contextLength: 4000, depthPercent: 0, score: 0, status: "errored" });
  const retried = niahRecord({ method: gemfilter(13, 1024), contextLength: 4000, depthPercent: 0, score: 0.5 });
  const other = niahRecord({ method: gemfilter(13, 1024), contextLength: 4000, depthPercent: 50, score: 1 });
  writeFileSync(join(dir, "records.jsonl"), [failed, other, retried].map((r) => JSON.stringify(r)).join("\n") + "\n");
  writeFileSync(join(dir, "config.json"), JSON.stringify({ name: "report-test" }));
  const r = gembench("report", dir);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split("\n"), ["summary.csv", "summary.md", "report.html"].map((f) => join(dir, f)));
  const md = readFileSync(join(dir, "summary.md"), "utf8");
  t.true(md.includes("completed: 2\n"));
  t.false(md.includes("errored: "));
  t.true(md.includes("| gemfilter filterLayer=13 k=1024 | 75.0 | 2 | 0 |"));
  t.true(readFileSync(join(dir, "report.html"), "utf8").includes("<title>gembench report — report-test</title>"));
});

test("exit 2 for a missing folder or a folder without records.jsonl", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-report-"));
  const missing = gembench("report", join(dir, "nope"));
  t.is(missing.status, 2);
  t.regex(missing.stderr, /no such run folder/);
  mkdirSync(join(dir, "empty"));
  const empty = gembench("report", join(dir, "empty"));
  t.is(empty.status, 2);
  t.regex(empty.stderr, /no records\.jsonl/);
});
