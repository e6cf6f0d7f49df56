import test from "ava";
import { ByteTokenizer, loadTokenizer } from "../harness/tokenizer.ts";

test("byte-level tokenizer: byte b → b+3, BOS 1, EOS 2, UTF-8, exact round trip", (t) => {
  const tok = new ByteTokenizer();
  t.deepEqual(tok.encode("Hi"), [0x48 + 3, 0x69 + 3]);
  t.deepEqual(tok.encode("é", { addSpecialTokens: true }), [1, 0xc3 + 3, 0xa9 + 3]);
  t.is(tok.decode([1, 0x48 + 3, 0x69 + 3, 2]), "<s>Hi</s>");
  t.is(tok.decode([1, 0x48 + 3, 0x69 + 3, 2], { skipSpecialTokens: true }), "Hi");
  const s = "naïve 😀 \n\t end";
  t.is(tok.decode(tok.encode(s)), s);
  t.is(tok.vocabSize, 259);
  t.is(tok.bosId, 1);
  t.is(tok.applyChatTemplate([{ role: "user", content: "x" }]), null);
  t.deepEqual(tok.tokenStrings([1, 0x41 + 3, 0x0a + 3]), ["<s>", "A", "<0x0A>"]);
  t.true(loadTokenizer("synthetic:tiny-llama", null) instanceof ByteTokenizer);
});
