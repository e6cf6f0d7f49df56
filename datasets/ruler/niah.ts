// RULER's eight NIAH tasks (scripts/data/synthetic/niah.py): needles "One of the special magic {type_needle_v} for
// {key} is: {value}." in a `repeat`, `essay` or `needle` haystack; the answer is every value of the asked keys.
import { FAMILIES, NEEDLE, pyFormat, REPEAT_LINE, singularNiah, type NeedleType, type NiahParams } from "./templates.ts";
import { Rng, sample, sampleIndices, shuffle, uuid4 } from "./random.ts";
import { keyWords, splitSentences } from "./words.ts";
import type { Generated, TaskGenerator } from "./task.ts";

/** list(np.round(np.linspace(0, 100, num=40)).astype(int)): numpy rounds half to even. */
export const NIAH_DEPTHS: number[] = Array.from({ length: 40 }, (_, i) => {
  const x = (100 * i) / 39;
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
});

function random(rng: Rng, type: NeedleType): string {
  if (type === "numbers") return String(rng.int(1_000_000, 9_999_999));
  if (type === "uuids") return uuid4(rng);
  const words = keyWords();
  return words[rng.int(0, words.length - 1)] as string;
}

/** `essay` haystack: re.sub(r'\s+', " ", essay).split(" ") of the essays' text. */
export function essayWords(essayText: string): string[] {
  return essayText.replace(/\s+/g, " ").split(" ");
}

export function niahGenerator(p: NiahParams, template: string, essay: string[] | null, seed: number, maxSeqLength: number): TaskGenerator {
  if (p.typeHaystack === "essay" && essay === null) throw new Error("ruler: the essay haystack needs the essays");
  const numK = Math.max(p.numNeedleK, p.numNeedleQ);
  const singular = p.numNeedleQ * p.numNeedleV === 1;
  const tpl = singular ? singularNiah(template) : template;
  const typeV = singular ? p.typeNeedleV.slice(0, -1) : p.typeNeedleV;
  const prefix = singular ? singularNiah(FAMILIES.niah.answerPrefix) : FAMILIES.niah.answerPrefix;
  let incremental = p.typeHaystack === "essay" ? 500 : 25;
  if (p.typeHaystack !== "essay" && maxSeqLength < 4096) incremental = 5;

  const generate = (num: number, rng: Rng): Generated => {
    const keys: string[] = [];
    const values: string[][] = [];
    const needles: string[] = [];
    for (let i = 0; i < numK; i++) {
      keys.push(random(rng, p.typeNeedleK));
      const value: string[] = [];
      for (let j = 0; j < p.numNeedleV; j++) {
        value.push(random(rng, p.typeNeedleV));
        needles.push(pyFormat(NEEDLE, { type_needle_v: p.typeNeedleV, key: keys[keys.length - 1] as string, value: value[value.length - 1] as string }));
      }
      values.push(value);
    }
    // random.Random(seed).shuffle(needles): the same permutation for every sample of a run.
    shuffle(new Rng(`ruler:needle-order:${seed}`), needles);

    let context: string;
    if (p.typeHaystack === "essay") {
      const text = (essay as string[]).slice(0, num).join(" ");
      const sents = splitSentences(text.trim());
      const positions = [
        0,
        ...sample(rng, NIAH_DEPTHS, needles.length)
          .map((d) => Math.trunc(sents.length * (d / 100)))
          .sort((a, b) => a - b),
        sents.length,
      ];
      const parts: string[] = [];
      for (let i = 1; i < positions.length; i++) {
        parts.push(sents.slice(positions[i - 1], positions[i]).join(" "));
        if (i - 1 < needles.length) parts.push(needles[i - 1] as string);
      }
      context = parts.join(" ");
    } else {
      const sentences =
        p.typeHaystack === "repeat"
          ? Array.from({ length: num }, () => REPEAT_LINE)
          : Array.from({ length: num }, () => pyFormat(NEEDLE, { type_needle_v: p.typeNeedleV, key: random(rng, p.typeNeedleK), value: random(rng, p.typeNeedleV) }));
      const indexes = sampleIndices(rng, num, needles.length).sort((a, b) => b - a);
      indexes.forEach((index, i) => sentences.splice(index, 0, needles[i] as string));
      context = sentences.join("\n");
    }

    const asked = sampleIndices(rng, numK, p.numNeedleQ);
    const queries = asked.map((i) => keys[i] as string);
    const answers = asked.flatMap((i) => values[i] as string[]);
    const query = queries.length > 1 ? `${queries.slice(0, -1).join(", ")}, and ${queries[queries.length - 1]}` : (queries[0] as string);
    const out: Generated = { input: pyFormat(tpl, { type_needle_v: typeV, context, query }), answers, probeSuffix: answers.join(" "), answerPrefix: pyFormat(prefix, { type_needle_v: typeV, query }) };
    if (queries.length > 1 && p.numNeedleV === 1) {
      const one = { tpl: singularNiah(template), prefix: singularNiah(FAMILIES.niah.answerPrefix), typeV: p.typeNeedleV.slice(0, -1) };
      out.perQuery = asked.map((i) => {
        const q = keys[i] as string;
        return { query: q, input: pyFormat(one.tpl, { type_needle_v: one.typeV, context, query: q }), answerPrefix: pyFormat(one.prefix, { type_needle_v: one.typeV, query: q }), answers: values[i] as string[] };
      });
    }
    return out;
  };

  return {
    incremental,
    ...(p.typeHaystack === "essay" ? { capBefore: (essay as string[]).length } : {}),
    generate,
  };
}
