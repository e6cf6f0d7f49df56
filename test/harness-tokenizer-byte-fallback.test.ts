// Decoding byte-fallback tokens as Python/Rust `tokenizers` does: a run of <0xNN> tokens that is valid UTF-8 becomes
// its text; a run that is not becomes one U+FFFD per byte — even the bytes of complete characters inside it
// (tokenizers/src/decoders/byte_fallback.rs). The JS port alone gives one U+FFFD per invalid sequence. Checked on the
// stories260K tokenizer (byte tokens <0x00>..<0xFF> = ids 3..258).
import { HfTokenizer } from "../harness/tokenizer.ts";
import { NEED, needsShared, STORIES } from "./helpers/shared.ts";

const dir = STORIES;
const byte = (b: number): number => b + 3;
const FFFD = "\uFFFD";

needsShared([NEED.stories])("byte runs decode as Python tokenizers decode them", (t) => {
  const tok = new HfTokenizer(dir);
  // "中" = E4 B8 AD, "é" = C3 A9; `word` is "▁Once" (its space is stripped only at the start of the text).
  const word = tok.encode("Once", { addSpecialTokens: false });
  t.is(tok.decode([...word, byte(0xe4), byte(0xb8), byte(0xad)]), "Once中", "a valid run is its character");
  t.is(tok.decode([...word, byte(0xe4), byte(0xb8)]), `Once${FFFD}${FFFD}`, "a cut character: one U+FFFD per byte");
  t.is(tok.decode([...word, byte(0xc3), byte(0xa9), byte(0xe4), byte(0xb8)]), `Once${FFFD.repeat(4)}`, "the whole run is replaced, é included");
  t.is(tok.decode([byte(0xc3), byte(0xa9), ...word, byte(0xe4)]), `é Once${FFFD}`, "runs are judged separately");
});
