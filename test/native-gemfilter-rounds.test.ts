// GemFilter's multi-round variants (rounds, PROTOCOL.md "turns"), on the reference kernels:
// - keep-filter-layers' round 1 IS plain GemFilter on context + question (with-question): the 0..r cache over the
//   context, extended by the question at positions n.., scores every position 0..n+q-1 with the question's last query
//   exactly as one filter pass over context + question does (layer r's keys at the same positions; the rows come in
//   two calls instead of one, which the reference kernels do not see); the second pass is the same dense prefill of
//   the selected ids at positions 0..k'-1. Equal: the selection, the output ids and the first-token logits, bitwise.
// - keep-filter-layers equals rerun (GemFilter from scratch on the whole history each turn) turn for turn, in
//   multi-turn and multi-request: same selections, outputs and logits, bitwise (same maths; only the 0..r cache's
//   chunking differs).
// - the kept 0..r cache (memory.filterKv) holds exactly the history: (r+1) layers × kvHeads × rows × headDim × 4 bytes
//   × 2 (K and V), rows = the context + every turn's ids and earlier outputs so far (multi-turn) or the context + this
//   turn's ids (multi-request); so it grows by exactly each turn's tokens. rerun keeps none. Its capacity is reserved
//   once (the context's phase memory shows it exactly).
import test from "ava";
import { openRunner } from "./helpers/native.ts";
import { context, model, turns, type TurnOut } from "./helpers/turns.ts";

const r_ = 2;
const kvHeads = 2; // synthetic:tiny-llama
const headDim = 16;
const rowBytes = (r_ + 1) * kvHeads * headDim * 4 * 2;

test("keep-filter-layers: round 1 = plain GemFilter with-question; every round = rerun; the 0..r cache grows by the turn's tokens", async (t) => {
  const r = await openRunner(["--threads", "2", "--kernels", "reference"], false);
  try {
    await r.ok(model);
    const gen = (rounds: string, turnMode: string) =>
      r.ok({
        op: "generate",
        inputIds: context,
        method: { name: "gemfilter", params: { filterLayer: r_, k: 10, rounds } },
        turns: turns.map((ids) => ({ inputIds: ids })),
        turnMode,
        maxNewTokens: 4,
        ignoreEos: true,
        returnLogits: true,
        returnSelection: true,
      });
    for (const mode of ["multi-turn", "multi-request"]) {
      const keep = await gen("keep-filter-layers", mode);
      const rerun = await gen("rerun", mode);
      const kt = keep.turns as TurnOut[];
      const rt = rerun.turns as TurnOut[];
      t.is(keep.keptLength, context.length, "the context phase keeps layers 0..r of the whole context");
      t.is(rerun.keptLength, 0, "rerun keeps nothing up front");
      t.is(keep.selection, undefined, "selections are per turn");
      t.is(keep.firstLogits, undefined, "no logits over the context");
      // The 0..r cache reserves, in those layers only, the context + every row the turns may add (multi-turn: Σ ids +
      // maxNewTokens; multi-request: the largest turn's), and is never reallocated.
      const reserve = mode === "multi-turn" ? turns.reduce((a, ids) => a + ids.length + 4, 0) : Math.max(...turns.map((ids) => ids.length + 4));
      const phases = (keep.memory as { phases: Record<string, { kv: number }> }).phases;
      t.is(phases.filter!.kv, (context.length + reserve) * rowBytes, `${mode}: the context phase holds the reserved 0..r cache`);
      let rows = context.length;
      for (let i = 0; i < turns.length; i++) {
        const m = `${mode} turn ${i + 1}`;
        t.deepEqual(kt[i]!.selection, rt[i]!.selection, m);
        t.is(kt[i]!.selection!.indices!.length, 10, m);
        t.deepEqual(kt[i]!.outputIds, rt[i]!.outputIds, m);
        t.deepEqual(kt[i]!.firstLogits, rt[i]!.firstLogits, `${m}: logits bitwise`);
        t.is(kt[i]!.cacheLength, rows, `${m}: the history before the turn`);
        rows += turns[i]!.length;
        t.is(kt[i]!.memory.filterKv, rows * rowBytes, `${m}: filterKv = ${rows} rows of layers 0..${r_}`);
        t.is(rt[i]!.memory.filterKv, 0, m);
        t.is(kt[i]!.memory.kv, rt[i]!.memory.kv, `${m}: the same second-pass cache`);
        if (mode === "multi-turn") rows += kt[i]!.outputIds.length;
        else rows = context.length;
      }
      if (mode === "multi-turn")
        t.is(kt[2]!.memory.filterKv - kt[1]!.memory.filterKv, (kt[1]!.outputIds.length + turns[2]!.length) * rowBytes);
      // Round 1 = plain GemFilter on context + question.
      const plain = await r.ok({
        op: "generate",
        inputIds: [...context, ...turns[0]!],
        method: { name: "gemfilter", params: { filterLayer: r_, k: 10 } },
        maxNewTokens: 4,
        ignoreEos: true,
        returnLogits: true,
        returnSelection: true,
      });
      t.deepEqual(kt[0]!.selection, plain.selection, `${mode}: round 1's selection`);
      t.deepEqual(kt[0]!.outputIds, plain.outputIds as number[], `${mode}: round 1's output`);
      t.deepEqual(kt[0]!.firstLogits, plain.firstLogits as number[], `${mode}: round 1's logits bitwise`);
    }
  } finally {
    await r.close();
  }
});
