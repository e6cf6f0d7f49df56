// The RULER suite (arXiv 2404.06654, hsiehjackson/RULER): its 13 tasks with its templates, answer prefixes, task
// parameters, generation budgets, length fitting and metric. See README.md for every rule and each deviation.
import { resolve } from "node:path";
import { z } from "zod";
import type { CaseParts, CasePlan, PlannedCase, Suite, SuiteCase, SuiteContext, TextTokenizer } from "../../core/suite.ts";
import { readHaystackDir } from "../niah/haystack.ts";
import { cweGenerator } from "./cwe.ts";
import { fweGenerate } from "./fwe.ts";
import { stringMatchAll, stringMatchPart } from "./metrics.ts";
import { essayWords, niahGenerator } from "./niah.ts";
import { loadQa, QA_SOURCES, qaGenerator, type QaData } from "./qa.ts";
import { Rng } from "./random.ts";
import { splitPrompt, type PromptSplit } from "./split.ts";
import { fitHaystack, fitSample, type Generated, type TaskGenerator } from "./task.ts";
import { FAMILIES, RULER_LENGTHS, TASK_NAMES, TASKS, type Family, type TaskName } from "./templates.ts";
import { vtExample, vtGenerator } from "./vt.ts";

export { TASK_NAMES, TASKS, RULER_LENGTHS, type TaskName } from "./templates.ts";
export { stringMatchAll, stringMatchPart, taskScore } from "./metrics.ts";

export const RulerOptions = z.strictObject({
  /** Task names (default: all 13, in RULER's order). */
  tasks: z.array(z.enum(TASK_NAMES as [TaskName, ...TaskName[]])).min(1).default([...TASK_NAMES]),
  /** max_seq_length values: prompt + tokens_to_generate, in the model's own tokens. */
  lengths: z.array(z.number().int().positive()).min(1).default([...RULER_LENGTHS]),
  /** Samples per task and length (RULER: 500). */
  samples: z.number().int().positive().default(500),
  /** RULER: 42. */
  seed: z.number().int().default(42),
  /** Folder of the Paul Graham essays (.txt, concatenated in sorted file-name order); needed by the essay tasks. */
  essays: z.string().min(1).optional(),
  /** SQuAD v2.0 dev JSON (qa_1); without it qa_1 is skipped with a log line, never scored. */
  squad: z.string().min(1).optional(),
  /** HotpotQA dev distractor JSON (qa_2); without it qa_2 is skipped with a log line, never scored. */
  hotpotqa: z.string().min(1).optional(),
  /** "base": RULER's base model template (the task text as is); "chat": the model's chat template around it. */
  template: z.enum(["base", "chat"]).default("base"),
  /** vt's one-shot example is built at this max_seq_length (RULER: 500; a byte-level tokenizer needs more). */
  vtExampleLength: z.number().int().positive().default(500),
  /** Keep lengths above the model's trained positions (default: skip them with a log line). */
  allowLongInput: z.boolean().default(false),
});
export type RulerOptions = z.output<typeof RulerOptions>;

const ESSAY_TASKS = TASK_NAMES.filter((t) => {
  const p = TASKS[t];
  return p.family === "niah" && p.typeHaystack === "essay";
});

/** One generated sample of a task at a max_seq_length. */
export interface RulerSample {
  task: TaskName;
  maxSeqLength: number;
  index: number;
  input: string;
  answers: string[];
  split: PromptSplit;
  /** niah_multiquery: each asked key as its own question (its split's question and answer prefix, its answers). */
  perQuery?: { query: string; split: PromptSplit; answers: string[] }[];
  /** RULER's `length`: prompt tokens (no special tokens) + tokens_to_generate (+ vt's example). */
  length: number;
  /** Haystack units the sample used (lines, words, noise lines, list words, documents, fwe word count). */
  haystack: number;
}

/** Data and tokenizer a task needs, loaded once per build. */
export class RulerData {
  private essays: string[] | null = null;
  private qa: Partial<Record<"squad" | "hotpotqa", QaData>> = {};

