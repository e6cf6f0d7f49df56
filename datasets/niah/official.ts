// The `paper` profile's case construction: the GemFilter authors' eval/needle/needle_in_haystack.py (adapted from
// gkamradt's LLMTest_NeedleInAHaystack), step for step, on text, with the model's tokenizer used the way their code
// uses the HF tokenizer: `encode()` adds the special tokens (BOS), `decode()` keeps them. So, as theirs:
// - the haystack, the needle and the period set `encode('.')` each carry a BOS, and BOS counts as a sentence end;
// - the trimmed haystack is decoded with its BOS as text and re-encoded (two BOS), trimmed again to
//   length − buffer − needle tokens, the needle (with its BOS) spliced in, the whole decoded to text, put into the
//   prompt and tokenized once more: BOS tokens end up in the middle of the prompt, and token boundaries at the seams
//   are whatever the final tokenization makes of them.
// README.md ("The paper profile") walks through it; test/niah-paper-construction.test.ts derives a case by hand.
import type { TextTokenizer } from "../../core/suite.ts";

/** Python's `xs[:stop]` (a negative stop counts from the end). */
function pySliceTo<T>(xs: readonly T[], stop: number): T[] {
  return xs.slice(0, stop < 0 ? Math.max(0, xs.length + stop) : stop);
}

export interface OfficialCase {
  inputIds: number[];
  /** Haystack tokens after the second trim (their tokens_context, BOS included). */
  contextTokens: number;
  /** int(len(tokens_context) * depth / 100), before moving back to a period (their first insertion_point). */
  requestedPoint: number;
  /** Where the needle went in tokens_context. */
  insertionPoint: number;
  /** The needle's span in inputIds (its tokens without BOS, as the final tokenization gives them), end exclusive. */
  needleStart: number;
  needleEnd: number;
}

export class OfficialNiah {
  /** read_context_files(): the files' text, whole passes, until it encodes to at least maxLength tokens. */
  readonly haystack: string;
  private readonly haystackIds: number[];
  private readonly needleIds: number[];
  private readonly periods: Set<number>;
  private readonly contexts = new Map<number, number[]>();

  constructor(
    private readonly tok: TextTokenizer,
    fileTexts: readonly string[],
    maxLength: number,
    private readonly needle: string,
    private readonly buffer: number,
  ) {
    const pass = fileTexts.join("");
    if (pass === "") throw new Error("niah: the haystack files are empty");
    let context = "";
    let ids = this.encode(context);
    while (ids.length < maxLength) {
      context += pass;
      ids = this.encode(context);
    }
    this.haystack = context;
    this.haystackIds = ids;
    this.needleIds = this.encode(needle);
    this.periods = new Set(this.encode("."));
  }

  private encode(text: string): number[] {
    return this.tok.encode(text, { addSpecialTokens: true });
  }

  private decode(ids: readonly number[]): string {
    return this.tok.decode([...ids], { skipSpecialTokens: false });
  }

  /** encode_and_trim() then the re-encode and trim of insert_needle(): tokens_context for a context length. */
  private contextIds(length: number): number[] {
    let ids = this.contexts.get(length);
    if (ids === undefined) {
      const text = this.haystackIds.length > length ? this.decode(this.haystackIds.slice(0, length)) : this.haystack;
      ids = this.encode(text);
      const room = length - this.buffer;
      if (ids.length + this.needleIds.length > room) ids = pySliceTo(ids, room - this.needleIds.length);
      this.contexts.set(length, ids);
    }
    return ids;
  }

  /** generate_context() + generate_prompt() + self.enc(prompt) for one (length, depth): the prompt's token ids. */
  build(length: number, depth: number, promptPrefix: string, promptSuffix: string): OfficialCase {
    const ctx = this.contextIds(length);
    let requested: number;
    let point: number;
    if (depth === 100) {
      requested = ctx.length;
      point = ctx.length;
    } else {
      requested = Math.trunc(ctx.length * (depth / 100));
      point = requested;
      while (point > 0 && !this.periods.has(ctx[point - 1] as number)) point--;
    }
    const withNeedle = [...ctx.slice(0, point), ...this.needleIds, ...ctx.slice(point)];
    const prompt = promptPrefix + this.decode(withNeedle) + promptSuffix;
    const inputIds = this.encode(prompt);
    const span = this.needleSpan(inputIds);
    return { inputIds, contextTokens: ctx.length, requestedPoint: requested, insertionPoint: point, ...span };
  }

  /**
   * The needle's tokens in the final ids: the first run equal to its own ids without special tokens (the haystack
   * never holds the needle's sentence); if the final tokenization merged a seam (the needle's last "\n" with what
   * follows, or its first token with what precedes), the first run of those ids without the last (and first) one.
   */
  private needleSpan(inputIds: readonly number[]): { needleStart: number; needleEnd: number } {
    const specials = new Set(this.encode(""));
    const core = this.needleIds.filter((id) => !specials.has(id));
    for (const run of [core, core.slice(0, -1), core.slice(1, -1)]) {
      if (run.length === 0) continue;
      for (let i = 0; i + run.length <= inputIds.length; i++) {
        let j = 0;
        while (j < run.length && inputIds[i + j] === run[j]) j++;
        if (j === run.length) return { needleStart: i, needleEnd: i + run.length };
      }
    }
    throw new Error(`niah: the needle ${JSON.stringify(this.needle)} is not in the built prompt`);
  }
}
