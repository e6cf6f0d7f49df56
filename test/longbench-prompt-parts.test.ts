// LongBench cases as context + question (datasets/longbench/parts.ts): the template's filled text after {context} is
// the question (its last line the answer prefix), found at the end of the final prompt — with the chat template too;
// groupQuestions makes one case of the multifieldqa_zh rows that share a context (real files), each row a question.
import test from "ava";
import { longbenchSuite } from "../datasets/longbench/index.ts";
import { BOS, charTokenizer, ctxFor } from "./helpers/longbench.ts";
import { NEED, needsShared, SHARED_LONGBENCH } from "./helpers/shared.ts";

const lbTest = needsShared([NEED.longbench]);

lbTest("every case's split: context ++ question ids = the prompt (char tokenizer), chat template or not", async (t) => {
  for (const chat of [false, true]) {
    const tok = charTokenizer({ chat });
    const opts = longbenchSuite.options.parse({ profile: "chat", dir: SHARED_LONGBENCH, datasets: ["multifieldqa_zh", "multi_news"], limit: 4, maxLength: 3000 });
    for (const c of await longbenchSuite.buildCases(opts, ctxFor(tok, "/"))) {
      const p = c.parts!;
      t.truthy(p, c.caseId);
      t.is(p.questions.length, 1);
      t.is(p.contextIds[0], BOS);
      t.deepEqual([...p.contextIds, ...p.questions[0]!.inputIds], c.inputIds, `${c.caseId} chat=${chat}`);
      t.deepEqual(p.questions[0]!.references, c.references);
    }
  }
  const tok = charTokenizer();
  const [mf] = await longbenchSuite.buildCases(longbenchSuite.options.parse({ profile: "longbench", dir: SHARED_LONGBENCH, datasets: ["multifieldqa_zh"], limit: 1 }), ctxFor(tok, "/"));
  const q = mf!.parts!.questions[0]!;
  t.true(q.question.startsWith("\n\n"), JSON.stringify(q.question.slice(0, 40)));
  t.is(q.answerPrefix, "回答：");
});

lbTest("groupQuestions: multifieldqa_zh rows sharing a context become one case with their questions", async (t) => {
  const tok = charTokenizer();
  const base = { profile: "longbench", dir: SHARED_LONGBENCH, datasets: ["multifieldqa_zh"] } as const;
  const flat = await longbenchSuite.buildCases(longbenchSuite.options.parse(base), ctxFor(tok, "/"));
  const grouped = await longbenchSuite.buildCases(longbenchSuite.options.parse({ ...base, groupQuestions: true }), ctxFor(tok, "/"));
  t.is(flat.length, 200);
  t.is(grouped.reduce((n, c) => n + (c.parts?.questions.length ?? 1), 0), 200, "every row's question is kept");
  t.true(grouped.length < 200);
  const multi = grouped.filter((c) => (c.parts?.questions.length ?? 1) > 1);
  t.true(multi.length > 0);
  for (const c of multi) {
    const members = flat.filter((f) => c.parts!.questions.some((q) => q.id === f.caseId));
    t.is(members.length, c.parts!.questions.length);
    for (const m of members) t.deepEqual(m.parts!.contextIds, c.parts!.contextIds);
    t.is(c.parts!.questions[0]!.id, c.caseId);
  }
});