  constructor(
    private readonly o: RulerOptions,
    private readonly baseDir: string,
  ) {}

  essayWords(): string[] {
    if (this.essays !== null) return this.essays;
    if (this.o.essays === undefined) {
      throw new Error(
        `ruler: ${ESSAY_TASKS.join(", ")} need the Paul Graham essays: set the suite option "essays" to a folder of their .txt files ` +
          `(e.g. shared/data/paul-graham-essays; RULER builds them with scripts/data/synthetic/json/download_paulgraham_essay.py)`,
      );
    }
    this.essays = essayWords(readHaystackDir(resolve(this.baseDir, this.o.essays)));
    return this.essays;
  }

  /** The QA data of a dataset, or null when its path was not given. */
  qaData(dataset: "squad" | "hotpotqa"): QaData | null {
    const path = this.o[dataset];
    if (path === undefined) return null;
    this.qa[dataset] ??= loadQa(dataset, resolve(this.baseDir, path));
    return this.qa[dataset] as QaData;
  }
}

/** RULER's prompt template of a family: the model template around the task template, then the answer prefix. */
export function fullTemplate(family: Family, mode: "base" | "chat", tok: TextTokenizer): string {
  const f = FAMILIES[family];
  if (mode === "base") return f.template + f.answerPrefix;
  const wrapped = tok.applyChatTemplate([{ role: "user", content: f.template }]);
  if (wrapped === null) throw new Error('ruler: template "chat" but the tokenizer has no chat template (use "base")');
  return wrapped + f.answerPrefix;
}

/** Samples 0..count-1 of a task at one max_seq_length, in order (deterministic from the seed). */
export function* taskSamples(o: RulerOptions, data: RulerData, tok: TextTokenizer, task: TaskName, maxSeqLength: number, count: number): Generator<RulerSample> {
  const sample = fitTask(o, data, tok, task, maxSeqLength);
  for (let i = 0; i < count; i++) yield sample(i);
}

/** A task fitted at one max_seq_length (RULER's haystack size, found once): its sample i, built on demand. */
export function fitTask(o: RulerOptions, data: RulerData, tok: TextTokenizer, task: TaskName, maxSeqLength: number): (index: number) => RulerSample {
  const p = TASKS[task];
  const family = p.family;
  const ttg = FAMILIES[family].tokensToGenerate;
  const tokens = (t: string): number => tok.encode(t).length;
  const template = fullTemplate(family, o.template, tok);
  const rngFor = (what: string | number): (() => Rng) => () => new Rng(`ruler:${task}:${o.seed}:${maxSeqLength}:${what}`);
  const sampleOf = (index: number, g: Generated, length: number, haystack: number, input = g.input): RulerSample => ({
    task,
    maxSeqLength,
    index,
    input,
    answers: g.answers,
    split: splitPrompt(input, family, g.answerPrefix),
    ...(g.perQuery === undefined ? {} : { perQuery: g.perQuery.map((q) => ({ query: q.query, split: splitPrompt(q.input, family, q.answerPrefix), answers: q.answers })) }),
    length,
    haystack,
  });

  if (p.family === "freq_words_extraction") {
    const first = fweGenerate(template, p.alpha, o.seed, maxSeqLength, rngFor("fit")(), tokens, null);
    return (i) => {
      const s = fweGenerate(template, p.alpha, o.seed, maxSeqLength, rngFor(i)(), tokens, first.numWords);
      return sampleOf(i, s.generated, tokens(s.generated.input) + ttg, s.numWords);
    };
  }

  let gen: TaskGenerator;
  let finish = (input: string): string => input;
  let qaIndex = 0;
  if (p.family === "niah") gen = niahGenerator(p, template, p.typeHaystack === "essay" ? data.essayWords() : null, o.seed, maxSeqLength);
  else if (p.family === "variable_tracking") {
    const example = vtExample(template, p.numChains, p.numHops, tokens, (what) => new Rng(`ruler:${task}:${o.seed}:example:${what}`), o.vtExampleLength);
    const vt = vtGenerator(template, p.numChains, p.numHops, example, tokens);
    gen = vt;
    finish = vt.withExample;
  } else if (p.family === "common_words_extraction") gen = cweGenerator(template, p, o.seed, maxSeqLength);
  else {
    const qa = data.qaData(p.dataset);
    if (qa === null) throw new Error(`ruler: ${task} needs ${QA_SOURCES[p.dataset].what} (suite option "${p.dataset}")`);
    gen = qaGenerator(template, qa, o.seed, () => qaIndex);
  }
  const num = fitHaystack(gen, tokens, maxSeqLength, ttg, rngFor("fit"));
  return (i) => {
    qaIndex = i;
    const s = fitSample(gen, tokens, maxSeqLength, ttg, num, rngFor(i));
    return sampleOf(i, s.generated, s.length, s.haystack, finish(s.generated.input));
  };
}

