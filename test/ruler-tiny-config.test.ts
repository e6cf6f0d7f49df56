// configs/ruler-tiny.json end to end: all 13 RULER tasks built, run on the built-in synthetic model, scored with
// RULER's metrics and reported as its task × length table. Made-up QA files and essays (our generated prose) stand in
// for SQuAD, HotpotQA and the Paul Graham essays; only the GemFilter engine of the config runs (its prefill over
// the whole prompt is two layers: the fastest of the three), so the test takes seconds.
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TASK_NAMES } from "../datasets/ruler/index.ts";
import { gembenchRun, runRecords } from "./helpers/gembench-run.ts";
import { rulerFixtures } from "./helpers/ruler.ts";

const configPath = fileURLToPath(new URL("../configs/ruler-tiny.json", import.meta.url));

test("ruler-tiny: 13 tasks, RULER's budgets and metrics, the task × length table", (t) => {
  const config = JSON.parse(readFileSync(configPath, "utf8")) as {
    engines: { method: string }[];
    suites: { name: string; options: Record<string, unknown> }[];
  };
  const fx = rulerFixtures();
  const suite = config.suites[0] as { name: string; options: Record<string, unknown> };
  Object.assign(suite.options, { essays: fx.essays, squad: fx.squad, hotpotqa: fx.hotpotqa });
  const run = gembenchRun({ ...config, engines: config.engines.filter((e) => e.method === "gemfilter") }, fx.dir, 300_000);
  t.is(run.status, 0, run.stderr);
  const records = runRecords(run.out);
  t.deepEqual(records.map((r) => r.dataset), [...TASK_NAMES]);
  const budget: Record<string, number> = { vt: 30, cwe: 120, fwe: 50, qa_1: 32, qa_2: 32 };
  for (const r of records) {
    t.is(r.status, "completed", r.caseId);
    const metric = r.dataset.startsWith("qa_") ? "string_match_part" : "string_match_all";
    t.deepEqual(Object.keys(r.scores), [metric], r.caseId);
    t.is(r.caseMeta.maxSeqLength, 4095);
    // RULER's length counts the prompt without special tokens (inputIds carry the BOS on top); for vt it counts the
    // example and the task apart, without the " " and "\n\n" (3 bytes here) that join them.
    t.is(r.caseMeta.rulerLength, r.inputLength - 1 + (budget[r.dataset] ?? 128) - (r.dataset === "vt" ? 3 : 0), r.caseId);
    if (r.dataset !== "fwe") t.true((r.caseMeta.rulerLength as number) <= 4095, r.caseId);
    t.is(typeof r.caseMeta.question, "string");
  }
  const md = readFileSync(join(run.out, "summary.md"), "utf8");
  t.regex(md, /### RULER/);
  t.regex(md, /\| \*\*Average \(13 tasks\)\*\* \| \d+\.\d\d \|/);
  for (const task of TASK_NAMES) t.regex(md, new RegExp(`\\| ${task} \\| \\d+\\.\\d\\d \\|`));
  t.regex(readFileSync(join(run.out, "report.html"), "utf8"), /<table class="data ruler">/);
});
