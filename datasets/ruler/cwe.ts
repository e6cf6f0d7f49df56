// RULER's common words extraction (scripts/data/synthetic/common_words_extraction.py): a numbered list where 10
// words appear freq_cw times and the rest freq_ucw times; a one-shot example (the whole template with a small list
// and its answer) comes first. Below max_seq_length 4096 the counts are 6/1 (example 3/1 over 20 words), else
// freq_cw/freq_ucw (example 10/3 over 40 words).
import { Rng, sample, shuffle } from "./random.ts";
import { FAMILIES, pyFormat } from "./templates.ts";
import type { Generated, TaskGenerator } from "./task.ts";
import { commonWords } from "./words.ts";

const numbered = (words: readonly string[]): string => words.map((w, i) => `${i + 1}. ${w}`).join(" ");

export function cweGenerator(template: string, p: { freqCw: number; freqUcw: number; numCw: number }, seed: number, maxSeqLength: number): TaskGenerator {
  // random.Random(seed).shuffle(words) once, and random.Random(seed).shuffle(word_list) per list (one fixed
  // permutation per list length).
  const words = shuffle(new Rng(`ruler:cwe-words:${seed}`), commonWords());
  const example = (rng: Rng, num: number, common: number, uncommon: number): { context: string; answer: string[] } => {
    const full = sample(rng, words, num);
    const cw = full.slice(0, p.numCw);
    const ucw = full.slice(p.numCw);
    const list: string[] = [];
    for (let i = 0; i < common; i++) list.push(...cw);
    for (let i = 0; i < uncommon; i++) list.push(...ucw);
    shuffle(new Rng(`ruler:cwe-order:${seed}`), list);
    return { context: numbered(list), answer: cw };
  };
  return {
    incremental: 10,
    capAfter: words.length,
    generate(num: number, rng: Rng): Generated {
      const short = maxSeqLength < 4096;
      const ex = short ? example(rng, 20, 3, 1) : example(rng, 40, 10, 3);
      const real = short ? example(rng, num, 6, 1) : example(rng, num, p.freqCw, p.freqUcw);
      const inputExample = pyFormat(template, { context: ex.context, query: "" }) + numbered(ex.answer);
      const input = `${inputExample}\n${pyFormat(template, { context: real.context, query: "" })}`;
      return { input, answers: real.answer, probeSuffix: ` ${numbered(real.answer)}`, answerPrefix: FAMILIES.common_words_extraction.answerPrefix };
    },
  };
}