/** What score() needs, in SuiteCase.scoring. */
interface RulerScoring {
  metric: "string_match_all" | "string_match_part";
}

/** Prompt ids: the tokenizer's special tokens added (HF `tokenizer(prompt)`), one BOS when a chat template wrote one. */
function promptIds(tok: TextTokenizer, text: string): number[] {
  const ids = tok.encode(text, { addSpecialTokens: true });
  if (tok.bosId !== null && ids[0] === tok.bosId && ids[1] === tok.bosId) return ids.slice(1);
  return ids;
}

/**
 * The kvpress split as ids: the context text with the prompt's special tokens, the question + answer prefix text
 * without (tokenized apart, as kvpress does, so the ids may differ from inputIds at the boundary). niah_multiquery:
 * one question per asked key (RULER's one-key wording) for the multi-question modes; its own asks all keys.
 */
function rulerParts(tok: TextTokenizer, s: RulerSample): CaseParts {
  const q = (id: string, split: PromptSplit, references: string[]) => ({ id, question: split.question, answerPrefix: split.answerPrefix, inputIds: tok.encode(split.question + split.answerPrefix), references });
  return {
    contextIds: promptIds(tok, s.split.context),
    rule: "ruler (kvpress): context | question (last match of the task's question pattern) + answer prefix, tokenized apart",
    ...(s.perQuery === undefined ? { questions: [q("question", s.split, s.answers)] } : { own: q("all", s.split, s.answers), questions: s.perQuery.map((p) => q(p.query, p.split, p.answers)) }),
  };
}

/** Case ids of every task × length × sample, from the options alone (the QA tasks without data and the lengths past
 *  the model's positions skipped with a log line); the data a task needs loaded now, so a missing file stops the run
 *  before any case. Each (task, length) is fitted on its first case's build; a case is built when it runs. */
async function planCases(o: RulerOptions, ctx: SuiteContext): Promise<CasePlan> {
  const tok = ctx.tokenizer;
  const data = new RulerData(o, ctx.baseDir);
  const lengths = [...new Set(o.lengths)];
  const refs: { task: TaskName; length: number; sample: number }[] = [];
  const cases: PlannedCase[] = [];
  for (const task of o.tasks) {
    const p = TASKS[task];
    if (p.family === "qa" && o[p.dataset] === undefined) {
      ctx.log(`ruler: skipping ${task}: no ${QA_SOURCES[p.dataset].what} given (suite option "${p.dataset}"; get it from ${QA_SOURCES[p.dataset].where}); it is not scored`);
      continue;
    }
    if (p.family === "qa") data.qaData(p.dataset);
    else if (p.family === "niah" && p.typeHaystack === "essay") data.essayWords();
    const ttg = FAMILIES[p.family].tokensToGenerate;
    for (const length of lengths) {
      if (length > ctx.model.maxPositions && !o.allowLongInput) {
        ctx.log(`ruler: skipping ${task} at ${length}: longer than ${ctx.model.name}'s ${ctx.model.maxPositions} positions (allowLongInput keeps it)`);
        continue;
      }
      for (let sample = 0; sample < o.samples; sample++) {
        refs.push({ task, length, sample });
        // The fitted prompt lands just below max_seq_length − tokens_to_generate: the shard balance's estimate.
        cases.push({ caseId: `${task}/len${length}/${sample}`, promptTokens: Math.max(1, length - ttg), maxNewTokens: ttg });
      }
    }
  }
  const fitted = new Map<string, (index: number) => RulerSample>();
  return {
    cases,
    build(index) {
      const r = refs[index];
      if (r === undefined) throw new Error(`ruler: no case ${index} (${cases.length} planned)`);
      const key = `${r.task}/${r.length}`;
      let sample = fitted.get(key);
      if (sample === undefined) {
        ctx.log(`ruler: ${r.task} at ${r.length}: fitting the haystack; its ${o.samples} sample(s) are built as they run`);
        sample = fitTask(o, data, tok, r.task, r.length);
        fitted.set(key, sample);
      }
      return rulerCase(o, tok, sample(r.sample));
    },
  };
}

