// The prompt split kvpress uses for RULER: context = everything before the last occurrence of the task's question
// pattern, question = from there up to the answer prefix, answer prefix = the end of the prompt.
import { QUESTION_PATTERNS, type Family } from "./templates.ts";

export interface PromptSplit {
  context: string;
  question: string;
  answerPrefix: string;
}

export function splitPrompt(input: string, family: Family, answerPrefix: string): PromptSplit {
  if (!input.endsWith(answerPrefix)) throw new Error(`ruler: the prompt does not end with its answer prefix ${JSON.stringify(answerPrefix)}`);
  const re = new RegExp(QUESTION_PATTERNS[family].source, "g");
  let last = -1;
  for (const m of input.matchAll(re)) last = m.index;
  if (last < 0) throw new Error(`ruler: the ${family} question pattern ${re.source} is not in the prompt`);
  const end = input.length - answerPrefix.length;
  if (last > end) throw new Error(`ruler: the ${family} question pattern occurs inside the answer prefix`);
  return { context: input.slice(0, last), question: input.slice(last, end), answerPrefix };
}
