import test from "ava";
import { buildPrompt, newlineStopIds } from "../datasets/longbench/prompt.ts";
import { NO_CHAT_DATASETS } from "../datasets/longbench/catalog.ts";
import { BOS, charTokenizer } from "./helpers/longbench.ts";

test("chat template applied except on trec, triviaqa, samsum, lsht, lcc, repobench-p", (t) => {
  t.deepEqual([...NO_CHAT_DATASETS].sort(), ["lcc", "lsht", "repobench-p", "samsum", "trec", "triviaqa"]);
  const tok = charTokenizer({ chat: true });
  const qa = buildPrompt(tok, "hotpotqa", "Q", 100, "official");
  t.is(qa.chatTemplate, "applied");
  t.is(qa.text, "<s>[U]Q[/U]");
  // BOS written by the template and added by the tokenizer is kept once
  t.deepEqual(qa.inputIds, [BOS, ...tok.encode("[U]Q[/U]")]);
  for (const d of NO_CHAT_DATASETS) {
    const p = buildPrompt(tok, d, "Q", 100, "official");
    t.is(p.chatTemplate, "not-for-dataset");
    t.deepEqual(p.inputIds, [BOS, ...tok.encode("Q")]);
  }
});

test("chat template switchable off, and recorded as absent when the tokenizer has none", (t) => {
  const off = buildPrompt(charTokenizer({ chat: true }), "hotpotqa", "Q", 100, "off");
  t.is(off.chatTemplate, "off");
  t.is(off.text, "Q");
  const none = buildPrompt(charTokenizer(), "hotpotqa", "Q", 100, "official");
  t.is(none.chatTemplate, "none-in-tokenizer");
});

test("truncation happens before the chat template (the template is never cut)", (t) => {
  const tok = charTokenizer({ chat: true });
  const p = buildPrompt(tok, "qasper", "abcdefghijkl", 6, "official");
  t.is(p.text, "<s>[U]abjkl[/U]");
});

test("samsum stops at the last token of encode('\\n')", (t) => {
  t.deepEqual(newlineStopIds(charTokenizer()), ["\n".codePointAt(0)! + 10]);
});
