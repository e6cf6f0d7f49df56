// Prompt construction as the official LongBench pred.py: template.format(**row); tokenize (with special tokens, as
// HF `tokenizer(prompt)`); if longer than the budget, keep the first ⌊budget/2⌋ and last ⌊budget/2⌋ tokens by
// decoding each half (skipping special tokens) and concatenating the TEXT; then the chat template (except on
// trec/triviaqa/samsum/lsht/lcc/repobench-p, or when switched off) and re-tokenize. Because of the decode/re-encode
// the final length can differ from the budget by a few tokens, exactly as in the official pipeline.
import type { TextTokenizer } from "../../core/suite.ts";
import { NO_CHAT_DATASETS } from "./catalog.ts";

export type ChatTemplateMode = "official" | "off";

export interface BuiltPrompt {
  inputIds: number[];
  /** Token count of the formatted prompt before truncation (with special tokens). */
  originalTokens: number;
  truncated: boolean;
  /** "applied" | "off" (switched off) | "not-for-dataset" (official rule) | "none-in-tokenizer". */
  chatTemplate: "applied" | "off" | "not-for-dataset" | "none-in-tokenizer";
  text: string;
}

/** The text after middle truncation, as pred.py (no-op when the encoded prompt fits in maxLength). */
export function middleTruncate(
  tokenizer: TextTokenizer,
  prompt: string,
  maxLength: number,
): { text: string; originalTokens: number; truncated: boolean } {
  const ids = tokenizer.encode(prompt, { addSpecialTokens: true });
  if (ids.length <= maxLength) return { text: prompt, originalTokens: ids.length, truncated: false };
  const half = Math.trunc(maxLength / 2);
  const head = ids.slice(0, half);
  // Python's ids[-half:] with half = 0 is the whole sequence (only reachable with maxLength < 2); mirrored.
  const tail = half > 0 ? ids.slice(ids.length - half) : ids;
  const text = tokenizer.decode(head, { skipSpecialTokens: true }) + tokenizer.decode(tail, { skipSpecialTokens: true });
  return { text, originalTokens: ids.length, truncated: true };
}

export function buildPrompt(
  tokenizer: TextTokenizer,
  dataset: string,
  formatted: string,
  maxLength: number,
  mode: ChatTemplateMode,
): BuiltPrompt {
  const t = middleTruncate(tokenizer, formatted, maxLength);
  let text = t.text;
  let chatTemplate: BuiltPrompt["chatTemplate"];
  if (mode === "off") chatTemplate = "off";
  else if (NO_CHAT_DATASETS.has(dataset)) chatTemplate = "not-for-dataset";
  else {
    const chat = tokenizer.applyChatTemplate([{ role: "user", content: text }]);
    if (chat === null) chatTemplate = "none-in-tokenizer";
    else {
      text = chat;
      chatTemplate = "applied";
    }
  }
  let inputIds = tokenizer.encode(text, { addSpecialTokens: true });
  // A chat template that writes BOS as text plus the tokenizer's own BOS would give two; keep one.
  if (chatTemplate === "applied" && tokenizer.bosId !== null && inputIds[0] === tokenizer.bosId && inputIds[1] === tokenizer.bosId) {
    inputIds = inputIds.slice(1);
  }
  return { inputIds, originalTokens: t.originalTokens, truncated: t.truncated, chatTemplate, text };
}

/** samsum: official generation also stops at the id of the last token of encode("\n") (no special tokens). */
export function newlineStopIds(tokenizer: TextTokenizer): number[] {
  const ids = tokenizer.encode("\n", { addSpecialTokens: false });
  const last = ids[ids.length - 1];
  return last === undefined ? [] : [last];
}
