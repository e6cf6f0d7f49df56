// ROUGE-1 F1 between output and expected answer, rouge_score's default tokenisation without stemming.
import test from "ava";
import { rouge1F, rougeTokens } from "../datasets/niah/metrics.ts";
import { PAPER_ANSWER } from "../datasets/niah/paper.ts";

test("tokens: lower-case, runs outside [a-z0-9] separate", (t) => {
  t.deepEqual(rougeTokens("Dolores-Park, on a SUNNY day."), ["dolores", "park", "on", "a", "sunny", "day"]);
});

test("hand-computed F1: 5 of 6 output tokens, 5 of 12 reference tokens → 5/9", (t) => {
  // ref: eat a sandwich and sit in dolores park on a sunny day (12); out: eat a sandwich in the park (6)
  // overlap 5 → P = 5/6, R = 5/12, F = 2PR/(P+R) = 5/9
  t.true(Math.abs(rouge1F("Eat a sandwich in the park", PAPER_ANSWER) - 5 / 9) < 1e-15);
});

test("repeated tokens are clipped by the reference count", (t) => {
  // "a" ×4 vs 2 in the reference: overlap 2, P = 2/4, R = 2/12, F = 1/4
  t.true(Math.abs(rouge1F("a a a a", PAPER_ANSWER) - 1 / 4) < 1e-15);
});

test("exact answer scores 1, no overlap or empty scores 0", (t) => {
  t.is(rouge1F("eat a sandwich and sit in dolores park on a sunny day", PAPER_ANSWER), 1);
  t.is(rouge1F("nothing relevant here", PAPER_ANSWER), 0);
  t.is(rouge1F("", PAPER_ANSWER), 0);
});
