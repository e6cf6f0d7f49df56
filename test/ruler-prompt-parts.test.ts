// RULER's cases as context + question(s) (engines/README.md "Prompt protocols"): the kvpress split tokenized apart;
// niah_multiquery asks its four keys one per question (RULER's one-key wording) over the same context, its own
// question asking all four. Byte tokenizer, the fixtures' essay folder.
import test from "ava";
import { rulerSuite } from "../datasets/ruler/index.ts";
import { ByteTokenizer } from "../harness/tokenizer.ts";
import { rulerFixtures } from "./helpers/ruler.ts";

const tok = new ByteTokenizer();
const ctx = { tokenizer: tok, model: { id: "synthetic:t", name: "t", maxPositions: 1_000_000, eosIds: [2] }, baseDir: ".", log: () => {} };

test("niah_multiquery: one question per key over the shared context, the case's own asks all keys", async (t) => {
  const fx = rulerFixtures();
  const o = rulerSuite.options.parse({ essays: fx.essays, tasks: ["niah_multiquery", "niah_single_1"], lengths: [8000], samples: 1 });
  const [mq, single] = await rulerSuite.buildCases(o, ctx);
  const p = mq!.parts!;
  t.is(p.questions.length, 4);
  const context = tok.decode(p.contextIds);
  t.true(mq!.caseMeta.question === p.own?.question);
  t.deepEqual(p.own?.references, mq!.references);
  t.deepEqual(p.questions.flatMap((q) => q.references).sort(), [...mq!.references].sort());
  for (const q of p.questions) {
    t.is(q.question, `What is the special magic number for ${q.id} mentioned in the provided text?`);
    t.is(q.answerPrefix, ` The special magic number for ${q.id} mentioned in the provided text is`);
    t.deepEqual(q.inputIds, tok.encode(q.question + q.answerPrefix));
    t.true(context.includes(`One of the special magic numbers for ${q.id} is: ${q.references[0]}.`));
  }
  t.true(tok.decode(mq!.inputIds).startsWith(context), "the context is the prompt's beginning");
  t.is(single!.parts!.questions.length, 1);
  t.is(single!.parts!.own, undefined);
  t.deepEqual([...single!.parts!.contextIds, ...single!.parts!.questions[0]!.inputIds], single!.inputIds, "byte-level: the parts' ids are the prompt's");
});
