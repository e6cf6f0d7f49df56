// LongBench v2's prompts and truncation, as THUDM/LongBench (v2: prompts/0shot.txt, prompts/0shot_cot.txt,
// pred.py) builds them: the template's $DOC$, $Q$, $C_A$ … $C_D$ replaced in that order by the strip()ped fields;
// tokenizer.encode(prompt) (special tokens added); over the model's budget, the first max_len//2 and the last
// -(-max_len//2) ids (Python's -max_len//2 floors) kept and decoded together with skip_special_tokens; the text is then
// sent as one user message (the model's chat template).
import type { TextTokenizer } from "../../core/suite.ts";
import { pyStrip } from "../longbench/pycompat.ts";
import type { V2Item } from "./data.ts";

/** prompts/0shot.txt, verbatim. */
export const TEMPLATE_0SHOT =
  "Please read the following text and answer the question below.\n\n<text>\n$DOC$\n</text>\n\nWhat is the correct answer to this question: $Q$\nChoices:\n(A) $C_A$\n(B) $C_B$\n(C) $C_C$\n(D) $C_D$\n\nFormat your response as follows: \"The correct answer is (insert answer here)\".";

/** prompts/0shot_cot.txt, verbatim (the first of the chain-of-thought's two queries). */
export const TEMPLATE_0SHOT_COT =
  "Please read the following text and answer the questions below.\n\n<text>\n$DOC$\n</text>\n\nWhat is the correct answer to this question: $Q$\nChoices:\n(A) $C_A$\n(B) $C_B$\n(C) $C_C$\n(D) $C_D$\n\nLet\u2019s think step by step:";

/** prompts/0shot_cot_ans.txt, verbatim (the second query: the first's stripped output in place of $COT$). */
export const TEMPLATE_0SHOT_COT_ANS =
  "Please read the following text and answer the questions below.\n\nThe text is too long and omitted here.\n\nWhat is the correct answer to this question: $Q$\nChoices:\n(A) $C_A$\n(B) $C_B$\n(C) $C_C$\n(D) $C_D$\n\nLet\u2019s think step by step: $COT$\n\nBased on the above, what is the single, most likely answer choice? Format your response as follows: \"The correct answer is (insert answer here)\".";

/** pred.py's max_new_tokens: 128 for the zero-shot answer (and the chain of thought's answer), 1024 for the chain of
 *  thought. */
export const MAX_NEW_TOKENS = { "0shot": 128, "0shot_cot": 1024 } as const;

/** config/model2maxlen.json: 120000 for every open model of the leaderboard. */
export const OFFICIAL_MAX_LEN = 120000;

/** pred.py's prompt: sequential str.replace of the placeholders by the strip()ped fields (then $COT$, for the chain of
 *  thought's answer prompt, by the first output's strip()). Replacements are literal: a field's "$&" or "$'" (code,
 *  prices) stays as it is, as in Python. */
export function fillTemplate(template: string, item: Omit<V2Item, "context"> & { context?: string }, cot?: string): string {
  const filled = template
    .replaceAll("$DOC$", () => pyStrip(item.context ?? ""))
    .replaceAll("$Q$", () => pyStrip(item.question))
    .replaceAll("$C_A$", () => pyStrip(item.choice_A))
    .replaceAll("$C_B$", () => pyStrip(item.choice_B))
    .replaceAll("$C_C$", () => pyStrip(item.choice_C))
    .replaceAll("$C_D$", () => pyStrip(item.choice_D));
  return cot === undefined ? filled : filled.replaceAll("$COT$", () => pyStrip(cot));
}

export interface V2Prompt {
  inputIds: number[];
  /** Tokens of tokenizer.encode(prompt) before truncation. */
  promptTokens: number;
  truncated: boolean;
  chatTemplate: "applied" | "none-in-tokenizer";
}

/** query_llm's truncation, then the chat template (the server's) and the final ids. */
export function buildPrompt(tok: TextTokenizer, prompt: string, maxLen: number): V2Prompt {
  const ids = tok.encode(prompt, { addSpecialTokens: true });
  let text = prompt;
  const truncated = ids.length > maxLen;
  if (truncated) {
    const head = Math.floor(maxLen / 2);
    // Python: input_ids[-max_len//2:] with -max_len//2 = floor(-max_len / 2).
    const tail = -Math.floor(-maxLen / 2);
    text = tok.decode([...ids.slice(0, head), ...ids.slice(ids.length - tail)], { skipSpecialTokens: true });
  }
  const chat = tok.applyChatTemplate([{ role: "user", content: text }]);
  let inputIds = tok.encode(chat ?? text, { addSpecialTokens: true });
  if (chat !== null && tok.bosId !== null && inputIds[0] === tok.bosId && inputIds[1] === tok.bosId) inputIds = inputIds.slice(1);
  return { inputIds, promptTokens: ids.length, truncated, chatTemplate: chat === null ? "none-in-tokenizer" : "applied" };
}
