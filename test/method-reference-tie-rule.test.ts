// The selection tie rule (test/helpers/method-reference.ts, selectionMismatch): a pick that differs from the naive
// reference only by swapping positions whose scores agree to fp32 accumulation (TIE_RELATIVE = 2e-6 of
// max(|a|, |b|, 1)) is accepted — what a GPU's differently ordered fp32 sums produce — and anything coarser is not.
import test from "ava";
import { selectionMismatch, TIE_RELATIVE } from "./helpers/method-reference.ts";

test("swaps within fp32 accumulation error are ties; coarser ones are mismatches", (t) => {
  t.is(TIE_RELATIVE, 2e-6);
  // Scores at magnitude 100: position 3 and 4 differ by 1e-4 (1e-6 relative): a tie.
  const want = { selection: [0, 1, 3], scores: [500, 400, 1, 100.0001, 100] };
  t.is(selectionMismatch([0, 1, 3], want), null);
  t.is(selectionMismatch([0, 1, 4], want), null);
  // Differing by 1e-2 at magnitude 100 (1e-4 relative): not a tie.
  const far = { selection: [0, 1, 3], scores: [500, 400, 1, 100.01, 100] };
  t.regex(selectionMismatch([0, 1, 4], far) ?? "", /^got \[0,1,4\], reference \[0,1,3\] \(score 4: 100, 3: 100\.01\)/);
  // Near zero the floor 1 applies: 1e-6 apart is a tie, 1e-5 is not.
  const small = { selection: [2], scores: [0, 1e-6, 2e-6] };
  t.is(selectionMismatch([1], small), null);
  const small2 = { selection: [2], scores: [0, 0, 1e-5] };
  t.not(selectionMismatch([1], small2), null);
  // A pick of another length is always a mismatch.
  t.regex(selectionMismatch([0, 1], want) ?? "", /^length 2 vs reference 3/);
});
