import test from "ava";
import { normalizeAnswer, qaF1Score } from "../datasets/longbench/metrics.ts";

test("normalize_answer: lower, ASCII punctuation removed, articles dropped as whole words, whitespace collapsed", (t) => {
  t.is(normalizeAnswer("The  U.S.A.,\tan Apple!"), "usa apple");
  t.is(normalizeAnswer("theatre the"), "theatre");
  // Unicode word boundary: 'é' is a word character, so "the" inside "éthe" stays
  t.is(normalizeAnswer("éthe cat"), "éthe cat");
  // fullwidth punctuation is not ASCII punctuation: kept
  t.is(normalizeAnswer("Yes，"), "yes，");
});

test("qa_f1: token F1 over normalised tokens, hand-computed", (t) => {
  t.is(qaF1Score("b a", "a b"), 1);
  // pred tokens [cat, sat], gold [cat, sat, on, mat]: p = 1, r = 0.5, F1 = 2/3
  t.is(qaF1Score("The Cat sat.", "cat sat on the mat"), (2 * 1 * 0.5) / 1.5);
  t.is(qaF1Score("an apple", "Apple"), 1);
  t.is(qaF1Score("Yes，", "yes"), 0);
  // duplicates count once per matching occurrence: pred [a1,a1,b], gold [a1,b,b] → common 2, p = r = 2/3
  t.is(qaF1Score("x x y", "x y y"), (2 * (2 / 3) * (2 / 3)) / (4 / 3));
});

test("qa_f1: empty prediction vs empty answer is 0, not 1", (t) => {
  t.is(qaF1Score("", ""), 0);
  t.is(qaF1Score("the", "a"), 0);
  t.is(qaF1Score("", "answer"), 0);
});
