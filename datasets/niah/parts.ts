// The NIAH prompt as context + question(s) (engines/README.md "Prompt protocols"): the context is everything up to the
// end of {context} in the template (BOS, the template's text before {context}, the haystack with its needles); the
// question turn is the template's text after {context} (question, then answer prefix), tokenized on its own as the
// gembench profile always does — so context ids ++ the first question's ids are exactly the case's inputIds.
// Several questions (multikey, multi): one per needle, the template filled with that needle's key.
import type { CaseParts, CaseQuestion, TextTokenizer } from "../../core/suite.ts";
import { promptFrame, type PromptFrame } from "./build.ts";

export const NIAH_SPLIT_RULE = "niah: context = prompt up to the end of {context}; question + answer prefix = the template after it (answer prefix: the text after its last '?')";

export interface AskedNeedle {
  id: string;
  /** {question} / {key} values for the template. */
  fill: Record<string, string>;
  references: string[];
}

/** The template's text after {context} with the fill applied, split at its last "?" into question and answer prefix. */
export function questionText(template: string, fill: Record<string, string>): { question: string; answerPrefix: string } {
  const after = (template.split("{context}")[1] ?? "").replace(/\{(question|key)\}/g, (_m, k: string) => fill[k] ?? `{${k}}`);
  const q = after.lastIndexOf("?");
  return q < 0 ? { question: after, answerPrefix: "" } : { question: after.slice(0, q + 1), answerPrefix: after.slice(q + 1) };
}

const sameIds = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The parts of a case built with `frame` (the first asked needle's) into `inputIds`. The other needles' questions
 * come from the template filled with their keys; when that changes the text before {context} (a custom template
 * naming {key} there) the case keeps its one question.
 */
export function niahParts(
  tok: TextTokenizer,
  template: string,
  frameOpts: { chatTemplate: boolean; addBos: boolean },
  frame: PromptFrame,
  inputIds: readonly number[],
  asked: readonly AskedNeedle[],
): CaseParts {
  const contextIds = inputIds.slice(0, inputIds.length - frame.suffixIds.length);
  const questions: CaseQuestion[] = [];
  for (const [i, a] of asked.entries()) {
    const f = i === 0 ? frame : promptFrame(tok, template, a.fill, frameOpts);
    if (f.bos !== frame.bos || !sameIds(f.prefixIds, frame.prefixIds)) break;
    questions.push({ id: a.id, ...questionText(template, a.fill), inputIds: f.suffixIds, references: a.references });
  }
  return { contextIds, rule: NIAH_SPLIT_RULE, questions };
}
