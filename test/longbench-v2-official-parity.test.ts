// LongBench v2's answer extraction and leaderboard aggregation against the official code: on made-up outputs
// (datasets/longbench-v2/parity/made-up-outputs.json) the official pred.py extract_answer and result.py gave
// official-extraction.json (regenerate with parity/official_extraction.py); ours must give the same.
import test from "ava";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { extractAnswer, summarizeV2 } from "../datasets/longbench-v2/index.ts";

const read = (f: string): unknown => JSON.parse(readFileSync(fileURLToPath(new URL(`../datasets/longbench-v2/parity/${f}`, import.meta.url)), "utf8"));
const { items } = read("made-up-outputs.json") as { items: { output: string; answer: string; difficulty: string; length: string }[] };
const official = read("official-extraction.json") as { preds: (string | null)[]; result: Record<string, number> };

test("extract_answer: the official prediction for every made-up output", (t) => {
  t.is(items.length, official.preds.length);
  items.forEach((it, i) => t.is(extractAnswer(it.output), official.preds[i] ?? null, JSON.stringify(it.output)));
});

test("result.py: overall, easy, hard, short, medium, long", (t) => {
  const scored = items.map((it) => {
    const pred = extractAnswer(it.output);
    return { pred, judge: pred === it.answer, difficulty: it.difficulty, length: it.length };
  });
  const s = summarizeV2(scored);
  t.deepEqual(
    { Overall: s.overall, Easy: s.easy, Hard: s.hard, Short: s.short, Medium: s.medium, Long: s.long },
    official.result,
  );
});
