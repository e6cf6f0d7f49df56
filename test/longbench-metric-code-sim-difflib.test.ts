import test from "ava";
import { difflibRatio, fuzzRatio } from "../datasets/longbench/metrics.ts";

const cps = (s: string): string[] => Array.from(s);

test("code_sim difflib variant (fuzzywuzzy without python-Levenshtein): greedy longest blocks, not the LCS", (t) => {
  // difflib documentation example
  t.is(difflibRatio(cps("abcd"), cps("bcde")), 0.75);
  // "aaab" vs "abaa": the first longest block is "aa" (a[0:2] = b[2:4]) and nothing fits left or right of it → M = 2;
  // the LCS ("aaa") is 3 → Levenshtein-based ratio 75
  t.is(fuzzRatio("aaab", "abaa", "difflib"), 50);
  t.is(fuzzRatio("aaab", "abaa", "levenshtein"), 75);
});

test("code_sim difflib variant: autojunk drops items of b occurring more than ⌊n/100⌋+1 times when n ≥ 200", (t) => {
  const b = "a".repeat(200);
  const a = `b${"a".repeat(199)}`;
  t.is(fuzzRatio(a, b, "difflib"), 0); // 'a' is "popular" in b: never indexed, no match found
  t.is(fuzzRatio(a, b, "levenshtein"), 100); // 100·(1 − 2/400) = 99.5 → 100 (half-even)
  // but a found (empty) match is still extended over equal neighbours, popular or not: a[0] = b[0] = 'a' here, so
  // the extension runs through 199 'a's → 2·199/400 = 0.995 → 99.5 → 100
  t.is(difflibRatio(cps(`${"a".repeat(199)}b`), cps(b)), 0.995);
  // below 200 items there is no autojunk: LCS-like greedy match of 198 'a's
  t.is(fuzzRatio(`${"a".repeat(198)}b`, "a".repeat(199), "difflib"), roundHalf(100 * ((2 * 198) / 398)));
});

function roundHalf(x: number): number {
  // 99.497… → 99 (no tie involved)
  return Math.round(x);
}
