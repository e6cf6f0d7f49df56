// The kept-token viewer shows the text the tokens spell, whatever the tokenizer's token strings look like:
// SentencePiece ("▁" = space, "<0xNN>" bytes), byte-level BPE ("Ġ" = space, "Ċ" = newline), the built-in byte one.
import test from "ava";
import { renderTokens, tokenScheme, tokensText } from "../reports/html/sections/viewer.ts";
import { loadTokenizer } from "../harness/tokenizer.ts";
import { viewerOf } from "./helpers/records.ts";
import { NEED, needsShared, STORIES } from "./helpers/shared.ts";

test("SentencePiece: spaces, a newline byte and a two-byte UTF-8 character", (t) => {
  const tokens = ["<s>", "▁Once", "▁upon", ",", "<0x0A>", "T", "he", "▁caf", "<0xC3>", "<0xA9>"];
  t.is(tokenScheme(tokens), "sentencepiece");
  t.is(tokensText(tokens, "sentencepiece"), "<s> Once upon,\nThe café");
});

test("byte-level BPE: Ġ and Ċ, and é spelled as its two UTF-8 bytes", (t) => {
  const tokens = ["Hello", "Ġworld", "Ċ", "ĠcafÃ©"];
  t.is(tokenScheme(tokens), "bytelevel");
  t.is(tokensText(tokens, "bytelevel"), "Hello world\n café");
});

needsShared([NEED.stories])("the real stories260K tokenizer's token strings read back as the input text", (t) => {
  const tok = loadTokenizer(STORIES, null);
  const text = "Once upon a time, there was a café.\nThe end";
  const strings = tok.tokenStrings(tok.encode(text, { addSpecialTokens: false }));
  t.is(tokensText(strings, tokenScheme(strings)).trimStart(), text);
});

test("the rendered viewer escapes the decoded text", (t) => {
  t.is(renderTokens(viewerOf(["▁a", "▁<b>"], [1], [])), '<span> a</span><span class="k"> &lt;b&gt;</span>');
});
