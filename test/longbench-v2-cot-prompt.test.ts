// LongBench v2's chain-of-thought setting as pred.py --cot builds it: the 0shot_cot prompt (1024 new tokens), then
// the 0shot_cot_ans prompt — no document, the first output's strip() in place of $COT$ — for the answer (128 new
// tokens); an empty first output gets no second query. Placeholders are replaced literally, as Python's str.replace.
import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { longbenchV2Suite } from "../datasets/longbench-v2/index.ts";
import { ByteTokenizer } from "../harness/tokenizer.ts";

const dir = mkdtempSync(join(tmpdir(), "gembench-lbv2-cot-"));
const item = {
  _id: "id0", domain: "Single-Document QA", sub_domain: "Academic", difficulty: "easy", length: "short",
  question: " Which mill came first? ", choice_A: "The north mill ", choice_B: " The south mill", choice_C: "Both ($& and $')", choice_D: "Neither", answer: "A",
  context: "  The north mill was built in 1702.\n",
};
writeFileSync(join(dir, "data.json"), JSON.stringify([item]));
const tok = new ByteTokenizer();
const ctx = { tokenizer: tok, model: { id: "t", name: "t", maxPositions: 4096, eosIds: [2] }, baseDir: dir, log: () => {} };
const choices = "Choices:\n(A) The north mill\n(B) The south mill\n(C) Both ($& and $')\n(D) Neither\n\n";

test("cot: the 0shot_cot prompt word for word, then the 0shot_cot_ans prompt carrying the first output's strip()", async (t) => {
  const [c] = await longbenchV2Suite.buildCases(longbenchV2Suite.options.parse({ data: "data.json", cot: true }), ctx);
  const first =
    "Please read the following text and answer the questions below.\n\n<text>\nThe north mill was built in 1702.\n</text>\n\n" +
    `What is the correct answer to this question: Which mill came first?\n${choices}Let\u2019s think step by step:`;
  t.deepEqual(c?.inputIds, tok.encode(first, { addSpecialTokens: true }));
  t.is(c?.maxNewTokens, 1024);
  t.is(c?.protocol.prompt, "0shot_cot, then 0shot_cot_ans with the first output");
  const second =
    "Please read the following text and answer the questions below.\n\nThe text is too long and omitted here.\n\n" +
    `What is the correct answer to this question: Which mill came first?\n${choices}` +
    "Let\u2019s think step by step: The north one: 1702. $Q$ stays.\n\n" +
    'Based on the above, what is the single, most likely answer choice? Format your response as follows: "The correct answer is (insert answer here)".';
  t.deepEqual(c?.followUp?.("\n The north one: 1702. $Q$ stays. \n"), { inputIds: tok.encode(second, { addSpecialTokens: true }), maxNewTokens: 128 });
  t.is(c?.followUp?.(""), null);
});

test("zero-shot (the default) has no follow-up", async (t) => {
  const [c] = await longbenchV2Suite.buildCases(longbenchV2Suite.options.parse({ data: "data.json" }), ctx);
  t.is(c?.followUp, undefined);
  t.is(c?.maxNewTokens, 128);
  t.true(tok.decode(c!.inputIds, { skipSpecialTokens: true }).includes("(C) Both ($& and $')\n"));
});