async function buildCases(o: RulerOptions, ctx: SuiteContext): Promise<SuiteCase[]> {
  const plan = await planCases(o, ctx);
  return plan.cases.map((_, i) => plan.build(i));
}

/** The SuiteCase of a sample: prompt ids, the split's marks, RULER's metadata and protocol. */
function rulerCase(o: RulerOptions, tok: TextTokenizer, s: RulerSample): SuiteCase {
  const family = TASKS[s.task].family;
  const metric: RulerScoring["metric"] = family === "qa" ? "string_match_part" : "string_match_all";
  const { task, maxSeqLength: length } = s;
  const inputIds = promptIds(tok, s.input);
  const qStart = promptIds(tok, s.split.context).length;
  const aStart = promptIds(tok, s.split.context + s.split.question).length;
  return {
    caseId: `${task}/len${length}/${s.index}`,
    dataset: task,
    inputIds,
    references: s.answers,
    maxNewTokens: FAMILIES[family].tokensToGenerate,
    stopIds: [],
    stopStrings: [],
    caseMeta: {
      task,
      family,
      contextLength: length,
      maxSeqLength: length,
      sample: s.index,
      rulerLength: s.length,
      haystack: s.haystack,
      question: s.split.question,
      answerPrefix: s.split.answerPrefix,
      contextChars: s.split.context.length,
    },
    protocol: {
      benchmark: "RULER",
      template: o.template,
      seed: o.seed,
      samples: o.samples,
      metric,
      generation: `greedy, tokens_to_generate ${FAMILIES[family].tokensToGenerate}, stop on every model EOS id`,
      promptSplit: "kvpress: context | question (last match of the task's question pattern) | answer prefix",
    },
    marks: [
      { label: "question", start: Math.min(qStart, inputIds.length), end: Math.min(aStart, inputIds.length) },
      { label: "answer-prefix", start: Math.min(aStart, inputIds.length), end: inputIds.length },
    ],
    scoring: { metric } satisfies RulerScoring as unknown as Record<string, unknown>,
    ...(o.allowLongInput ? { allowLongInput: true } : {}),
    parts: rulerParts(tok, s),
  };
}

function score(c: SuiteCase, outputText: string): Record<string, number> {
  const s = c.scoring as unknown as RulerScoring;
  return { [s.metric]: s.metric === "string_match_part" ? stringMatchPart(outputText, c.references) : stringMatchAll(outputText, c.references) };
}

export const rulerSuite: Suite<RulerOptions> = {
  name: "ruler",
  description: "RULER (hsiehjackson/RULER): 13 synthetic long-context tasks with its templates, length fitting and string-match metrics",
  options: RulerOptions as unknown as z.ZodType<RulerOptions>,
  datasets: () => [...TASK_NAMES],
  buildCases,
  planCases,
  estimateCost: (o) => o.tasks.length * o.samples * o.lengths.reduce((a, b) => a + b, 0),
  maxCases: (o) => o.tasks.length * o.samples * o.lengths.length,
  score,
};
