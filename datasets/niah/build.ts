// Case construction: trim the haystack to the token budget, insert the needle(s) at depth% moved back to a sentence
// boundary (the original NIAH rule), and concatenate prompt prefix + context + prompt suffix as token ids.
import type { ChatMessage, TextTokenizer } from "../../core/suite.ts";

export type LengthSemantics = "prompt" | "paper";

/** The prompt around the context, as token ids, plus whether BOS is prepended. */
export interface PromptFrame {
  bos: number | null;
  prefixIds: number[];
  suffixIds: number[];
}

export interface NeedleSpec {
  label: string;
  ids: number[];
  depthPercent: number;
}

export interface PlacedNeedle {
  label: string;
  depthPercent: number;
  /** Token index into the context (before any needle) where depth% fell, before moving back to a boundary. */
  requestedPoint: number;
  /** Token index into the context where the needle went (after the boundary rule). */
  insertionPoint: number;
  /** Span in the final inputIds, end exclusive. */
  start: number;
  end: number;
}

export interface BuiltIds {
  inputIds: number[];
  contextTokens: number;
  needles: PlacedNeedle[];
}

const CONTEXT_SENTINEL = "\u27e6NIAH-CONTEXT\u27e7";

/**
 * Split a filled prompt template around {context} into prefix/suffix text; with a chat template the user message is
 * rendered with a sentinel in place of the context and split there (so the template's own tokens are counted).
 */
export function promptFrame(
  tok: TextTokenizer,
  template: string,
  fill: Record<string, string>,
  opts: { chatTemplate: boolean; addBos: boolean },
): PromptFrame {
  const parts = template.split("{context}");
  if (parts.length !== 2) throw new Error(`niah: the prompt template must contain {context} exactly once`);
  const subst = (s: string): string => s.replace(/\{(question|key)\}/g, (_m, k: string) => fill[k] ?? `{${k}}`);
  let prefix = subst(parts[0] ?? "");
  let suffix = subst(parts[1] ?? "");
  if (opts.chatTemplate) {
    const messages: ChatMessage[] = [{ role: "user", content: prefix + CONTEXT_SENTINEL + suffix }];
    const rendered = tok.applyChatTemplate(messages);
    if (rendered === null) {
      throw new Error("niah: chatTemplate is true but the model's tokenizer has no chat template (set chatTemplate: false)");
    }
    const at = rendered.split(CONTEXT_SENTINEL);
    if (at.length !== 2) throw new Error("niah: the chat template dropped or repeated the user message");
    prefix = at[0] ?? "";
    suffix = at[1] ?? "";
  }
  // With a chat template the rendered text carries the BOS text itself (tokenizers parse it as the special token).
  const bos = !opts.chatTemplate && opts.addBos ? tok.bosId : null;
  return { bos, prefixIds: tok.encode(prefix), suffixIds: tok.encode(suffix) };
}

/**
 * The original NIAH code's sentence boundary: a token that is a period. Theirs compares with the ids of
 * `enc.encode('.')`; we take every id whose own text, whitespace-trimmed, is exactly "." (a superset that also works
 * for SentencePiece vocabularies, where encode('.') yields "▁" + "." rather than the in-word "." id).
 */
export class PeriodTokens {
  private readonly cache = new Map<number, boolean>();
  constructor(private readonly tok: TextTokenizer) {}

  has(id: number): boolean {
    let v = this.cache.get(id);
    if (v === undefined) {
      v = this.tok.decode([id]).trim() === ".";
      this.cache.set(id, v);
    }
    return v;
  }
}

/**
 * Where a needle goes in a context of `contextIds`: int(len * (depth / 100)) (Python's int() of the same float),
 * then back while the token before the point is not a period; depth 100 appends at the end without the rule.
 */
export function insertionPoint(contextIds: readonly number[], depthPercent: number, periods: PeriodTokens): { requested: number; point: number } {
  if (depthPercent >= 100) return { requested: contextIds.length, point: contextIds.length };
  const requested = Math.trunc(contextIds.length * (depthPercent / 100));
  let point = requested;
  while (point > 0 && !periods.has(contextIds[point - 1] as number)) point--;
  return { requested, point };
}

/** Number of haystack tokens a case of `length` gets. */
export function contextBudget(length: number, frame: PromptFrame, needleTokens: number, semantics: LengthSemantics, buffer: number): number {
  if (semantics === "paper") return length - buffer - needleTokens;
  return length - (frame.bos === null ? 0 : 1) - frame.prefixIds.length - frame.suffixIds.length - needleTokens;
}

/**
 * Build one case's ids: context = haystackIds[0 : budget]; every needle's insertion point is computed on that
 * context; needles are spliced in (ties keep the given order); the prompt frame goes around.
 */
export function buildIds(haystackIds: readonly number[], budget: number, frame: PromptFrame, needles: NeedleSpec[], periods: PeriodTokens): BuiltIds {
  if (budget < 0) throw new Error(`niah: negative context budget ${budget}`);
  if (haystackIds.length < budget) throw new Error(`niah: haystack has ${haystackIds.length} tokens, ${budget} needed`);
  const context = haystackIds.slice(0, budget);
  const placed = needles.map((n, i) => ({ n, i, ...insertionPoint(context, n.depthPercent, periods) }));
  placed.sort((a, b) => a.point - b.point || a.i - b.i);
  const ids: number[] = [];
  if (frame.bos !== null) ids.push(frame.bos);
  ids.push(...frame.prefixIds);
  let from = 0;
  const out: { i: number; placed: PlacedNeedle }[] = [];
  for (const p of placed) {
    for (let k = from; k < p.point; k++) ids.push(context[k] as number);
    from = p.point;
    const start = ids.length;
    for (const id of p.n.ids) ids.push(id);
    out.push({
      i: p.i,
      placed: { label: p.n.label, depthPercent: p.n.depthPercent, requestedPoint: p.requested, insertionPoint: p.point, start, end: ids.length },
    });
  }
  for (let k = from; k < context.length; k++) ids.push(context[k] as number);
  ids.push(...frame.suffixIds);
  // Report needles in the order they were given (the asked one first).
  out.sort((a, b) => a.i - b.i);
  return { inputIds: ids, contextTokens: context.length, needles: out.map((o) => o.placed) };
}
