// LongBench v2 end to end on the built-in synthetic model: cases built from a made-up data.json, run, scored with
// the official extraction (the random-weight model answers nothing: accuracy 0, no answer extracted) and reported as
// result.py's columns; the shipped configs parse.
import test from "ava";
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suites } from "../datasets/index.ts";
import { loadConfig } from "../harness/config.ts";
import { gembenchRun, runRecords } from "./helpers/gembench-run.ts";

test("a run of the longbench-v2 suite writes accuracy/extracted scores and the leaderboard table", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lbv2-e2e-"));
  const items = Array.from({ length: 4 }, (_, i) => ({
    _id: `q${i}`, domain: "Code Repository Understanding", sub_domain: "Code repo QA", difficulty: i < 2 ? "easy" : "hard", length: ["short", "medium", "long", "short"][i],
    question: `Which file defines f${i}?`, choice_A: "a.py", choice_B: "b.py", choice_C: "c.py", choice_D: "d.py", answer: "ABCD"[i], context: `def f${i}(): pass\n`.repeat(10),
  }));
  writeFileSync(join(dir, "data.json"), JSON.stringify(items));
  const config = {
    name: "lbv2-e2e",
    models: [{ id: "synthetic:tiny-llama" }],
    engines: [{ method: "dense" }],
    suites: [{ name: "longbench-v2", options: { data: join(dir, "data.json") } }],
    run: { maxNewTokens: 8 },
  };
  const run = gembenchRun(config, dir, 120_000);
  t.is(run.status, 0, run.stderr);
  const records = runRecords(run.out);
  t.deepEqual(records.map((r) => r.caseId), ["q0", "q1", "q2", "q3"]);
  for (const r of records) {
    t.is(r.status, "completed");
    t.deepEqual(Object.keys(r.scores), ["accuracy", "extracted"]);
  }
  const md = readFileSync(join(run.out, "summary.md"), "utf8");
  t.regex(md, /### LongBench v2/);
  t.regex(md, /\| Method \| Overall \| Easy \| Hard \| Short \| Medium \| Long \| n \| No answer \| Failed \|/);
  t.regex(md, /\| dense \| 0\.0 \| 0\.0 \| 0\.0 \| 0\.0 \| 0\.0 \| 0\.0 \| 4 \| 4 \| 0 \|/);
});

test("configs/longbench-v2-*.json parse with the official 120000-token budget", (t) => {
  for (const m of ["llama-3.1-8b", "mistral-nemo-12b", "phi-3.5-mini"]) {
    const c = loadConfig(fileURLToPath(new URL(`../configs/longbench-v2-${m}.json`, import.meta.url)), suites);
    t.is(c.suites[0]?.name, "longbench-v2");
    t.is((c.suites[0]?.options as { maxLength: number }).maxLength, 120000);
  }
});
