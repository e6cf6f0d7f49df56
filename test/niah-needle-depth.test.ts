// The needle goes in at depth% of the context, moved back to just after the previous period token (the original NIAH
// rule); depth 0 puts it first, depth 100 appends it after the last context token.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { ByteTokenizer } from "../harness/tokenizer.ts";
import type { SuiteContext } from "../core/suite.ts";
import { niahSuite } from "../datasets/niah/index.ts";

function ctxFor(baseDir: string): SuiteContext {
  return {
    tokenizer: new ByteTokenizer(),
    model: { id: "synthetic:test", name: "test", maxPositions: 1_000_000, eosIds: [2] },
    baseDir,
    log: () => {},
  };
}

test("exact insertion points on a hand-built haystack", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "niah-depth-"));
  // 18 bytes per sentence; the "." of sentence i sits at byte 18 i + 16.
  writeFileSync(join(dir, "h.txt"), "The cat sat down. ".repeat(40));
  const opts = niahSuite.options.parse({
    haystack: dir,
    lengths: [186],
    depths: [0, 33, 50, 100],
    needle: "NEEDLE",
    promptTemplate: "{context}",
    addBos: false,
  });
  const cases = await niahSuite.buildCases(opts, ctxFor(dir));
  const tok = new ByteTokenizer();
  // budget = 186 − 6 needle bytes = 180 context bytes (10 sentences)
  const at = (depth: number) => cases.find((c) => c.caseMeta.depthPercent === depth)!;
  // depth 0 → 0; depth 33 → int(180 × 0.33) = 59 → back to 53 (after the "." at 52)
  // depth 50 → 90 → back to 89 (after the "." at 88); depth 100 → 180 (end, no rule)
  const expected: [number, number, number][] = [[0, 0, 0], [33, 59, 53], [50, 90, 89], [100, 180, 180]];
  for (const [depth, requested, point] of expected) {
    const c = at(depth);
    t.is(c.caseMeta.requestedPoint, requested, `depth ${depth}`);
    t.is(c.caseMeta.insertionPoint, point, `depth ${depth}`);
    t.is(c.caseMeta.needleStart, point);
    t.is(c.caseMeta.needleEnd, point + 6);
    t.deepEqual(c.marks, [{ label: "needle", start: point, end: point + 6 }]);
    t.is(tok.decode(c.inputIds.slice(point, point + 6)), "NEEDLE");
    t.is(c.inputIds.length, 186);
  }
  // Sentence 4 spans bytes 72–89 ("The cat sat down. "), so byte 80 is the "s" of "sat"; the needle sits right after
  // its "." and before the space that starts the next sentence.
  t.is(tok.decode(at(50).inputIds.slice(80, 100)), "sat down.NEEDLE The ");
});

test("on the built-in haystack: a period right before the needle, none between it and the depth point", async (t) => {
  const opts = niahSuite.options.parse({ lengths: [3000, 20000], depths: [11, 22, 33, 44, 56, 67, 78, 89] });
  const cases = await niahSuite.buildCases(opts, ctxFor("."));
  const tok = new ByteTokenizer();
  t.is(cases.length, 16);
  for (const c of cases) {
    const start = c.caseMeta.needleStart as number;
    const end = c.caseMeta.needleEnd as number;
    const requested = c.caseMeta.requestedPoint as number;
    const point = c.caseMeta.insertionPoint as number;
    const contextTokens = c.caseMeta.contextTokens as number;
    t.is(requested, Math.trunc(contextTokens * ((c.caseMeta.depthPercent as number) / 100)));
    t.is(tok.decode(c.inputIds.slice(start - 1, start)), ".");
    // The context tokens that followed the walk-back (point … requested − 1) hold no period.
    const skipped = tok.decode(c.inputIds.slice(end, end + (requested - point)));
    t.false(skipped.includes("."), `${c.caseId}: ${JSON.stringify(skipped)}`);
    // Sentence granularity: the move back is shorter than one built-in sentence (< 300 bytes).
    t.true(requested - point < 300);
    t.is(tok.decode(c.inputIds.slice(start, end)), "\nThe best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day.\n");
  }
});
