import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scoreLongbenchCommand } from "../datasets/longbench/score-cli.ts";

function file(lines: object[]): string {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lbs-"));
  const p = join(dir, "pred.jsonl");
  writeFileSync(p, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  return p;
}

test("score CLI: official uses the LAST line's all_classes for the whole file; corrected uses each line's", async (t) => {
  const p = file([
    { pred: "A", answers: ["A"], all_classes: ["A", "B"], length: 100 },
    { pred: "C", answers: ["C"], all_classes: ["C", "Dx"], length: 100 },
  ]);
  const off = await scoreLongbenchCommand({ dataset: "trec", predictions: p, print: false });
  t.deepEqual(off, { dataset: "trec", metric: "classification_score", variant: "v1", scoring: "official", codeSimVariant: null, score: 50, n: 2 });
  const cor = await scoreLongbenchCommand({ dataset: "trec", predictions: p, scoring: "corrected", print: false });
  t.is(cor.score, 100);
});

test("score CLI: first-line rule for trec/triviaqa/samsum/lsht (only leading \\n stripped), max over answers", async (t) => {
  const p = file([
    { pred: "\n\nParis\nLondon", answers: ["London", "Paris"], all_classes: null },
    { pred: " \nParis", answers: ["Paris"], all_classes: null },
  ]);
  const r = await scoreLongbenchCommand({ dataset: "triviaqa", predictions: p, print: false });
  t.is(r.score, 50); // line 1 → "Paris" = 1; line 2 → first line " " = 0
  const q = await scoreLongbenchCommand({ dataset: "hotpotqa", predictions: p, print: false });
  t.is(q.score, 83.33); // no first-line rule: line 1 F1 = 2/3 (pred [paris, london]), line 2 = 1 → 100·(5/3)/2
});

test("score CLI: LongBench-E buckets with numpy rounding, empty bucket null", async (t) => {
  const p = file([
    { pred: "13", answers: ["13"], all_classes: null, length: 1000 },
    { pred: "13 14 15", answers: ["13"], all_classes: null, length: 5000 },
  ]);
  const r = await scoreLongbenchCommand({ dataset: "passage_count", predictions: p, variant: "e", print: false });
  t.is(r.score, 66.67);
  t.deepEqual(r.buckets, { "0-4k": 100, "4-8k": 33.33, "8k+": null });
  const bad = file([{ pred: "1", answers: ["1"], all_classes: null }]);
  await t.throwsAsync(scoreLongbenchCommand({ dataset: "passage_count", predictions: bad, variant: "e", print: false }), { message: /needs "length"/ });
});

test("score CLI: malformed prediction lines name file and line", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lbs-"));
  const p = join(dir, "bad.jsonl");
  writeFileSync(p, `${JSON.stringify({ pred: "x", answers: ["x"], all_classes: null })}\n{"pred": 3}\n`);
  await t.throwsAsync(scoreLongbenchCommand({ dataset: "qasper", predictions: p, print: false }), { message: `${p}:2: "pred" must be a string` });
});
