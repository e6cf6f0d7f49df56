// The bench suite's inputs: exact length, BOS first, no special ids after it, same seed → same ids.
import test from "ava";
import { benchInputIds, benchSuite, BenchOptions } from "../datasets/bench/index.ts";
import type { SuiteContext } from "../core/suite.ts";

test("bench inputs have the exact length, BOS first, only non-special ids after it, and are seeded", (t) => {
  const a = benchInputIds(1000, 512, 1, 7);
  t.is(a.length, 1000);
  t.is(a[0], 1);
  t.true(a.slice(1).every((id) => id >= 3 && id < 512));
  t.deepEqual(benchInputIds(1000, 512, 1, 7), a);
  t.notDeepEqual(benchInputIds(1000, 512, 1, 8), a);
  // Without BOS every id is drawn.
  t.is(benchInputIds(10, 512, null, 7).length, 10);
});

test("bench skips inputs the model cannot hold, runs an input whose forced generation passes the last position (marked), and forces the generation length", async (t) => {
  const logs: string[] = [];
  const ctx = {
    tokenizer: { vocabSize: 300, bosId: 1 },
    model: { id: "synthetic:x", name: "x", maxPositions: 2048, eosIds: [2] },
    baseDir: ".",
    log: (m: string) => logs.push(m),
  } as unknown as SuiteContext;
  const cases = await benchSuite.buildCases(BenchOptions.parse({ lengths: [512, 2000, 4096], maxNewTokens: 50 }), ctx);
  t.deepEqual(cases.map((c) => c.caseId), ["len512", "len2000"]);
  t.deepEqual(cases.map((c) => c.maxNewTokens), [50, 50]);
  // 2000 + 50 > 2048: run past the trained positions (the paper's 131072 + 50 on a 131072-position model), and say so
  t.is(cases[0]!.allowLongInput, undefined);
  t.is(cases[1]!.allowLongInput, true);
  t.is(cases[1]!.protocol.generationPastMaxPositions, true);
  t.is(cases[0]!.protocol.generationPastMaxPositions, undefined);
  t.deepEqual(logs, ["bench: skipping length 4096: x holds 2048 positions"]);
});
