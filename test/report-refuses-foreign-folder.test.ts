// `gembench report` writes summary.md, summary.csv and report.html: into a folder that is not a run folder (no marker,
// and files gembench never writes beside a records.jsonl) it refuses, exit 2, and leaves the user's files untouched.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RECORD_SCHEMA_VERSION } from "../core/records.ts";
import { MARKER_FILE } from "../core/results.ts";
import { dense, niahRecord } from "./helpers/records.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const report = (dir: string) => spawnSync(process.execPath, [bin, "report", dir], { encoding: "utf8", timeout: 60_000 });

test("a folder with records.jsonl beside the user's own files: refused, nothing overwritten; a marked run folder: written", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-foreign-"));
  writeFileSync(join(dir, "records.jsonl"), `${JSON.stringify(niahRecord({ method: dense, contextLength: 1000, depthPercent: 0, score: 1 }))}\n`);
  writeFileSync(join(dir, "summary.md"), "my notes\n");
  writeFileSync(join(dir, "thesis.tex"), "\\documentclass{article}\n");
  const r = report(dir);
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /is not a gembench run folder \(no gembench-run\.json; it holds records\.jsonl, summary\.md, thesis\.tex\): refusing to write reports into it/);
  t.is(readFileSync(join(dir, "summary.md"), "utf8"), "my notes\n");
  writeFileSync(join(dir, MARKER_FILE), `${JSON.stringify({ gembench: "run", schema: RECORD_SCHEMA_VERSION })}\n`);
  const marked = report(dir);
  t.is(marked.status, 0, marked.stderr);
  t.not(readFileSync(join(dir, "summary.md"), "utf8"), "my notes\n");
});
