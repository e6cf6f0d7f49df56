// A records file whose last record is complete but lacks its trailing newline (a hand edit, an editor that strips
// it) keeps that record — read as is, and on resume (repair) completed with its newline, not cut away as "torn" and
// re-run. A last line that does not parse, or parses but is not a record, is still cut as torn.
import test from "ava";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readRecordsFile } from "../core/results.ts";
import { dense, niahRecord } from "./helpers/records.ts";

const line = (depth: number): string => JSON.stringify(niahRecord({ method: dense, contextLength: 1000, depthPercent: depth, score: 1 }));
const file = (text: string): string => {
  const p = join(mkdtempSync(join(tmpdir(), "gembench-nl-")), "records.jsonl");
  writeFileSync(p, text);
  return p;
};

test("a complete last record without its newline is kept; with repair the newline is added", (t) => {
  const text = `${line(0)}\n${line(50)}`;
  const read = file(text);
  t.is(readRecordsFile(read, { repair: false }).all.length, 2);
  t.is(readFileSync(read, "utf8"), text, "reading without repair leaves the file as it was");
  const repaired = readRecordsFile(read, { repair: true });
  t.is(repaired.all.length, 2);
  t.is(repaired.truncatedBytes, 0);
  t.is(readFileSync(read, "utf8"), `${text}\n`);
});

test("a torn last line (a cut record, or JSON that is not a record) is still cut", (t) => {
  const cut = line(50).slice(0, 40);
  const torn = file(`${line(0)}\n${cut}`);
  const r = readRecordsFile(torn, { repair: true });
  t.is(r.all.length, 1);
  t.is(r.truncatedBytes, cut.length);
  t.is(readFileSync(torn, "utf8"), `${line(0)}\n`);
  const notRecord = file(`${line(0)}\n{"a":1}`);
  t.is(readRecordsFile(notRecord, { repair: true }).all.length, 1);
  t.is(readFileSync(notRecord, "utf8"), `${line(0)}\n`);
});
