// The paper profile builds NIAH prompts as the GemFilter authors' eval/needle/needle_in_haystack.py does. The expected
// prompts below are derived by hand from their code (read_context_files → encode_and_trim → insert_needle →
// generate_prompt → self.enc(prompt)), with a tokenizer whose every step can be followed on paper: one token per
// character (id = code point + 10), BOS = 1 written "<s>"; encode() adds BOS and reads "<s>" in text back as BOS,
// decode() keeps it — as HF tokenizers do with special tokens.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { niahSuite } from "../datasets/niah/index.ts";
import { PAPER_NEEDLE } from "../datasets/niah/paper.ts";
import { HfTokenizer } from "../harness/tokenizer.ts";
import { charTokenizer, ctxFor } from "./helpers/longbench.ts";
import { ESSAYS, NEED, needsShared, STORIES } from "./helpers/shared.ts";

const tok = charTokenizer();
const ids = (text: string): number[] => tok.encode(text, { addSpecialTokens: true });
const prompt = (context: string): string =>
  `<|im_start|> This is a very long story book: <book> ${context} </book>.\n Based on the content of the book, Question: Q?\nAnswer:`;

function haystackDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "niah-paper-"));
  writeFileSync(join(dir, "a.txt"), "One. Two");
  writeFileSync(join(dir, "b.txt"), " three. Four five.");
  return dir;
}

async function build(extra: Record<string, unknown>) {
  const opts = niahSuite.options.parse({ profile: "paper", haystack: haystackDir(), lengths: [30], needle: "\nN.\n", question: "Q?", contextBuffer: 10, ...extra });
  return niahSuite.buildCases(opts, ctxFor(tok, "/"));
}

test("paper construction, derived by hand: BOS tokens mid-prompt, BOS counts as a period, second trim to length − buffer − needle", async (t) => {
  // read_context_files: max length 30; "" → [BOS] (1 token) < 30, so one pass "One. Two three. Four five." (26 chars,
  // 27 tokens) < 30, so two passes (53 tokens). encode_and_trim(…, 30): decode(tokens[:30]) = "<s>" + 29 characters
  // = "<s>One. Two three. Four five.One". insert_needle: tokens_needle = [BOS, \n, N, ., \n] (5);
  // tokens_context = encode("<s>One. Two three. Four five.One") = [BOS, BOS, 29 characters] (31); 31 + 5 > 30 − 10,
  // so tokens_context = tokens_context[:20 − 5] = [BOS, BOS, "One. Two thre"] (15). period_tokens = encode('.') =
  // [BOS, '.'].
  const cases = await build({ depths: [0, 20, 50, 100] });
  t.deepEqual(cases.map((c) => c.caseId), ["len30-depth0", "len30-depth20", "len30-depth50", "len30-depth100"]);
  const [d0, d20, d50, d100] = cases;
  // depth 0: insertion_point 0, the (empty) prefix ends the loop at once: needle, then the context
  t.deepEqual(d0?.inputIds, ids(prompt("<s>\nN.\n<s><s>One. Two thre")));
  // depth 20: int(15 × 0.2) = 3 → [BOS, BOS, "O"]; "O" is no period, the BOS before it is: insertion at 2
  t.deepEqual(d20?.inputIds, ids(prompt("<s><s><s>\nN.\nOne. Two thre")));
  t.like(d20?.caseMeta, { contextTokens: 15, requestedPoint: 3, insertionPoint: 2 });
  // depth 50: int(7.5) = 7 → [BOS, BOS, "One. "]; " " is no period, "." is: insertion at 6
  t.deepEqual(d50?.inputIds, ids(prompt("<s><s>One.<s>\nN.\n Two thre")));
  t.like(d50?.caseMeta, { requestedPoint: 7, insertionPoint: 6 });
  // depth 100: the needle appended, no period rule
  t.deepEqual(d100?.inputIds, ids(prompt("<s><s>One. Two thre<s>\nN.\n")));
  // the needle's own tokens (without its BOS) are marked where the final tokenization put them
  const start = ids("<|im_start|> This is a very long story book: <book> <s><s>One.<s>").length;
  t.deepEqual(d50?.marks, [{ label: "needle", start, end: start + 4 }]);
  t.like(d50?.caseMeta, { needleStart: start, needleEnd: start + 4, inputLength: d50?.inputIds.length });
});

