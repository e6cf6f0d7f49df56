// RULER's variable tracking (scripts/data/synthetic/variable_tracking.py): one chain "VAR A = 12345", "VAR B = VAR A "
// … of num_hops hops hidden among repeated noise lines, preceded by a one-shot example built the same way at
// max_seq_length 500 (3-letter names, its template's whitespace collapsed and last word before the answer prefix
// dropped, exactly as RULER's is_icl branch does).
import { FAMILIES, pyFormat, REPEAT_LINE } from "./templates.ts";
import { choices, pyReprList, type Rng, sampleIndices } from "./random.ts";
import { fitHaystack, fitSample, type Generated, type TaskGenerator } from "./task.ts";

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NOISE = `${REPEAT_LINE}\n`;
const VT = FAMILIES.variable_tracking;

function chains(rng: Rng, numChains: number, numHops: number, icl: boolean): { vars: string[][]; chains: string[][] } {
  const k = icl ? 3 : 5;
  const hops = icl ? Math.min(10, numHops) : numHops;
  const all: string[] = [];
  for (let i = 0; i < (hops + 1) * numChains; i++) all.push(choices(rng, UPPER, k));
  while (new Set(all).size < numChains * (hops + 1)) all.push(choices(rng, UPPER, k));
  const vars: string[][] = [];
  const out: string[][] = [];
  for (let i = 0; i < all.length; i += hops + 1) {
    const v = all.slice(i, i + hops + 1);
    vars.push(v);
    const chain = [`VAR ${v[0]} = ${rng.int(10000, 99998)}`];
    for (let j = 0; j < hops; j++) chain.push(`VAR ${v[j + 1]} = VAR ${v[j]} `);
    out.push(chain);
  }
  return { vars, chains: out };
}

/** is_icl: the task part of the template (model template removed), whitespace collapsed, its last word dropped. */
function iclTemplate(template: string): string {
  const cutoff = template.indexOf(VT.template.slice(0, 20));
  const cutoffAns = template.indexOf(VT.answerPrefix.slice(0, 10));
  const words = template.slice(cutoff, cutoffAns).split(/\s+/).filter((w) => w !== "");
  return words.slice(0, -1).join(" ") + template.slice(cutoffAns);
}

function generator(template: string, numChains: number, numHops: number, icl: boolean, incremental: number, extraTokens: number): TaskGenerator {
  const tpl = icl ? iclTemplate(template) : template;
  return {
    incremental,
    extraTokens,
    generate(num: number, rng: Rng): Generated {
      const c = chains(rng, numChains, numHops, icl);
      let sentences: string[] = Array.from({ length: num }, () => NOISE);
      let chainList = c.chains;
      const first = chainList[0] as string[];
      if (sentences.length <= first.length) {
        // Too few noise lines: split them into sentences (Python: n + '.' for every non-blank piece of split('.')).
        sentences = sentences.flatMap((s) => s.split(".")).map((n) => (n.trim().length > 0 ? `${n}.` : n));
        if (sentences.length <= first.length) chainList = chainList.map((ch) => ch.slice(0, sentences.length - 1));
      }
      for (const chain of chainList) {
        const positions = sampleIndices(rng, sentences.length, chain.length).sort((a, b) => a - b);
        positions.forEach((pos, j) => sentences.splice(pos + j, 0, chain[j] as string));
      }
      const context = sentences.join(" ").replaceAll(". \n", ".\n");
      const value = ((chainList[0] as string[])[0] as string).split("=").pop()!.trim();
      const input = pyFormat(tpl, { context, query: value, num_v: numHops + 1 });
      const answers = c.vars[0] as string[];
      return { input, answers, probeSuffix: ` ${pyReprList(answers)}`, answerPrefix: pyFormat(VT.answerPrefix, { num_v: numHops + 1, query: value }) };
    },
  };
}

/** The one-shot example text: RULER's icl sample (max_seq_length 500 by default, increment 5) + " " + its answers + "\n\n". */
export function vtExample(template: string, numChains: number, numHops: number, count: (t: string) => number, rngFor: (i: string) => Rng, exampleLength = 500): string {
  const gen = generator(template, numChains, numHops, true, 5, 0);
  const num = fitHaystack(gen, count, exampleLength, VT.tokensToGenerate, () => rngFor("icl-fit"));
  const s = fitSample(gen, count, exampleLength, VT.tokensToGenerate, num, () => rngFor("icl"));
  return `${s.generated.input} ${s.generated.answers.join(" ")}\n\n`;
}

/** The task generator; `example` (vtExample) is inserted before the task template of every prompt. */
export function vtGenerator(template: string, numChains: number, numHops: number, example: string, count: (t: string) => number): TaskGenerator & { withExample(input: string): string } {
  const gen = generator(template, numChains, numHops, false, 10, count(example));
  return {
    ...gen,
    withExample(input: string): string {
      const cutoff = input.indexOf(VT.template.slice(0, 20));
      return `${input.slice(0, cutoff)} ${example}\n\n${input.slice(cutoff)}`;
    },
  };
}
