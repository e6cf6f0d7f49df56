// RULER's metric: postprocess_pred (strip, control characters → "\n", strip) then string_match_all /
// string_match_part, case-insensitive substring tests; task scores round(100 · mean, 2).
import test from "ava";
import { stringMatchAll, stringMatchPart, taskScore } from "../datasets/ruler/index.ts";

test("string_match_all: the fraction of references found, case-insensitively", (t) => {
  t.is(stringMatchAll(" 1234567.", ["1234567"]), 1);
  t.is(stringMatchAll("The numbers are 111 and 333", ["111", "222", "333", "444"]), 0.5);
  t.is(stringMatchAll("ABCDE fghij", ["abcde", "FGHIJ", "KLMNO"]), 2 / 3);
  t.is(stringMatchAll("nothing", ["1234567"]), 0);
  t.is(stringMatchAll("", ["x"]), 0);
});

test("string_match_part: 1 when any reference is found", (t) => {
  t.is(stringMatchPart(" In 1500.", ["1500", "in 1500"]), 1);
  t.is(stringMatchPart(" Tessel", ["Tessel0"]), 0);
  t.is(stringMatchPart("tessel0!", ["Tessel0"]), 1);
});

test("control characters become newlines: a reference spanning one is not found", (t) => {
  t.is(stringMatchAll("12\t34", ["12 34"]), 0);
  t.is(stringMatchAll("12\t34", ["12\n34"]), 1);
  t.is(stringMatchAll("\x00 ab \x1f", ["ab"]), 1);
});

test("task score: mean × 100 rounded to 2 decimals", (t) => {
  t.is(taskScore([1, 0, 0.5]), 50);
  t.is(taskScore([1, 1, 0]), 66.67);
  // 3.125 is exact in binary: Python round(3.125, 2) = 3.12 (half to even).
  t.is(taskScore([0.25, 0, 0, 0, 0, 0, 0, 0]), 3.12);
  t.true(Number.isNaN(taskScore([])));
});
