// The paper's word-recall metric exactly as GemFilter's eval/needle/visualize.py computes it (duplicated "a" in the
// expected word list → a perfect answer scores 11/12), and our corrected variant (distinct over distinct).
import test from "ava";
import { paperRecall, wordRecall } from "../datasets/niah/metrics.ts";
import { PAPER_ANSWER } from "../datasets/niah/paper.ts";

test("a perfect answer is capped at 11/12 by the duplicated 'a'", (t) => {
  t.is(paperRecall("Eat a sandwich and sit in Dolores Park on a sunny day.", PAPER_ANSWER), 11 / 12);
  t.is(wordRecall("Eat a sandwich and sit in Dolores Park on a sunny day.", PAPER_ANSWER), 1);
});

test("punctuation stays attached: 'day' does not match 'day.'", (t) => {
  const out = "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day";
  t.is(paperRecall(out, PAPER_ANSWER), 10 / 12);
  t.is(wordRecall(out, PAPER_ANSWER), 10 / 11);
});

test("case-insensitive, repeated output words count once", (t) => {
  t.is(paperRecall("EAT eat A a SANDWICH", PAPER_ANSWER), 3 / 12);
  t.is(wordRecall("EAT eat A a SANDWICH", PAPER_ANSWER), 3 / 11);
});

test("Python str.split() whitespace: a no-break space separates words", (t) => {
  t.is(paperRecall("eat\u00a0a sandwich", PAPER_ANSWER), 3 / 12);
  t.is(paperRecall("eat\u200ba sandwich", PAPER_ANSWER), 1 / 12); // zero-width space is not whitespace in Python
});

test("no overlap and empty output score 0", (t) => {
  t.is(paperRecall("I don't know.", PAPER_ANSWER), 0);
  t.is(paperRecall("", PAPER_ANSWER), 0);
  t.is(wordRecall("", PAPER_ANSWER), 0);
});
