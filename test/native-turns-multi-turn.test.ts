// turnMode "multi-turn": turns accumulate. Turn t of a several-turn request equals a single-turn request whose one
// turn is [turn 1 ids, turn 1 outputs, …, turn t ids] — the same output ids and first-token logits bit for bit — for
// every method. Why that holds: each method compresses the context alone (its selection never sees a turn), so both
// start from the same compressed cache, and the turns' rows are appended uncompressed at the same positions. The one
// difference is how those rows are chunked (a turn's prefill, then one decode step per output, vs one prefill); the
// reference kernels (--kernels reference) compute every query row independently of the others in its call, so the
// results are bitwise equal there. (The fast kernels tile by call size: equal within rounding, not asserted.)
import test from "ava";
import { openRunner } from "./helpers/native.ts";
import { context, everyMethod, label, model, turns, type TurnOut } from "./helpers/turns.ts";

test("multi-turn turn t equals one turn of the whole history so far, for every method", async (t) => {
  const r = await openRunner(["--threads", "2", "--kernels", "reference"], false);
  try {
    await r.ok(model);
    for (const [name, params] of everyMethod) {
      const gen = async (ts: number[][], turnMode: string) =>
        r.ok({
          op: "generate",
          inputIds: context,
          method: { name, params },
          turns: ts.map((ids) => ({ inputIds: ids })),
          turnMode,
          maxNewTokens: 3,
          ignoreEos: true,
          returnLogits: true,
        });
      const all = await gen(turns, "multi-turn");
      const got = all.turns as TurnOut[];
      const kept = all.keptLength as number;
      let history: number[] = [];
      for (let i = 0; i < turns.length; i++) {
        const m = `${label(name, params)} turn ${i + 1}`;
        history = [...history, ...turns[i]!];
        const one = ((await gen([history], "multi-request")).turns as TurnOut[])[0]!;
        t.deepEqual(got[i]!.outputIds, one.outputIds, m);
        t.deepEqual(got[i]!.firstLogits, one.firstLogits, `${m}: first-token logits bitwise`);
        t.is(got[i]!.cacheLength, kept + history.length - turns[i]!.length, `${m}: kept context + earlier turns and outputs`);
        history = [...history, ...got[i]!.outputIds];
      }
      // The history matters: turn 2 in multi-request mode (without turn 1) differs.
      const alone = ((await gen([turns[1]!], "multi-request")).turns as TurnOut[])[0]!;
      t.notDeepEqual(alone.firstLogits, got[1]!.firstLogits, `${label(name, params)}: turn 2 sees turn 1`);
    }
  } finally {
    await r.close();
  }
});
