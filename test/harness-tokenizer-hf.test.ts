import { readFileSync } from "node:fs";
import { HfTokenizer } from "../harness/tokenizer.ts";
import { NEED, needsShared, STORIES } from "./helpers/shared.ts";

interface Ref {
  cases: { prompt: string; prompt_ids: number[]; greedy_ids: number[]; greedy_text: string }[];
  tokenizer_cases: { text: string; ids: number[]; ids_with_bos: number[] }[];
}

const refTest = needsShared([NEED.storiesReference]);
const loaded = (): { ref: Ref; tok: HfTokenizer } => ({
ref: JSON.parse(readFileSync(NEED.storiesReference, "utf8")) as Ref,
tok: new HfTokenizer(STORIES),
});

refTest("encodes every reference text to the reference ids, with and without BOS", (t) => {
  const { ref, tok } = loaded();
  t.true(ref.tokenizer_cases.length >= 8);
  for (const c of ref.tokenizer_cases) {
    t.deepEqual(tok.encode(c.text), c.ids, c.text);
    t.deepEqual(tok.encode(c.text, { addSpecialTokens: true }), c.ids_with_bos, c.text);
  }
  t.is(tok.bosId, 1);
  t.is(tok.vocabSize, 512);
});

refTest("decodes greedy ids to the reference text and round-trips the prompts", (t) => {
  const { ref, tok } = loaded();
  for (const c of ref.cases) {
    t.is(tok.decode(c.greedy_ids, { skipSpecialTokens: true }), c.greedy_text);
    t.is(tok.decode(c.prompt_ids, { skipSpecialTokens: true }), c.prompt);
  }
  t.is(tok.decode([]), "");
  t.is(tok.applyChatTemplate([{ role: "user", content: "hi" }]), null);
});
