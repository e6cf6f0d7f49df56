// What every RULER task generator offers, and RULER's length fitting: the haystack grows by the task's increment
// until prompt (+ the probe's answer text) + tokens_to_generate exceeds max_seq_length, then backs off one increment;
// each sample then backs off further while its own prompt + tokens_to_generate exceeds max_seq_length.
import type { Rng } from "./random.ts";

export interface Generated {
  /** The whole prompt text (model template, task template and answer prefix, formatted). */
  input: string;
  /** The reference strings (`outputs`). */
  answers: string[];
  /** What RULER appends to the prompt when it measures the length probe (e.g. ' '.join(answer)). */
  probeSuffix: string;
  /** The formatted answer prefix the prompt ends with. */
  answerPrefix: string;
  /** niah with several keys asked (niah_multiquery): each key asked alone, as RULER words a one-key question (its
   *  singular template), over the same context — the questions of a multi-question case. */
  perQuery?: { query: string; input: string; answerPrefix: string; answers: string[] }[];
}

export interface TaskGenerator {
  /** Haystack growth step (lines, words, noise lines, words, documents). */
  incremental: number;
  /** niah essay: after a probe that fits, stop at this many haystack words once past it. */
  capBefore?: number;
  /** cwe / qa: after growing, stop at this many words / documents once past it. */
  capAfter?: number;
  /** Tokens that come on top of every prompt in the fitting (vt: its one-shot example). */
  extraTokens?: number;
  generate(num: number, rng: Rng): Generated;
}

/**
 * The haystack size of a run (RULER's loop over the first example, generate_samples / sys_*): start at one
 * increment, measure prompt + probe suffix + tokensToGenerate (+ extra), grow while below the limit, and back off
 * one increment once above it.
 */
export function fitHaystack(gen: TaskGenerator, count: (text: string) => number, maxSeqLength: number, tokensToGenerate: number, probe: () => Rng): number {
  const inc = gen.incremental;
  const extra = gen.extraTokens ?? 0;
  let num = inc;
  let total = 0;
  while (total + tokensToGenerate + extra < maxSeqLength) {
    const g = gen.generate(num, probe());
    total = count(g.input + g.probeSuffix);
    if (total + tokensToGenerate + extra > maxSeqLength) {
      num -= inc;
      break;
    }
    if (gen.capBefore !== undefined && num > gen.capBefore) {
      num = gen.capBefore;
      break;
    }
    num += inc;
    if (gen.capAfter !== undefined && num > gen.capAfter) {
      num = gen.capAfter;
      break;
    }
  }
  return num;
}

/**
 * One sample at the fitted size, backing off one increment at a time while its prompt + tokensToGenerate (+ extra)
 * exceeds max_seq_length. RULER loops forever when even one increment does not fit; this throws instead.
 */
export function fitSample(
  gen: TaskGenerator,
  count: (text: string) => number,
  maxSeqLength: number,
  tokensToGenerate: number,
  num: number,
  rng: () => Rng,
): { generated: Generated; haystack: number; length: number } {
  let used = num;
  for (;;) {
    if (used > 0) {
      const g = gen.generate(used, rng());
      const length = count(g.input) + tokensToGenerate + (gen.extraTokens ?? 0);
      if (length <= maxSeqLength) return { generated: g, haystack: used, length };
    }
    if (used > gen.incremental) used -= gen.incremental;
    else throw new Error(`max_seq_length ${maxSeqLength} is too short: even ${Math.max(used, gen.incremental)} haystack unit(s) and the template exceed it`);
  }
}
