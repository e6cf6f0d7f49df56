// RULER's frequent words extraction (scripts/data/synthetic/freq_words_extraction.py): a vocabulary of
// max_seq_length // 50 random 6-letter words; the word of rank k (1-based) appears int(N · k^-α / ζ(α)) times;
// the rank-1 word is replaced by "..." (noise); the answer is ranks 2–4. Its own fitting: N starts at
// max_seq_length // 6 and grows by max_seq_length // 32 while the prompt (without tokens_to_generate) is shorter
// than max_seq_length, then backs off one step — so, as in RULER, prompt + 50 may pass max_seq_length slightly.
import { choices, Rng, shuffle } from "./random.ts";
import { FAMILIES, pyFormat } from "./templates.ts";
import type { Generated } from "./task.ts";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const CODED_WORDLEN = 6;

/** Riemann ζ(s) for s > 1 (scipy.special.zeta(alpha)): direct sum plus an Euler–Maclaurin tail, to double precision. */
export function zeta(s: number): number {
  const n = 20;
  let sum = 0;
  for (let k = 1; k < n; k++) sum += k ** -s;
  // Tail from n: n^(1-s)/(s-1) + n^-s/2 + s n^(-s-1)/12 - s(s+1)(s+2) n^(-s-3)/720 + …
  sum += n ** (1 - s) / (s - 1) + n ** -s / 2 + (s * n ** (-s - 1)) / 12 - (s * (s + 1) * (s + 2) * n ** (-s - 3)) / 720;
  return sum;
}

export interface FweSample {
  generated: Generated;
  numWords: number;
}

export function fweGenerate(template: string, alpha: number, seed: number, maxSeqLength: number, rng: Rng, count: (t: string) => number, numWords: number | null): FweSample {
  const vocabSize = Math.floor(maxSeqLength / 50);
  const incremental = Math.floor(maxSeqLength / 32);
  const vocab: string[] = [];
  for (let i = 0; i < vocabSize; i++) vocab.push(choices(rng, LOWER, CODED_WORDLEN));
  while (new Set(vocab).size < vocabSize) vocab.push(choices(rng, LOWER, CODED_WORDLEN));
  const uniq = shuffle(new Rng(`ruler:fwe-vocab:${seed}`), [...new Set(vocab)].sort());
  uniq[0] = "...";
  const z = zeta(alpha);
  const gen = (n: number): Generated => {
    const words: string[] = [];
    uniq.forEach((w, i) => {
      const c = Math.trunc((n * (i + 1) ** -alpha) / z);
      for (let j = 0; j < c; j++) words.push(w);
    });
    shuffle(new Rng(`ruler:fwe-order:${seed}:${words.length}`), words);
    return { input: pyFormat(template, { context: words.join(" "), query: "" }), answers: uniq.slice(1, 4), probeSuffix: "", answerPrefix: FAMILIES.freq_words_extraction.answerPrefix };
  };
  let n: number;
  if (numWords !== null) {
    n = numWords;
    while (n > 0 && count(gen(n).input) > maxSeqLength) n -= incremental;
  } else {
    n = Math.floor(maxSeqLength / CODED_WORDLEN);
    while (count(gen(n).input) < maxSeqLength) n += incremental;
    n -= incremental;
  }
  return { generated: gen(n), numWords: n };
}
