// The paper's NIAH setup: strings and grids as the GemFilter repository's eval/needle/needle_in_haystack.py and
// eval/needle/visualize.py use them (SalesforceAIResearch/GemFilter, commit 4899a022). README.md says where each
// comes from and how it was checked.

/** The needle (leading and trailing newline included, as in their LLMNeedleHaystackTester default). */
export const PAPER_NEEDLE = "\nThe best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day.\n";

export const PAPER_QUESTION = "What is the best thing to do in San Francisco?";

/** The expected answer of their visualize.py score (case and the trailing period as they wrote it). */
export const PAPER_ANSWER = "eat a sandwich and sit in Dolores Park on a sunny day.";

/**
 * Their prompt for local models (generate_prompt, model_provider not OpenAI/Anthropic): the text below with
 * {context} = haystack with the needle inserted and {question} = the retrieval question. "<|im_start|>" is literal
 * text there (not a special token of the models they ran), and no chat template is applied.
 */
export const PAPER_PROMPT_TEMPLATE =
  "<|im_start|> This is a very long story book: <book> {context} </book>.\n Based on the content of the book, Question: {question}\nAnswer:";

/** Their final_context_length_buffer: tokens kept free of haystack "for system message, question and response". */
export const PAPER_CONTEXT_BUFFER = 200;

/** Their generation: one greedy token, then up to max_gen_len = 50 more, stopping at EOS → at most 51 tokens. */
export const PAPER_MAX_NEW_TOKENS = 51;

/** RULER's needle (scripts/data/synthetic: NEEDLE) with type_needle_v = "numbers". */
export const RULER_NEEDLE_TEMPLATE = "One of the special magic numbers for {key} is: {value}.";

/**
 * RULER's "niah" task template with its answer prefix appended (RULER appends answer_prefix to the input), with
 * type_needle_v = "numbers" and {key} = RULER's {query}.
 */
export const RULER_PROMPT_TEMPLATE =
  "Some special magic numbers are hidden within the following text. Make sure to memorize it. I will quiz you about the numbers afterwards.\n{context}\nWhat are all the special magic numbers for {key} mentioned in the provided text? The special magic numbers for {key} mentioned in the provided text are";

/** RULER's tokens_to_generate for niah. */
export const RULER_MAX_NEW_TOKENS = 128;

/** Round half to even (numpy's np.round to 0 decimals). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** np.linspace(start, stop, num, endpoint=True): start + i * step, the last value set to stop exactly. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num <= 0) return [];
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i === num - 1 ? stop : i * step + start);
  return out;
}

/** np.round(np.linspace(start, stop, num)).astype(int), as their code builds both grids. */
export function roundedLinspace(start: number, stop: number, num: number): number[] {
  return linspace(start, stop, num).map(roundHalfEven);
}

/** The paper's 40 context lengths: 1000 … 128000 tokens. */
export const PAPER_LENGTHS: readonly number[] = roundedLinspace(1000, 128000, 40);

/** The paper's 10 depths: 0, 11, 22, 33, 44, 56, 67, 78, 89, 100 (percent; rounded to integers like theirs). */
export const PAPER_DEPTHS: readonly number[] = roundedLinspace(0, 100, 10);
