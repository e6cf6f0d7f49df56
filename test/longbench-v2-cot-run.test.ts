// LongBench v2 with `cot: true` end to end on the built-in synthetic model: each case generates its chain of thought,
// then the answer prompt built from that output's text, and is scored on the second output; the record keeps the
// first generation (its prompt length, output and timings) in `steps`, and its own inputLength is the answer prompt's.
import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fillTemplate, TEMPLATE_0SHOT_COT, TEMPLATE_0SHOT_COT_ANS } from "../datasets/longbench-v2/prompt.ts";
import { ByteTokenizer } from "../harness/tokenizer.ts";
import { gembenchRun, runRecords } from "./helpers/gembench-run.ts";

test("cot: two generations per case, the answer prompt from the first output, both in the record", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lbv2-cot-run-"));
  const items = Array.from({ length: 2 }, (_, i) => ({
    _id: `q${i}`, domain: "Code Repository Understanding", sub_domain: "Code repo QA", difficulty: "easy", length: "short",
    question: `Which file defines f${i}?`, choice_A: "a.py", choice_B: "b.py", choice_C: "c.py", choice_D: "d.py", answer: i === 0 ? "A" : "B", context: `def f${i}(): pass\n`.repeat(10),
  }));
  writeFileSync(join(dir, "data.json"), JSON.stringify(items));
  const config = {
    name: "lbv2-cot",
    models: [{ id: "synthetic:tiny-llama" }],
    engines: [{ method: "dense" }],
    // The run's maxNewTokens replaces the first generation's 1024 (test speed); the answer keeps its 128.
    suites: [{ name: "longbench-v2", maxNewTokens: 12, options: { data: join(dir, "data.json"), cot: true } }],
  };
  const run = gembenchRun(config, dir, 120_000);
  t.is(run.status, 0, run.stderr);
  const records = runRecords(run.out);
  const tok = new ByteTokenizer();
  t.deepEqual(records.map((r) => r.caseId), ["q0", "q1"]);
  for (const [i, r] of records.entries()) {
    t.is(r.status, "completed");
    const step = r.steps?.[0];
    if (step === undefined) return t.fail(`${r.caseId}: no first generation recorded`);
    t.is(r.steps?.length, 1);
    t.is(step.inputLength, tok.encode(fillTemplate(TEMPLATE_0SHOT_COT, items[i]!), { addSpecialTokens: true }).length);
    t.is(step.output.ids.length, 12, "the first generation ran to its budget (the random model emits no EOS here)");
    t.is(step.output.text, tok.decode(step.output.ids, { skipSpecialTokens: true }));
    t.true(step.timings.prefillMs > 0 && step.timings.decodeTokens > 0);
    t.is(r.inputLength, tok.encode(fillTemplate(TEMPLATE_0SHOT_COT_ANS, items[i]!, step.output.text), { addSpecialTokens: true }).length);
    t.true((r.output?.ids.length ?? 0) > 12, "the answer generation has its own budget (128)");
    t.deepEqual(Object.keys(r.scores), ["accuracy", "extracted"]);
    t.is(r.protocol.generation, "greedy, max_new_tokens 1024 then 128, stop on every model EOS id (official: temperature 0.1 through an OpenAI-style server)");
  }
});
