// Prompt protocols as requests (harness/questions.ts, engines/README.md "Prompt protocols"): a NIAH multikey case
// carries its context and one question per needle, context ids ++ the first question's ids are exactly the prompt,
// and each protocol sends what it says (the default: the prompt; with-question multi-request: one prompt per
// question; context-only: the context with the questions as turns). Pure: no runner.
import test from "ava";
import type { SuiteCase, SuiteContext } from "../core/suite.ts";
import { niahSuite } from "../datasets/niah/index.ts";
import { planRequests, promptProblem, roundCaseIds } from "../harness/questions.ts";
import { ByteTokenizer } from "../harness/tokenizer.ts";

const tok = new ByteTokenizer();
const ctx: SuiteContext = { tokenizer: tok, model: { id: "synthetic:test", name: "test", maxPositions: 1_000_000, eosIds: [2] }, baseDir: ".", log: () => {} };
const method = { name: "snapkv", params: { k: 64 } };
const suite = { maxNewTokens: null, ignoreEos: false } as const;
const cell = (compression: "with-question" | "context-only", questions: "single" | "multi-request" | "multi-turn") => ({ prompt: { compression, questions }, suite: { ...suite, name: "niah", options: {}, repeats: 1, warmups: 0 } });

async function multikeyCase(): Promise<SuiteCase> {
  const cases = await niahSuite.buildCases(niahSuite.options.parse({ variant: "multikey", lengths: [800], depths: [40] }), ctx);
  return cases[0]!;
}

test("niah multikey: the context and one question per needle; context ++ question 1 = the prompt", async (t) => {
  const c = await multikeyCase();
  const p = c.parts!;
  t.deepEqual([...p.contextIds, ...p.questions[0]!.inputIds], c.inputIds);
  t.is(p.questions.length, 4);
  t.deepEqual(p.questions[0]!.references, c.references);
  t.is(new Set(p.questions.map((q) => q.references[0])).size, 4);
  for (const q of p.questions) {
    const key = q.id;
    t.is(tok.decode(q.inputIds), `\nWhat is the value of key ${key}? The value of key ${key} is`);
    t.is(q.question, `\nWhat is the value of key ${key}?`);
    t.is(q.answerPrefix, ` The value of key ${key} is`);
    // The value asked for is in the context, in its needle.
    t.true(tok.decode(p.contextIds).includes(`The value of key ${key} is ${q.references[0]}.`));
  }
  t.false(tok.decode(p.contextIds).includes("What is the value"), "no question in the context");
});

test("requests: default = the prompt; with-question multi-request = context ++ each question; context-only = turns", async (t) => {
  const c = await multikeyCase();
  const p = c.parts!;
  const def = planRequests(cell("with-question", "single"), c, method);
  t.is(def.length, 1);
  t.deepEqual(def[0]!.request.inputIds, c.inputIds);
  t.is(def[0]!.request.turns, undefined);

  const wq = planRequests(cell("with-question", "multi-request"), c, method);
  t.is(wq.length, 4);
  wq.forEach((r, i) => {
    t.deepEqual(r.request.inputIds, [...p.contextIds, ...p.questions[i]!.inputIds]);
    t.deepEqual(r.rounds, [{ round: i + 1, question: p.questions[i]!, turn: null }]);
  });

  const single = planRequests(cell("context-only", "single"), c, method);
  t.is(single.length, 1);
  t.deepEqual(single[0]!.request.inputIds, p.contextIds);
  t.deepEqual(single[0]!.request.turns, [{ inputIds: p.questions[0]!.inputIds }]);
  t.is(single[0]!.request.turnMode, "multi-request");

  for (const mode of ["multi-request", "multi-turn"] as const) {
    const co = planRequests(cell("context-only", mode), c, method);
    t.is(co.length, 1);
    t.deepEqual(co[0]!.request.inputIds, p.contextIds);
    t.deepEqual(co[0]!.request.turns, p.questions.map((q) => ({ inputIds: q.inputIds })));
    t.is(co[0]!.request.turnMode, mode);
    t.deepEqual(co[0]!.rounds.map((r) => [r.round, r.turn]), [[1, 0], [2, 1], [3, 2], [4, 3]]);
  }
  t.deepEqual(roundCaseIds({ compression: "context-only", questions: "multi-turn" }, c), [1, 2, 3, 4].map((i) => `${c.caseId}#${i}`));
  t.deepEqual(roundCaseIds({ compression: "context-only", questions: "single" }, c), [c.caseId]);
});

test("protocols that do not apply are named: one-question cases, cases without a split", async (t) => {
  const passkey = (await niahSuite.buildCases(niahSuite.options.parse({ variant: "passkey", lengths: [600], depths: [0] }), ctx))[0]!;
  t.is(passkey.parts?.questions.length, 1);
  t.is(promptProblem({ compression: "context-only", questions: "single" }, passkey, "niah"), null);
  t.regex(promptProblem({ compression: "context-only", questions: "multi-request" }, passkey, "niah") ?? "", /asks one question about its context; questions "multi-request" needs several/);
  const { parts: _, ...noParts } = passkey;
  t.regex(promptProblem({ compression: "context-only", questions: "single" }, noParts, "bench") ?? "", /suite bench .* has no context\/question split/);
  t.is(promptProblem({ compression: "with-question", questions: "single" }, noParts, "bench"), null);
});
