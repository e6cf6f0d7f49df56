// A LongBench prompt as context + question (engines/README.md "Prompt protocols"): the official template's text after
// {context}, filled from the row (the question and the answer cue, e.g. "\n\nQuestion: {input}\nAnswer:"), found at
// the end of the final prompt text (after middle truncation and the chat template); everything before it is the
// context. The two texts are tokenized apart (the context with the prompt's special tokens), the kvpress way, so the
// ids may differ from the prompt's at the boundary. No split when the template has no {context} or the filled tail is
// not intact at the end (a truncation that reached into it).
import type { CaseParts, CaseQuestion, TextTokenizer } from "../../core/suite.ts";

export const LONGBENCH_SPLIT_RULE =
  "longbench: context = the final prompt text before the template's filled text after {context}; question = that text (answer prefix: its last line, plus any chat-template suffix), tokenized apart";

/** The context text and the question of one prompt, or null when it has no split. */
export function longbenchSplit(template: string, fill: (t: string) => string, finalText: string): { context: string; question: string; answerPrefix: string } | null {
  const pieces = template.split("{context}");
  if (pieces.length !== 2) return null;
  const tail = fill(pieces[1]!);
  const at = finalText.lastIndexOf(tail);
  if (tail === "" || at < 0) return null;
  const rest = finalText.slice(at);
  const nl = tail.lastIndexOf("\n");
  return { context: finalText.slice(0, at), question: rest.slice(0, nl + 1), answerPrefix: rest.slice(nl + 1) };
}

/** The split as ids (the context with special tokens, one BOS), for a case whose own question it is. */
export function longbenchParts(tok: TextTokenizer, split: { context: string; question: string; answerPrefix: string }, id: string, references: string[]): CaseParts {
  let contextIds = tok.encode(split.context, { addSpecialTokens: true });
  if (tok.bosId !== null && contextIds[0] === tok.bosId && contextIds[1] === tok.bosId) contextIds = contextIds.slice(1);
  const q: CaseQuestion = { id, question: split.question, answerPrefix: split.answerPrefix, inputIds: tok.encode(split.question + split.answerPrefix), references };
  return { contextIds, rule: LONGBENCH_SPLIT_RULE, questions: [q] };
}

const sameIds = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * groupQuestions: cases of one dataset whose context ids are identical become one case with all their questions
 * (the first case's id, prompt and references; its question first); the others stay as they are.
 */
export function groupByContext<C extends { caseId: string; parts?: CaseParts }>(cases: readonly C[]): C[] {
  const out: C[] = [];
  const byContext = new Map<string, C>();
  for (const c of cases) {
    if (c.parts === undefined) {
      out.push(c);
      continue;
    }
    const key = c.parts.contextIds.join(",");
    const first = byContext.get(key);
    if (first !== undefined && first.parts !== undefined && sameIds(first.parts.contextIds, c.parts.contextIds)) {
      first.parts.questions.push(...c.parts.questions);
      continue;
    }
    const own = { ...c, parts: { ...c.parts, questions: [...c.parts.questions] } };
    byContext.set(key, own);
    out.push(own);
  }
  return out;
}
