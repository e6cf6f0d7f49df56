// The context is trimmed so that the whole prompt is exactly `length` tokens (lengthSemantics "prompt", the default),
// with the byte tokenizer and with a real SentencePiece-style HF tokenizer; "paper" reproduces their arithmetic.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { Tokenizer } from "@huggingface/tokenizers";
import { ByteTokenizer } from "../harness/tokenizer.ts";
import type { ChatMessage, SuiteContext, TextTokenizer } from "../core/suite.ts";
import { niahSuite } from "../datasets/niah/index.ts";
import { PAPER_PROMPT_TEMPLATE } from "../datasets/niah/paper.ts";
import { NEED, needsShared, STORIES } from "./helpers/shared.ts";

function ctxFor(tokenizer: TextTokenizer, maxPositions: number): SuiteContext {
  return { tokenizer, model: { id: "m", name: "m", maxPositions, eosIds: [2] }, baseDir: ".", log: () => {} };
}

test("byte tokenizer: inputIds.length === length for every length and depth", async (t) => {
  const lengths = [1000, 1234, 5000, 31999];
  const opts = niahSuite.options.parse({ lengths, depths: [0, 50, 100] });
  const cases = await niahSuite.buildCases(opts, ctxFor(new ByteTokenizer(), 1_000_000));
  t.is(cases.length, 12);
  for (const c of cases) {
    t.is(c.inputIds.length, c.caseMeta.contextLength as number);
    t.is(c.inputIds[0], ByteTokenizer.BOS);
    t.is(c.caseMeta.inputLength, c.inputIds.length);
  }
  // prompt wording: 1 BOS + 52 prefix bytes ("<|im_start|> This is a very long story book: <book> ", trailing space
  // included) + 97 needle bytes + 109 suffix bytes = 259 non-haystack tokens
  t.is(Buffer.byteLength(PAPER_PROMPT_TEMPLATE.slice(0, PAPER_PROMPT_TEMPLATE.indexOf("{context}"))), 52);
  t.is(cases[0]!.caseMeta.contextTokens, 1000 - 259);
});

test("paper semantics: haystack + needle = length − 200, the wording on top", async (t) => {
  const opts = niahSuite.options.parse({ lengths: [1000, 4256], depths: [50], lengthSemantics: "paper" });
  const cases = await niahSuite.buildCases(opts, ctxFor(new ByteTokenizer(), 1_000_000));
  for (const c of cases) {
    const L = c.caseMeta.contextLength as number;
    t.is((c.caseMeta.contextTokens as number) + 97, L - 200);
    t.is(c.inputIds.length, L - 200 + 1 + 52 + 109);
  }
});


/** A TextTokenizer over @huggingface/tokenizers, built here so that the test depends only on the interface. */
function storiesTokenizer(): TextTokenizer {
  const tokJson = JSON.parse(readFileSync(join(STORIES, "tokenizer.json"), "utf8")) as Record<string, unknown>;
  const cfg = JSON.parse(readFileSync(join(STORIES, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  const tok = new Tokenizer(tokJson, cfg);
  return {
    bosId: tok.token_to_id("<s>") ?? null,
    eosId: tok.token_to_id("</s>") ?? null,
    vocabSize: tok.get_vocab(true).size,
    encode: (text: string, o?: { addSpecialTokens?: boolean }) =>
      text === "" && !o?.addSpecialTokens ? [] : tok.encode(text, { add_special_tokens: o?.addSpecialTokens ?? false }).ids,
    decode: (ids: number[], o?: { skipSpecialTokens?: boolean }) =>
      ids.length === 0 ? "" : tok.decode(ids, { skip_special_tokens: o?.skipSpecialTokens ?? false }),
    applyChatTemplate: (_m: ChatMessage[]) => null,
  };
}

needsShared([NEED.stories])("stories260K tokenizer: inputIds.length === length, needle span decodes to the needle", async (t) => {
  const tok = storiesTokenizer();
  // 500 + 12 new tokens fill stories260K's 512 positions exactly; 501 would not fit and is skipped.
  const opts = niahSuite.options.parse({ lengths: [200, 333, 500, 501], depths: [0, 22, 56, 100], maxNewTokens: 12 });
  const cases = await niahSuite.buildCases(opts, ctxFor(tok, 512));
  // Every requested length × depth is run or stands merged into a case with the same needle position (at these short
  // lengths several depths fall back to the same period: test/niah-depths-collapse.test.ts).
  const covered = cases.flatMap((c) => (typeof c.caseMeta.mergedDepths === "string" ? c.caseMeta.mergedDepths.split(",") : [String(c.caseMeta.depthPercent)]).map((d) => `${c.caseMeta.contextLength}/${d}`));
  t.is(covered.length, 12);
  t.is(new Set(covered).size, 12);
  t.is(new Set(cases.map((c) => `${c.caseMeta.contextLength}/${c.caseMeta.needleStart}`)).size, cases.length);
  for (const c of cases) {
    t.is(c.inputIds.length, c.caseMeta.contextLength as number);
    t.is(c.inputIds[0], 1);
    const [m] = c.marks;
    t.is(tok.decode(c.inputIds.slice(m!.start, m!.end)).trim(), "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day.");
  }
});
