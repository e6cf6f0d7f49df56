import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cutAtStop } from "../harness/case.ts";
import { longbenchSuite } from "../datasets/longbench/index.ts";
import { scoreSample } from "../datasets/longbench/metrics.ts";
import { charTokenizer, ctxFor } from "./helpers/longbench.ts";

test("samsum: stops at the newline token id but cuts no text, so leading newlines reach the first-line rule", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lb-samsum-"));
  const row = { input: "Dialogue: A: hi\nSummary: ", context: "ctx", answers: ["Anna says hi."], length: 5, dataset: "samsum", language: "en", all_classes: null, _id: "s1" };
  writeFileSync(join(dir, "samsum.jsonl"), `${JSON.stringify(row)}\n`);
  const tok = charTokenizer();
  const [c] = await longbenchSuite.buildCases(longbenchSuite.options.parse({ dir, datasets: ["samsum"] }), ctxFor(tok, "/"));
  if (!c) return t.fail("no case");
  t.deepEqual(c.stopIds, ["\n".codePointAt(0)! + 10]);
  t.deepEqual(c.stopStrings, []);
  // A model whose first token is "\n\n" (a different id from "\n") goes on until "\n": pred.py keeps all of it and
  // eval.py scores "Anna says hi." — the harness (cut at stop strings, then score) must give the same
  const output = "\n\nAnna says hi.\n";
  const official = scoreSample("samsum", "rouge_score", output, row.answers);
  t.is(official, 0.999999995);
  t.deepEqual(longbenchSuite.score(c, cutAtStop(output, c.stopStrings)), { rouge_score: official });
});

test("samsum: the official minimum of one new token (min_length) is asked of the runner and recorded", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lb-samsum-"));
  const row = (dataset: string) => ({ input: "q", context: "c", answers: ["a"], length: 1, dataset, language: "en", all_classes: null, _id: dataset });
  writeFileSync(join(dir, "samsum.jsonl"), `${JSON.stringify(row("samsum"))}\n`);
  writeFileSync(join(dir, "triviaqa.jsonl"), `${JSON.stringify(row("triviaqa"))}\n`);
  const cases = await longbenchSuite.buildCases(longbenchSuite.options.parse({ dir, datasets: ["samsum", "triviaqa"] }), ctxFor(charTokenizer(), "/"));
  t.deepEqual(cases.map((c) => [c.dataset, c.minNewTokens, c.protocol.minNewTokens]), [
    ["samsum", 1, 1],
    ["triviaqa", 0, null],
  ]);
});
