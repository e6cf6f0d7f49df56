// Context-only GemFilter (and random, the other second-pass method): with turns, the selection is made on the context
// alone, and the turn's ids are prefilled densely over the kept rows. So the answer equals, exactly, GemFilter on the
// context alone (its selection S) followed by a dense prefill of the question over the kept rows — which, since the
// second pass is itself a dense prefill of the kept ids at new positions 0..k'-1, is a dense request over
// [context[S]…, question…]. Same tokens and first-token logits bitwise on the reference kernels (the kept rows and the
// question come in two calls instead of one: only the chunking differs, which those kernels do not see).
import test from "ava";
import { openRunner } from "./helpers/native.ts";
import { context, model, turns, type TurnOut } from "./helpers/turns.ts";

for (const [name, params] of [
  ["gemfilter", { filterLayer: 1, k: 12 }],
  ["gemfilter", { filterLayer: 3, k: 9, keepLast: 2 }],
  ["random", { k: 12, seed: 3 }],
] as const) {
  test(`context-only ${name} ${JSON.stringify(params)} = ${name} on the context, then the question densely over the kept rows`, async (t) => {
    const r = await openRunner(["--threads", "2", "--kernels", "reference"], false);
    try {
      await r.ok(model);
      const base = { op: "generate", maxNewTokens: 5, ignoreEos: true, returnLogits: true };
      const ctxOnly = await r.ok({ ...base, inputIds: context, method: { name, params }, turns: [{ inputIds: turns[0] }], returnSelection: true });
      const plain = await r.ok({ ...base, inputIds: context, method: { name, params }, returnSelection: true });
      const sel = (plain.selection as { indices: number[] }).indices;
      t.deepEqual((ctxOnly.selection as { indices: number[] }).indices, sel, "the selection saw the context alone");
      t.is(ctxOnly.keptLength, sel.length);
      const dense = await r.ok({ ...base, inputIds: [...sel.map((j) => context[j]!), ...turns[0]!], method: "dense" });
      const turn = (ctxOnly.turns as TurnOut[])[0]!;
      t.deepEqual(turn.outputIds, dense.outputIds as number[]);
      t.deepEqual(turn.firstLogits, dense.firstLogits as number[], "first-token logits bitwise");
      t.is(turn.cacheLength, sel.length);
      // With the question in the prompt (with-question) the selection generally differs: the test can tell them apart.
      const withQ = await r.ok({ ...base, inputIds: [...context, ...turns[0]!], method: { name, params }, returnSelection: true });
      if (name === "gemfilter") t.notDeepEqual((withQ.selection as { indices: number[] }).indices, sel, "the question changes GemFilter's choice");
    } finally {
      await r.close();
    }
  });
}
