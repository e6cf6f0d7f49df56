// NIAH scores. All return a number in [0, 1].
//
// paperRecall reproduces the GemFilter repository's eval/needle/visualize.py score exactly:
//   expected_answer = "eat a sandwich and sit in Dolores Park on a sunny day.".lower().split()
//   score = len(set(model_response.lower().split()).intersection(set(expected_answer))) / len(expected_answer)
// The numerator counts distinct words, the denominator counts the list (which holds "a" twice), so a perfect answer
// scores 11/12 there. wordRecall is the corrected variant (distinct words over distinct words).

/** Characters Python's str.isspace() accepts: what str.split() with no separator splits on. */
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** Python's `s.split()`: split on runs of whitespace, no empty pieces. */
export function pySplit(s: string): string[] {
  return s.split(PY_WHITESPACE).filter((w) => w.length > 0);
}

/** The words of the paper's metric: lower-cased, whitespace-split, punctuation kept ("day." ≠ "day"). */
export function paperWords(s: string): string[] {
  return pySplit(s.toLowerCase());
}

/**
 * The paper's metric, as their code computes it: distinct output words that are also expected words, divided by the
 * number of expected words *with duplicates*. With the default answer the best possible score is 11/12.
 */
export function paperRecall(output: string, expected: string): number {
  const exp = paperWords(expected);
  if (exp.length === 0) return 0;
  const out = new Set(paperWords(output));
  let hit = 0;
  for (const w of new Set(exp)) if (out.has(w)) hit++;
  return hit / exp.length;
}

/** The corrected word recall: same words as paperRecall, divided by the number of distinct expected words. */
export function wordRecall(output: string, expected: string): number {
  const exp = new Set(paperWords(expected));
  if (exp.size === 0) return 0;
  const out = new Set(paperWords(output));
  let hit = 0;
  for (const w of exp) if (out.has(w)) hit++;
  return hit / exp.size;
}

/** Lower-case, every run of characters other than letters and digits → one space, trimmed. */
export function normalizeForMatch(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/**
 * 1 when the normalised expected answer occurs in the normalised output as a run of whole words, else 0
 * ("…eat a sandwich and sit in Dolores Park on a sunny day!" matches; "…sunny days" does not).
 */
export function substringMatch(output: string, expected: string): number {
  const e = normalizeForMatch(expected);
  if (e.length === 0) return 0;
  return ` ${normalizeForMatch(output)} `.includes(` ${e} `) ? 1 : 0;
}

/**
 * ROUGE-1 tokens, as the rouge_score package's default tokenizer makes them (without its optional stemmer):
 * lower-case, every run of characters outside [a-z0-9] becomes a separator, empty pieces dropped.
 */
export function rougeTokens(s: string): string[] {
  return s
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

/** ROUGE-1 F1: unigram overlap with clipped counts; 0 when either side has no tokens or nothing overlaps. */
export function rouge1F(output: string, expected: string): number {
  const out = rougeTokens(output);
  const ref = rougeTokens(expected);
  if (out.length === 0 || ref.length === 0) return 0;
  const refCounts = new Map<string, number>();
  for (const t of ref) refCounts.set(t, (refCounts.get(t) ?? 0) + 1);
  const outCounts = new Map<string, number>();
  for (const t of out) outCounts.set(t, (outCounts.get(t) ?? 0) + 1);
  let overlap = 0;
  for (const [t, n] of outCounts) overlap += Math.min(n, refCounts.get(t) ?? 0);
  if (overlap === 0) return 0;
  const precision = overlap / out.length;
  const recall = overlap / ref.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * Exact match of a copied value (passkey, multi-key): after leading whitespace, the output's first run of letters and
 * digits equals the expected value (" 71432. Remember" and " 71432.At" match 71432 — at depth 0 the haystack follows
 * the needle's period directly; " 714320", " the 71432" and " .71432" do not).
 */
export function exactMatch(output: string, expected: string): number {
  const m = /^\s*([\p{L}\p{N}]+)/u.exec(output);
  return m !== null && m[1] === expected.trim() ? 1 : 0;
}
