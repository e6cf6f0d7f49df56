import test from "ava";
import { bucketScores, datasetScore } from "../datasets/longbench/aggregate.ts";
import { npMean, npRound, npSum, pyRound } from "../datasets/longbench/pycompat.ts";

test("Python round(x, 2): half-even on the exact binary value", (t) => {
  t.is(pyRound(2.675, 2), 2.67); // stored as 2.67499999…
  t.is(pyRound(0.125, 2), 0.12); // exactly halfway → even
  t.is(pyRound(0.375, 2), 0.38);
  t.is(pyRound(1.005, 2), 1); // 1.00499999…
  t.is(pyRound(33.333333333333336, 2), 33.33);
  t.is(pyRound(-2.675, 2), -2.67);
});

test("numpy round: rint(x·100)/100, so 2.675 → 2.68", (t) => {
  t.is(npRound(2.675, 2), 2.68);
  t.is(npRound(0.125, 2), 0.12);
  t.true(Number.isNaN(npRound(NaN, 2)));
});

test("numpy mean uses pairwise summation (differs from a running sum on 10 × 0.1)", (t) => {
  const xs = Array.from({ length: 10 }, () => 0.1);
  let running = 0;
  for (const x of xs) running += x;
  t.is(running, 0.9999999999999999);
  // 8 accumulators then ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) then the rest: 0.8 + 0.1 + 0.1
  t.is(npSum(xs), 1);
  t.true(Number.isNaN(npMean([])));
});

test("dataset score: round(100·sum/n, 2) with Python rounding", (t) => {
  t.is(datasetScore([1, 0, 0]), 33.33);
  t.is(datasetScore([1, 1, 0]), 66.67);
  t.is(datasetScore([0.5]), 50);
});

test("LongBench-E buckets 0–4k / 4–8k / 8k+ by length; an empty bucket is NaN", (t) => {
  const b = bucketScores([
    { score: 1, length: 100 },
    { score: 0, length: 3999 },
    { score: 0.5, length: 4000 },
    { score: 1, length: 7999 },
  ]);
  t.is(b["0-4k"], 50);
  t.is(b["4-8k"], 75);
  t.true(Number.isNaN(b["8k+"]));
});
