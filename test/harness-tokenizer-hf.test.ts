import test from "ava";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { HfTokenizer } from "../harness/tokenizer.ts";

const dir = fileURLToPath(new URL("../../shared/models/stories260K", import.meta.url));
const present = existsSync(`${dir}/reference.json`);

interface Ref {
  cases: { prompt: string; prompt_ids: number[]; greedy_ids: number[]; greedy_text: string }[];
  tokenizer_cases: { text: string; ids: number[]; ids_with_bos: number[] }[];
}

if (!present) {
  test("stories260K tokenizer (skipped: ../shared/models/stories260K is absent)", (t) => {
    t.log("../shared/models/stories260K not found; the tokenizer reference test needs it");
    t.pass();
  });
} else {
  const ref = JSON.parse(readFileSync(`${dir}/reference.json`, "utf8")) as Ref;
  const tok = new HfTokenizer(dir);

  test("encodes every reference text to the reference ids, with and without BOS", (t) => {
    t.true(ref.tokenizer_cases.length >= 8);
    for (const c of ref.tokenizer_cases) {
      t.deepEqual(tok.encode(c.text), c.ids, c.text);
      t.deepEqual(tok.encode(c.text, { addSpecialTokens: true }), c.ids_with_bos, c.text);
    }
    t.is(tok.bosId, 1);
    t.is(tok.vocabSize, 512);
  });

  test("decodes greedy ids to the reference text and round-trips the prompts", (t) => {
    for (const c of ref.cases) {
      t.is(tok.decode(c.greedy_ids, { skipSpecialTokens: true }), c.greedy_text);
      t.is(tok.decode(c.prompt_ids, { skipSpecialTokens: true }), c.prompt);
    }
    t.is(tok.decode([]), "");
    t.is(tok.applyChatTemplate([{ role: "user", content: "hi" }]), null);
  });
}
