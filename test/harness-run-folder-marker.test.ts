// A run writes only into a gembench run folder (marked with gembench-run.json and its record schema), a new or
// empty folder, or a run folder from before the marker; anything else — the current folder via --out "", a folder
// of someone's files, a file — is refused with exit 2 before a single file is written or changed.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../core/errors.ts";
import { MARKER_FILE, prepareRunDir, RunStore } from "../core/results.ts";
import { RECORD_SCHEMA_VERSION } from "../core/records.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const config = fileURLToPath(new URL("../configs/quickstart.json", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "gembench-marker-"));

/** Every file under `dir` with its bytes and mtime: equal snapshots mean nothing was touched. */
function snapshot(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .sort()
    .map((f) => `${f} ${statSync(join(dir, f)).mtimeMs} ${statSync(join(dir, f)).isFile() ? readFileSync(join(dir, f), "utf8") : "<dir>"}`)
    .join("\n");
}

function gembench(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stderr: r.stderr };
}

test('--out "" (the current folder) with a summary.md in it: exit 2, the folder untouched', (t) => {
  const cwd = join(root, "cwd");
  mkdirSync(cwd);
  writeFileSync(join(cwd, "summary.md"), "my own notes\n");
  const before = snapshot(cwd);
  const r = gembench(cwd, "run", config, "--out", "");
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /--out: expected a run folder, got ""/);
  t.is(snapshot(cwd), before);
});

test("an existing folder that is not a run folder: exit 2 naming it and what it holds, nothing written", (t) => {
  const foreign = join(root, "foreign");
  mkdirSync(join(foreign, "src"), { recursive: true });
  writeFileSync(join(foreign, "summary.md"), "keep me\n");
  writeFileSync(join(foreign, "notes.txt"), "keep me too\n");
  const before = snapshot(foreign);
  const r = gembench(root, "run", config, "--out", foreign);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /foreign is not empty and not a gembench run folder \(no gembench-run\.json; it holds notes\.txt, src, summary\.md\)/);
  t.is(snapshot(foreign), before);
});

test("--out naming a file: exit 2, the file unchanged (not a raw EEXIST)", (t) => {
  const file = join(root, "a-file");
  writeFileSync(file, "data\n");
  const r = gembench(root, "run", config, "--out", file);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /a-file is not a folder/);
  t.notRegex(r.stderr, /EEXIST/);
  t.is(readFileSync(file, "utf8"), "data\n");
});

test("new and empty folders become run folders with a marker; a marked folder is reopened", (t) => {
  const fresh = join(root, "fresh", "deeper");
  new RunStore(fresh).close();
  t.deepEqual(JSON.parse(readFileSync(join(fresh, MARKER_FILE), "utf8")), { gembench: "run", schema: RECORD_SCHEMA_VERSION });
  const empty = join(root, "empty");
  mkdirSync(empty);
  new RunStore(empty).close();
  t.true(readdirSync(empty).includes(MARKER_FILE));
  t.notThrows(() => prepareRunDir(fresh));
});

test("a run folder from before the marker (only gembench's files, records.jsonl, config.json or run.lock among them) is accepted and marked", (t) => {
  const legacy = join(root, "legacy");
  mkdirSync(legacy);
  for (const f of ["records.jsonl", "config.json", "config.1.json", "summary.md", "summary.csv", "report.html", "model-info.json"]) writeFileSync(join(legacy, f), f.endsWith(".jsonl") ? "" : "{}");
  new RunStore(legacy).close();
  t.true(readdirSync(legacy).includes(MARKER_FILE));
  // …but the same files plus a stranger, or reports alone, are not a run folder.
  const mixed = join(root, "mixed");
  mkdirSync(mixed);
  writeFileSync(join(mixed, "records.jsonl"), "");
  writeFileSync(join(mixed, "thesis.tex"), "");
  t.throws(() => prepareRunDir(mixed), { instanceOf: UsageError, message: /not a gembench run folder/ });
  const noRecords = join(root, "no-records");
  mkdirSync(noRecords);
  writeFileSync(join(noRecords, "summary.md"), "x");
  t.throws(() => prepareRunDir(noRecords), { instanceOf: UsageError });
  t.deepEqual(readdirSync(noRecords), ["summary.md"]);
});

test("a marker of another record schema is refused", (t) => {
  const other = join(root, "other-schema");
  mkdirSync(other);
  writeFileSync(join(other, MARKER_FILE), JSON.stringify({ gembench: "run", schema: RECORD_SCHEMA_VERSION + 1 }));
  t.throws(() => new RunStore(other), { instanceOf: UsageError, message: new RegExp(`schema ${RECORD_SCHEMA_VERSION + 1}; this gembench writes schema ${RECORD_SCHEMA_VERSION}`) });
  t.deepEqual(readdirSync(other), [MARKER_FILE]);
});
