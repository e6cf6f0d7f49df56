// CI's accuracy regression test on the written-weights retrieval model (synthetic:retrieval-tiny): GemFilter at the
// induction layer with k = 256 must answer passkey and multi-key retrieval, its second pass must be exactly a dense
// prefill of the kept tokens at fresh positions 0..k'−1 (same first-token logits: a changed position numbering in
// the second pass shows here), and the same pipeline with the kept indices shifted by one position (what an
// off-by-one in the selection would feed the second pass) must fail — so the accuracy check can see such a bug.
import test from "ava";
import { ByteTokenizer } from "../harness/tokenizer.ts";
import type { SuiteCase, SuiteContext } from "../core/suite.ts";
import { niahSuite } from "../datasets/niah/index.ts";
import { openRunner, type RunnerHandle } from "./helpers/native.ts";

const tok = new ByteTokenizer();
const ctx: SuiteContext = {
  tokenizer: tok,
  model: { id: "synthetic:retrieval-tiny", name: "retrieval-tiny", maxPositions: 8192, eosIds: [2] },
  baseDir: ".",
  log: () => {},
};
// Thresholds: GemFilter must get ≥ 5 of the 6 cases (it gets 6 at the time of writing); the shifted selection ≤ 1.
const MIN_CORRECT = 5;
const MAX_CORRECT_SHIFTED = 1;

async function cases(): Promise<SuiteCase[]> {
  const out: SuiteCase[] = [];
  for (const variant of ["passkey", "multikey"]) {
    const o = niahSuite.options.parse({ variant, lengths: [1000], depths: [0, 50, 100] });
    out.push(...(await niahSuite.buildCases(o, ctx)));
  }
  return out;
}

async function gen(r: RunnerHandle, ids: number[], method: Record<string, unknown>) {
  const res = await r.ok({ op: "generate", inputIds: ids, method, maxNewTokens: 8, returnSelection: true, returnLogits: true });
  return res as { outputIds: number[]; selection: { indices?: number[] }; firstLogits: number[] };
}

const correct = (c: SuiteCase, ids: number[]) => niahSuite.score(c, tok.decode(ids, { skipSpecialTokens: true })).exactMatch === 1;

test("GemFilter (r = 2, k = 256) retrieves; its second pass is dense over the kept ids; an off-by-one selection fails", async (t) => {
  const r = await openRunner();
  try {
    await r.ok({ op: "load", model: "synthetic:retrieval-tiny" });
    let right = 0;
    let rightShifted = 0;
    for (const c of await cases()) {
      const g = await gen(r, c.inputIds, { name: "gemfilter", params: { filterLayer: 2, k: 256 } });
      if (correct(c, g.outputIds)) right++;
      const kept = g.selection.indices ?? [];
      t.is(kept.length, 256);
      // The second pass is a dense prefill of the kept ids at positions 0..k'−1: the same first-token logits.
      const replay = await gen(r, kept.map((i) => c.inputIds[i]!), { name: "dense" });
      t.deepEqual(replay.outputIds, g.outputIds, c.caseId);
      const scale = Math.max(...g.firstLogits.map(Math.abs));
      const diff = Math.max(...g.firstLogits.map((x, j) => Math.abs(x - replay.firstLogits[j]!)));
      t.true(diff <= 1e-4 * scale, `${c.dataset} ${c.caseId}: first-token logits differ by ${diff} (scale ${scale})`);
      // Off by one: every kept index i → i − 1 (index 0 stays 0).
      const shifted = [...new Set(kept.map((i) => Math.max(0, i - 1)))];
      const s = await gen(r, shifted.map((i) => c.inputIds[i]!), { name: "dense" });
      if (correct(c, s.outputIds)) rightShifted++;
    }
    t.log(`GemFilter ${right}/6, off-by-one selection ${rightShifted}/6`);
    t.true(right >= MIN_CORRECT, `GemFilter answered ${right}/6 (threshold ${MIN_CORRECT})`);
    t.true(rightShifted <= MAX_CORRECT_SHIFTED, `the shifted selection answered ${rightShifted}/6 (threshold ${MAX_CORRECT_SHIFTED})`);
  } finally {
    await r.close();
  }
});
