// Llama 3 / 3.1's tokenizer (the npm package llama3-tokenizer-js: its 128,256-token byte-level BPE, the same for 3 and
// 3.1) as the TextTokenizer suites see, for tests that need a real 128K-vocabulary tokenizer without model files.
// Base-model view: BOS <|begin_of_text|> 128000 added with the special tokens, EOS <|end_of_text|> 128001, no chat
// template.
import llama3 from "llama3-tokenizer-js";
import type { TextTokenizer } from "../../core/suite.ts";

export const LLAMA3_BOS = 128000;
export const LLAMA3_EOS = 128001;

export const llama3Tokenizer: TextTokenizer = {
  encode: (text, opts) => llama3.encode(text, { bos: opts?.addSpecialTokens === true, eos: false }),
  decode: (ids) => llama3.decode(ids),
  applyChatTemplate: () => null,
  bosId: LLAMA3_BOS,
  eosId: LLAMA3_EOS,
  vocabSize: llama3.vocabById.length,
};
