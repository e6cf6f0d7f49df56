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

/** Special ids of the Llama-3-style test tokenizer (Llama 3's own numbers). */
export const L3 = { bos: 128000, endOfText: 128001, startHeader: 128006, endHeader: 128007, eom: 128008, eot: 128009 } as const;
const L3_SPECIALS: readonly [string, number][] = [
  ["<|begin_of_text|>", L3.bos],
  ["<|end_of_text|>", L3.endOfText],
  ["<|start_header_id|>", L3.startHeader],
  ["<|end_header_id|>", L3.endHeader],
  ["<|eom_id|>", L3.eom],
  ["<|eot_id|>", L3.eot],
];

/**
 * A Llama-3-style tokenizer made for tests: one token per UTF-8 byte (id = byte value), Llama 3's special tokens
 * recognised in text, BOS `<|begin_of_text|>` added with addSpecialTokens, eos_token `<|eot_id|>`, and Llama 3's chat
 * template (one user turn: BOS written as text, header, trimmed content, `<|eot_id|>`, the assistant header).
 */
export function llama3StyleTokenizer(): TextTokenizer {
  const utf8 = new TextEncoder();
  return {
    encode(text, o) {
      const out: number[] = o?.addSpecialTokens ? [L3.bos] : [];
      let rest = text;
      while (rest.length > 0) {
        const special = L3_SPECIALS.find(([s]) => rest.startsWith(s));
        if (special) {
          out.push(special[1]);
          rest = rest.slice(special[0].length);
          continue;
        }
        const next = Math.min(...L3_SPECIALS.map(([s]) => rest.indexOf(s)).filter((i) => i > 0), rest.length);
        for (const b of utf8.encode(rest.slice(0, next))) out.push(b);
        rest = rest.slice(next);
      }
      return out;
    },
    decode(ids, o) {
      let text = "";
      let bytes: number[] = [];
      const flush = (): void => {
        text += new TextDecoder("utf-8").decode(new Uint8Array(bytes)); // invalid bytes → U+FFFD, as Python's "replace"
        bytes = [];
      };
      for (const id of ids) {
        const special = L3_SPECIALS.find(([, i]) => i === id);
        if (special === undefined) bytes.push(id);
        else {
          flush();
          if (!o?.skipSpecialTokens) text += special[0];
        }
      }
      flush();
      return text;
    },
    applyChatTemplate(messages: ChatMessage[]) {
      const turns = messages.map((m) => `<|start_header_id|>${m.role}<|end_header_id|>\n\n${m.content.trim()}<|eot_id|>`).join("");
      return `<|begin_of_text|>${turns}<|start_header_id|>assistant<|end_header_id|>\n\n`;
    },
    bosId: L3.bos,
    eosId: L3.eot,
    vocabSize: 128256,
  };
}
