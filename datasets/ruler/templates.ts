// RULER's task templates, answer prefixes, generation budgets and task parameters, word for word from the public
// repository hsiehjackson/RULER (scripts/data/synthetic/constants.py, scripts/synthetic.yaml,
// scripts/data/synthetic/niah.py, scripts/data/template.py). Python "\n" escapes are written as "\n" here too.

export interface TaskFamily {
  tokensToGenerate: number;
  template: string;
  answerPrefix: string;
}

/** scripts/data/synthetic/constants.py TASKS. */
export const FAMILIES = {
  niah: {
    tokensToGenerate: 128,
    template:
      "Some special magic {type_needle_v} are hidden within the following text. Make sure to memorize it. I will quiz you about the {type_needle_v} afterwards.\n{context}\nWhat are all the special magic {type_needle_v} for {query} mentioned in the provided text?",
    answerPrefix: " The special magic {type_needle_v} for {query} mentioned in the provided text are",
  },
  variable_tracking: {
    tokensToGenerate: 30,
    template:
      "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n{context}\nQuestion: Find all variables that are assigned the value {query} in the text above.",
    // "assgined": RULER's typo, kept (the answer prefix is part of the prompt the published scores were made with).
    answerPrefix: " Answer: According to the chain(s) of variable assignment in the text above, {num_v} variables are assgined the value {query}, they are: ",
  },
  common_words_extraction: {
    tokensToGenerate: 120,
    template:
      "Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones that appear most often.\n{context}\nQuestion: What are the 10 most common words in the above list?",
    answerPrefix: " Answer: The top 10 words that appear most often in the list are:",
  },
  freq_words_extraction: {
    tokensToGenerate: 50,
    template:
      "Read the following coded text and track the frequency of each coded word. Find the three most frequently appeared coded words. {context}\nQuestion: Do not provide any explanation. Please ignore the dots '....'. What are the three most frequently appeared words in the above coded text?",
    answerPrefix: " Answer: According to the coded text above, the three most frequently appeared words are:",
  },
  qa: {
    tokensToGenerate: 32,
    template:
      "Answer the question based on the given documents. Only give me the answer and do not output any other words.\n\nThe following are given documents.\n\n{context}\n\nAnswer the question based on the given documents. Only give me the answer and do not output any other words.\n\nQuestion: {query}",
    answerPrefix: " Answer:",
  },
} as const satisfies Record<string, TaskFamily>;

export type Family = keyof typeof FAMILIES;

export type NeedleType = "words" | "numbers" | "uuids";
export type HaystackType = "repeat" | "essay" | "needle";

export interface NiahParams {
  family: "niah";
  typeHaystack: HaystackType;
  typeNeedleK: NeedleType;
  typeNeedleV: NeedleType;
  numNeedleK: number;
  numNeedleV: number;
  numNeedleQ: number;
}

export type TaskParams =
  | NiahParams
  | { family: "variable_tracking"; numChains: number; numHops: number }
  | { family: "common_words_extraction"; freqCw: number; freqUcw: number; numCw: number }
  | { family: "freq_words_extraction"; alpha: number }
  | { family: "qa"; dataset: "squad" | "hotpotqa" };

const niah = (typeHaystack: HaystackType, k: NeedleType, v: NeedleType, nk: number, nv: number, nq: number): NiahParams => ({
  family: "niah",
  typeHaystack,
  typeNeedleK: k,
  typeNeedleV: v,
  numNeedleK: nk,
  numNeedleV: nv,
  numNeedleQ: nq,
});

/** scripts/synthetic.yaml: the 13 tasks in RULER's order. */
export const TASKS = {
  niah_single_1: niah("repeat", "words", "numbers", 1, 1, 1),
  niah_single_2: niah("essay", "words", "numbers", 1, 1, 1),
  niah_single_3: niah("essay", "words", "uuids", 1, 1, 1),
  niah_multikey_1: niah("essay", "words", "numbers", 4, 1, 1),
  niah_multikey_2: niah("needle", "words", "numbers", 1, 1, 1),
  niah_multikey_3: niah("needle", "uuids", "uuids", 1, 1, 1),
  niah_multivalue: niah("essay", "words", "numbers", 1, 4, 1),
  niah_multiquery: niah("essay", "words", "numbers", 1, 1, 4),
  vt: { family: "variable_tracking", numChains: 1, numHops: 4 },
  cwe: { family: "common_words_extraction", freqCw: 30, freqUcw: 3, numCw: 10 },
  fwe: { family: "freq_words_extraction", alpha: 2.0 },
  qa_1: { family: "qa", dataset: "squad" },
  qa_2: { family: "qa", dataset: "hotpotqa" },
} as const satisfies Record<string, TaskParams>;

export type TaskName = keyof typeof TASKS;
export const TASK_NAMES = Object.keys(TASKS) as TaskName[];

/** RULER's max_seq_length grid (its run scripts' SEQ_LENGTHS). */
export const RULER_LENGTHS = [4096, 8192, 16384, 32768, 65536, 131072] as const;

/** niah.py: "One of the special magic {type_needle_v} for {key} is: {value}." */
export const NEEDLE = "One of the special magic {type_needle_v} for {key} is: {value}.";
/** niah.py's `repeat` haystack line, also variable_tracking.py's noise (there with a trailing "\n"). */
export const REPEAT_LINE = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";

/** qa.py: each document of the context. */
export const DOCUMENT_PROMPT = "Document {i}:\n{document}";

/**
 * The question pattern whose last occurrence starts the question part of the prompt (kvpress's split of RULER
 * prompts into context / question / answer prefix).
 */
export const QUESTION_PATTERNS: Record<Family, RegExp> = {
  niah: /What (?:is|are all) the special magic/g,
  variable_tracking: /Question: Find all variables that are assigned the value/g,
  common_words_extraction: /Question: What are the 10 most common words in the above list\?/g,
  freq_words_extraction: /Question: Do not provide any explanation\./g,
  qa: /Answer the question based on the given documents\./g,
};

/**
 * Python's str.format for the named fields given: one pass, substituted values are not scanned again. A field the
 * values do not name is an error (Python raises KeyError).
 */
export function pyFormat(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (_m, k: string) => {
    const v = values[k];
    if (v === undefined) throw new Error(`ruler: template field {${k}} has no value`);
    return String(v);
  });
}

/** niah.py: when one value is asked (num_needle_q · num_needle_v = 1) the whole template is rewritten to singular. */
export function singularNiah(template: string): string {
  return template.replaceAll("Some", "A").replaceAll("are all", "is").replaceAll("are", "is").replaceAll("answers", "answer");
}
