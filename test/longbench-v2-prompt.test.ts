// LongBench v2's prompt as pred.py builds it: the 0shot template with strip()ped fields, and query_llm's middle
// truncation (first max_len//2 ids, last -(-max_len//2), decoded together without special tokens).
import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { longbenchV2Suite } from "../datasets/longbench-v2/index.ts";
import { ByteTokenizer } from "../harness/tokenizer.ts";

const dir = mkdtempSync(join(tmpdir(), "gembench-lbv2-"));
const item = (i: number, context: string) => ({
  _id: `id${i}`, domain: "Single-Document QA", sub_domain: "Academic", difficulty: i % 2 ? "hard" : "easy", length: ["short", "medium", "long"][i % 3],
  question: ` Which mill came first? `, choice_A: "The north mill ", choice_B: " The south mill", choice_C: "Both", choice_D: "Neither", answer: "ABCD"[i % 4], context,
});
writeFileSync(join(dir, "data.json"), JSON.stringify([item(0, "  The north mill was built in 1702.\n"), item(1, "x".repeat(1000))]));
const tok = new ByteTokenizer();
const ctx = (maxPositions: number) => ({ tokenizer: tok, model: { id: "t", name: "t", maxPositions, eosIds: [2] }, baseDir: dir, log: () => {} });

test("the 0shot template, word for word, with the fields strip()ped", async (t) => {
  const [c] = await longbenchV2Suite.buildCases(longbenchV2Suite.options.parse({ data: "data.json" }), ctx(4096));
  const want =
    "Please read the following text and answer the question below.\n\n<text>\nThe north mill was built in 1702.\n</text>\n\n" +
    "What is the correct answer to this question: Which mill came first?\nChoices:\n(A) The north mill\n(B) The south mill\n(C) Both\n(D) Neither\n\n" +
    'Format your response as follows: "The correct answer is (insert answer here)".';
  t.deepEqual(c?.inputIds, tok.encode(want, { addSpecialTokens: true }));
  t.deepEqual(c?.references, ["A"]);
  t.is(c?.maxNewTokens, 128);
  t.is(c?.caseMeta.difficulty, "easy");
});

test("middle truncation: max_len//2 ids from the start, the rest from the end, one decode", async (t) => {
  for (const maxLength of [300, 301]) {
    const cases = await longbenchV2Suite.buildCases(longbenchV2Suite.options.parse({ data: "data.json", maxLength }), ctx(4096));
    const c = cases[1];
    const full = tok.encode(
      "Please read the following text and answer the question below.\n\n<text>\n" + "x".repeat(1000) + "\n</text>\n\n" +
        "What is the correct answer to this question: Which mill came first?\nChoices:\n(A) The north mill\n(B) The south mill\n(C) Both\n(D) Neither\n\n" +
        'Format your response as follows: "The correct answer is (insert answer here)".',
      { addSpecialTokens: true },
    );
    const head = Math.floor(maxLength / 2);
    const tail = maxLength - head;
    // The BOS is the first of the head ids; decode drops it, the re-encode adds it back.
    const text = tok.decode([...full.slice(0, head), ...full.slice(full.length - tail)], { skipSpecialTokens: true });
    t.deepEqual(c?.inputIds, tok.encode(text, { addSpecialTokens: true }), `maxLength ${maxLength}`);
    t.is(c?.inputIds.length, maxLength, `maxLength ${maxLength}`);
    t.is(c?.protocol.truncated, true);
  }
});

test("a missing data.json names the file and where to get it", async (t) => {
  await t.throwsAsync(longbenchV2Suite.buildCases(longbenchV2Suite.options.parse({ data: "nope.json" }), ctx(4096)), { message: /nope\.json not found; download data\.json from https:\/\/huggingface\.co\/datasets\/THUDM\/LongBench-v2/ });
});
