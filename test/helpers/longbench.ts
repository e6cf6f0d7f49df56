// Test helpers for the LongBench suite: a tiny character-level tokenizer (one token per code point, BOS = 1) and
// the location of the shared real LongBench files.
import type { ChatMessage, SuiteContext, TextTokenizer } from "../../core/suite.ts";

export const BOS = 1;
const OFFSET = 10;

/** One token per Unicode code point (id = code point + 10); BOS (id 1, text "<s>") added with addSpecialTokens. */
export function charTokenizer(opts: { chat?: boolean } = {}): TextTokenizer {
  return {
    encode(text, o) {
      const out: number[] = [];
      if (o?.addSpecialTokens) out.push(BOS);
      let rest = text;
      // the chat template writes BOS as the text "<s>"; encode it back to the BOS id like a real tokenizer
      while (rest.length > 0) {
        if (rest.startsWith("<s>")) {
          out.push(BOS);
          rest = rest.slice(3);
          continue;
        }
        const cp = rest.codePointAt(0) as number;
        out.push(cp + OFFSET);
        rest = rest.slice(cp > 0xffff ? 2 : 1);
      }
      return out;
    },
    decode(ids, o) {
      return ids
        .filter((id) => !(o?.skipSpecialTokens && id === BOS))
        .map((id) => (id === BOS ? "<s>" : String.fromCodePoint(id - OFFSET)))
        .join("");
    },
    applyChatTemplate(messages: ChatMessage[]) {
      if (!opts.chat) return null;
      return `<s>[U]${messages.map((m) => m.content).join("")}[/U]`;
    },
    bosId: BOS,
    eosId: 2,
    vocabSize: 0x110000 + OFFSET,
  };
}

export function ctxFor(tokenizer: TextTokenizer, baseDir: string, maxPositions = 131072, logs: string[] = []): SuiteContext {
  return {
    tokenizer,
    model: { id: "test", name: "test", maxPositions, eosIds: [2] },
    baseDir,
    log: (m) => logs.push(m),
  };
}
