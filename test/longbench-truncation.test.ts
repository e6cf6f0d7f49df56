import test from "ava";
import { middleTruncate, buildPrompt } from "../datasets/longbench/prompt.ts";
import { BOS, charTokenizer } from "./helpers/longbench.ts";

test("truncation: a prompt over the budget keeps the first ⌊L/2⌋ and last ⌊L/2⌋ tokens (BOS counted, then skipped on decode)", (t) => {
  const tok = charTokenizer();
  const text = "abcdefghijklmnopqrstuvwxyz"; // 26 chars → 27 tokens with BOS
  // budget 10: half = 5 → head = [BOS, a, b, c, d] → "abcd" ; tail = last 5 → "vwxyz"
  const r = middleTruncate(tok, text, 10);
  t.is(r.originalTokens, 27);
  t.true(r.truncated);
  t.is(r.text, "abcdvwxyz");
  // odd budget: half = ⌊11/2⌋ = 5, same split
  t.is(middleTruncate(tok, text, 11).text, "abcdvwxyz");
  // the re-encoded prompt (BOS + 9 chars) has 10 tokens: the decode/re-encode round trip is what pred.py does
  const built = buildPrompt(tok, "trec", text, 10, "official");
  t.is(built.inputIds.length, 10);
  t.is(built.inputIds[0], BOS);
  t.deepEqual(tok.decode(built.inputIds.slice(1)), "abcdvwxyz");
});

test("truncation: no-op when the tokenized prompt fits exactly", (t) => {
  const tok = charTokenizer();
  const r = middleTruncate(tok, "abcdefghi", 10); // 10 tokens with BOS
  t.false(r.truncated);
  t.is(r.text, "abcdefghi");
  const built = buildPrompt(tok, "lcc", "abcdefghi", 10, "official");
  t.is(built.inputIds.length, 10);
});
