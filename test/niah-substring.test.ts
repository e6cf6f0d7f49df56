// substring: the normalised expected answer occurs in the normalised output as whole words.
import test from "ava";
import { normalizeForMatch, substringMatch } from "../datasets/niah/metrics.ts";
import { PAPER_ANSWER } from "../datasets/niah/paper.ts";

test("normalisation lower-cases and turns punctuation runs into single spaces", (t) => {
  t.is(normalizeForMatch("  Eat a Sandwich -- and sit in Dolores-Park on a sunny day.  "), "eat a sandwich and sit in dolores park on a sunny day");
});

test("the answer inside a longer sentence matches, whatever its case and punctuation", (t) => {
  t.is(substringMatch("The best thing to do in San Francisco is to eat a sandwich and sit in Dolores Park on a sunny day!", PAPER_ANSWER), 1);
  t.is(substringMatch("EAT A SANDWICH AND SIT IN DOLORES-PARK ON A SUNNY DAY", PAPER_ANSWER), 1);
});

test("a partial answer or a longer last word does not match", (t) => {
  t.is(substringMatch("eat a sandwich and sit in Dolores Park", PAPER_ANSWER), 0);
  t.is(substringMatch("eat a sandwich and sit in Dolores Park on a sunny days", PAPER_ANSWER), 0);
  t.is(substringMatch("", PAPER_ANSWER), 0);
});

test("numbers match as whole tokens", (t) => {
  t.is(substringMatch("The special magic number is 5518518.", "5518518"), 1);
  t.is(substringMatch("The special magic number is 55185180.", "5518518"), 0);
});
