import test from "ava";
import { codeSimScore, firstCodeLine, fuzzRatio } from "../datasets/longbench/metrics.ts";

test("code_sim: identical strings score 100 even when both empty; one empty side 0", (t) => {
  t.is(fuzzRatio("", ""), 100);
  t.is(codeSimScore("", ""), 1);
  t.is(fuzzRatio("", "abc"), 0);
  t.is(codeSimScore("# only a comment", "x = 1"), 0);
});

test("code_sim: first line after leading newlines without ` # //", (t) => {
  t.is(firstCodeLine("\n\n# comment\n// js\n```python\n    return a\nb"), "    return a");
  t.is(firstCodeLine(" \nx"), " ");
  t.is(codeSimScore("\n```\nreturn a + b\n", "return a + b"), 1);
});

test("code_sim: ratio on code points, rounded half to even", (t) => {
  // L = 8, LCS = 3, d = 2 → 75
  t.is(fuzzRatio("abcd", "abce"), 75);
  // L = 16, LCS = 5, d = 6 → 62.5 → 62 (half-even)
  t.is(fuzzRatio("abcdefgh", "abcdeXYZ"), 62);
  // astral characters are one code point each: L = 4, LCS = 1 → 50
  t.is(fuzzRatio("😀a", "😀b"), 50);
});

test("code_sim: python-Levenshtein variants differ at .5 boundaries (1 − d/L vs (L − d)/L)", (t) => {
  // L = 80, LCS = 17, d = 46: 100·(1 − 46/80) = 42.50000000000001 → 43; 100·(34/80) = 42.5 → 42
  const a = `abcdefghijklmnopq${"X".repeat(23)}`;
  const b = `abcdefghijklmnopq${"Y".repeat(23)}`;
  t.is(fuzzRatio(a, b, "levenshtein"), 43);
  t.is(fuzzRatio(a, b, "levenshtein-0.12"), 42);
});
