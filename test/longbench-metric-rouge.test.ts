import test from "ava";
import { reconLcs, rougeScore, rougeSentences, rougeZhScore } from "../datasets/longbench/metrics.ts";

test("rouge: perfect match is 2/(2 + 1e-8) = 0.999999995", (t) => {
  t.is(rougeScore("the cat sat", "the cat sat"), 0.999999995);
});

test("rouge: LCS ties keep one path, so 'b a' vs 'a b' scores 0.5", (t) => {
  t.deepEqual(reconLcs(["a", "b"], ["b", "a"]).words, ["b"]);
  t.is(rougeScore("b a", "a b"), 0.5 / (1 + 1e-8));
});

test("rouge: sentences split on ASCII '.' only; whitespace-only segments become the token ''", (t) => {
  t.deepEqual(rougeSentences("a b. c。d .  "), ["a b", "c。d", ""]);
  // hyp [""], ref ["abc", ""]: m = 2, n = 1, union LCS {""} → r = 0.5, p = 1
  t.is(rougeScore(" ", "abc. "), 2 * ((1 * 0.5) / (1.5 + 1e-8)));
  t.is(rougeScore(" ", "abc. ").toFixed(3), "0.667");
});

test("rouge: empty prediction or one made only of '.' scores 0 (package raises, eval catches)", (t) => {
  t.is(rougeScore("", "abc"), 0);
  t.is(rougeScore("...", "abc"), 0);
  t.is(rougeScore("abc", ""), 0);
});

test("rouge: recall/precision over DISTINCT tokens, union of per-sentence LCS", (t) => {
  // distinct hyp tokens {a, b}: n = 2 although the hypothesis has 3 tokens
  t.is(rougeScore("a a b", "a b"), 0.999999995);
  // the ROUGE working note's example: union LCS {w1, w2, w3, w5} = 4, m = 5, n = 8 distinct
  t.is(rougeScore("w1 w2 w6 w7 w8. w1 w3 w8 w9 w5", "w1 w2 w3 w4 w5"), 2 * ((0.5 * 0.8) / (1.3 + 1e-8)));
});

const words = (n: number): string => Array.from({ length: n }, (_, i) => `w${i}`).join(" ");

test("rouge: official scores 0 when the recursive LCS trace would exceed Python's recursion limit; corrected scores normally", (t) => {
  // identical n-token sentences need n + 1 nested trace calls; English allows 991
  t.is(reconLcs(words(5).split(" "), words(5).split(" ")).depth, 6);
  t.is(rougeScore(words(990), words(990)), 0.999999995);
  t.is(rougeScore(words(991), words(991)), 0);
  t.is(rougeScore(words(991), words(991), "corrected"), 0.999999995);
  // splitting into sentences on '.' keeps each trace short
  const dotted = `${words(600)}. ${words(600)}`;
  t.is(rougeScore(dotted, dotted), 0.999999995);
});

test("rouge_zh: jieba tokens joined by spaces; one frame deeper than English (990 nested calls)", (t) => {
  t.is(rougeZhScore("我来到北京清华大学", "我来到北京清华大学"), 0.999999995);
  // 989 distinct two-digit/ASCII tokens is impractical in Chinese; use ASCII words, which jieba keeps whole
  const ok = Array.from({ length: 989 }, (_, i) => `w${i}`).join(" ");
  const bad = Array.from({ length: 990 }, (_, i) => `w${i}`).join(" ");
  t.is(rougeZhScore(ok, ok), 0.999999995);
  t.is(rougeZhScore(bad, bad), 0);
  t.is(rougeZhScore(bad, bad, "corrected"), 0.999999995);
  t.is(rougeZhScore("", "我"), 0);
});