test("paper profile: their generate loop (up to 51 tokens, the tokenizer's eos_token_id only, not on the first token) and protocol", async (t) => {
  const [c] = await build({ depths: [50] });
  t.is(c?.maxNewTokens, 51);
  t.deepEqual(c?.eosIds, [2]);
  t.is(c?.stopCheckFrom, 1);
  t.deepEqual(c?.stopIds, []);
  t.like(c?.protocol, { profile: "paper", chatTemplate: false, haystackOrder: "sorted", contextBuffer: 10, eosIds: "2" });
});

test("glob order: haystackFiles replays a captured file order; sorted by name otherwise", async (t) => {
  // b.txt then a.txt: " three. Four five.One. Two" (26), twice; trimmed to "<s> three. Four five.One. Tw" (29 chars
  // after the BOS); re-encoded [BOS, BOS, …] and cut to 15 tokens: [BOS, BOS, " three. Four "]
  const [c] = await build({ depths: [100], haystackFiles: ["b.txt", "a.txt"] });
  t.deepEqual(c?.inputIds, ids(prompt("<s><s> three. Four <s>\nN.\n")));
  t.is(c?.protocol.haystackOrder, "haystackFiles");
  await t.throwsAsync(build({ depths: [100], haystackFiles: ["a.txt", "c.txt"] }), { message: /haystackFiles names "c\.txt"/ });
});

test("paper profile refuses options its construction does not have, naming them", (t) => {
  for (const [key, value, msg] of [
    ["variant", "multi", /one needle/],
    ["chatTemplate", true, /no chat template/],
    ["lengthSemantics", "paper", /remove lengthSemantics/],
    ["addBos", false, /remove addBos/],
  ] as const) {
    const r = niahSuite.options.safeParse({ profile: "paper", [key]: value });
    t.false(r.success, key);
    t.regex(JSON.stringify(r.error?.issues), msg, key);
  }
});

needsShared([NEED.stories, NEED.essays])("paper profile on the real essays with the stories260K tokenizer: exact prompt lengths and needle spans", async (t) => {
  const hf = new HfTokenizer(STORIES);
  const opts = niahSuite.options.parse({ profile: "paper", haystack: ESSAYS, lengths: [300, 400], depths: [0, 50, 100] });
  const cases = await niahSuite.buildCases(opts, ctxFor(hf, "/", 512));
  t.deepEqual(
    cases.map((c) => [c.caseId, c.inputIds.length, c.caseMeta.contextTokens, c.caseMeta.insertionPoint, c.caseMeta.needleStart, c.caseMeta.needleEnd]),
    [
      // haystack tokens = length − 200 − 56 (the needle with its BOS); the prompt wording and its BOS on top
      ["len300-depth0", 202, 44, 0, 37, 92],
      ["len300-depth50", 202, 44, 9, 47, 102],
      ["len300-depth100", 202, 44, 44, 82, 137],
      ["len400-depth0", 302, 144, 0, 37, 92],
      ["len400-depth50", 302, 144, 49, 87, 142],
      ["len400-depth100", 302, 144, 144, 182, 237],
    ],
  );
  for (const c of cases) {
    // the prompt opens with BOS and the literal "<|im_start|>" text, and BOS tokens sit inside the book
    t.is(c.inputIds[0], hf.bosId ?? -1);
    t.true(c.inputIds.slice(1).filter((id) => id === hf.bosId).length >= 3, c.caseId);
    const text = hf.decode(c.inputIds, { skipSpecialTokens: true });
    t.true(text.includes(PAPER_NEEDLE.trim()), c.caseId);
    t.true(hf.decode(c.inputIds.slice(c.caseMeta.needleStart as number, c.caseMeta.needleEnd as number)).includes("Dolores Park"), c.caseId);
    t.true(text.endsWith("Question: What is the best thing to do in San Francisco?\nAnswer:"), c.caseId);
    t.deepEqual(c.eosIds, [2]);
  }
});
