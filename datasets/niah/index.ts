// Needle-in-a-Haystack suite: the GemFilter paper's setup by default (their needle, question, prompt wording, grids and
// word-recall score), a built-in generated haystack or a folder of .txt files, and a RULER-style multi-key variant.
// See README.md for the origin of every string and rule.
import { z } from "zod";
import type { Suite, SuiteCase, SuiteContext, TextTokenizer } from "../../core/suite.ts";
import { buildIds, contextBudget, PeriodTokens, promptFrame, type NeedleSpec, type PromptFrame } from "./build.ts";
import { BuiltinHaystack, readHaystackDir, readHaystackFiles, resolveHaystackDir } from "./haystack.ts";
import { OfficialNiah } from "./official.ts";
import { exactMatch, paperRecall, rouge1F, substringMatch, wordRecall } from "./metrics.ts";
import {
  PAPER_ANSWER,
  PAPER_CONTEXT_BUFFER,
  PAPER_DEPTHS,
  PAPER_LENGTHS,
  PAPER_MAX_NEW_TOKENS,
  PAPER_NEEDLE,
  PAPER_PROMPT_TEMPLATE,
  PAPER_QUESTION,
  RULER_MAX_NEW_TOKENS,
  RULER_NEEDLE_TEMPLATE,
  RULER_PROMPT_TEMPLATE,
} from "./paper.ts";
import {
  MULTIKEY_PROMPT_TEMPLATE,
  PASSKEY_PROMPT_TEMPLATE,
  RETRIEVAL_MAX_NEW_TOKENS,
  retrievalCase,
  retrievalPairs,
} from "./retrieval.ts";
import { niahParts, type AskedNeedle } from "./parts.ts";
import { Rng } from "./rng.ts";

/** NIAH protocol profiles: "gembench" (our construction: exact prompt lengths, ids spliced without a text round trip)
 *  and "paper" (the GemFilter authors' needle_in_haystack.py construction and generation loop; see official.ts). */
export const NIAH_PROFILES = ["gembench", "paper"] as const;

/** What `protocol.generation` says for each profile. */
const GENERATION_RULE = {
  gembench: "greedy, maxNewTokens, stop on every model EOS id",
  paper: "GemFilter my_greedy_generate: the first token plus up to 50 more, stop only on the tokenizer's eos_token_id and never on the first token; response strip()ped",
} as const;

const DEFAULT_NUM_NEEDLES = 4;

const NiahFields = z
  .object({
    /** "gembench" (default) or "paper": the GemFilter authors' construction and generation loop (single variant). */
    profile: z.enum(NIAH_PROFILES).default("gembench"),
    /**
     * "single": the paper's one needle. "multi": RULER-style key→value needles, one key asked. "passkey": Mohtashami &
     * Jaggi's pass key. "multikey": several "The value of key XQZ is 48213." needles, one key asked (exact match).
     */
    variant: z.enum(["single", "multi", "passkey", "multikey"]).default("single"),
    /** Context lengths in tokens (see lengthSemantics). Default: the paper's 40 lengths, 1000 … 128000. */
    lengths: z.array(z.number().int().positive()).min(1).default([...PAPER_LENGTHS]),
    /** Needle depths in percent of the context. Default: the paper's 10 depths 0, 11, …, 100. */
    depths: z.array(z.number().min(0).max(100)).min(1).default([...PAPER_DEPTHS]),
    /** "builtin" (our generated prose) or a directory of .txt files, relative to the config's directory. */
    haystack: z.string().min(1).default("builtin"),
    /** Directory haystack: the .txt file names in the order to concatenate them (default: sorted by name). */
    haystackFiles: z.array(z.string().min(1)).min(1).optional(),
    /** Single: the needle text. Multi: the needle template with {key} and {value}. */
    needle: z.string().min(1).optional(),
    /** Single only: the question ({question} in the prompt template). */
    question: z.string().min(1).optional(),
    /** Single only: the expected answer the scores compare with. */
    retrievalAnswer: z.string().min(1).optional(),
    /** Prompt text with {context} once and {question} (single) or {key} (multi). */
    promptTemplate: z.string().min(1).optional(),
    /** Wrap the prompt as one user message in the model's chat template (the paper used none). */
    chatTemplate: z.boolean().default(false),
    /** Prepend the tokenizer's BOS (their HF tokenizer call adds it); ignored with a chat template. Default true;
     *  not with the paper profile (the tokenizer adds what it adds, as in their code). */
    addBos: z.boolean().optional(),
    /** Default: 51 (single; their 1 + max_gen_len 50) or 128 (multi; RULER's niah tokens_to_generate). */
    maxNewTokens: z.number().int().positive().optional(),
    /** Seed of the built-in haystack and of the multi-needle keys and values. */
    seed: z.number().int().default(0),
    /** Multi only: needles per case (one asked, the rest distractors). */
    numNeedles: z.number().int().min(2).max(64).default(DEFAULT_NUM_NEEDLES),
    /**
     * "prompt": the final inputIds have exactly `length` tokens. "paper": their arithmetic — haystack + needle =
     * length − contextBuffer tokens, the prompt wording and BOS come on top.
     */
    lengthSemantics: z.enum(["prompt", "paper"]).optional(),
    /** Their final_context_length_buffer (lengthSemantics "paper" only). */
    contextBuffer: z.number().int().min(0).default(PAPER_CONTEXT_BUFFER),
    /** Keep cases whose prompt is longer than the model's maxPositions (default: skip them with a log line). */
    allowLongInput: z.boolean().default(false),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.profile === "paper") {
      const bad = (path: string, message: string): void => ctx.addIssue({ code: "custom", path: [path], message });
      if (o.variant !== "single") bad("variant", 'the paper profile has one needle (variant "single")');
      if (o.chatTemplate) bad("chatTemplate", "the paper profile uses no chat template (their needle_in_haystack.py)");
      if (o.lengthSemantics !== undefined) bad("lengthSemantics", "the paper profile builds lengths as their code does; remove lengthSemantics");
      if (o.addBos !== undefined) bad("addBos", "the paper profile adds what the tokenizer adds, as their code; remove addBos");
    }
    if (o.haystackFiles !== undefined && o.haystack === "builtin") {
      ctx.addIssue({ code: "custom", path: ["haystackFiles"], message: "haystackFiles orders the files of a haystack folder; the builtin haystack has none" });
    }
    if (o.promptTemplate !== undefined && o.promptTemplate.split("{context}").length !== 2) {
      ctx.addIssue({ code: "custom", path: ["promptTemplate"], message: "must contain {context} exactly once" });
    }
    if ((o.variant === "multi" || o.variant === "multikey") && o.needle !== undefined && !(o.needle.includes("{key}") && o.needle.includes("{value}"))) {
      ctx.addIssue({ code: "custom", path: ["needle"], message: `the ${o.variant} variant's needle must contain {key} and {value}` });
    }
    if (o.variant === "passkey" && o.needle !== undefined && !o.needle.includes("{value}")) {
      ctx.addIssue({ code: "custom", path: ["needle"], message: "the passkey variant's needle must contain {value}" });
    }
  });

/**
 * Options given where they do nothing are refused, never ignored (a user who sets numNeedles on a passkey grid believes
 * it changed something). Checked on the options as written, before defaults fill them in; a value equal to the
 * default changes nothing either way and passes, so parsing resolved options again (defaults filled in) still works.
 */
function notApplicable(raw: unknown, ctx: z.RefinementCtx): void {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return; // the fields' schema says what is wrong
  const o = raw as Record<string, unknown>;
  const defaults: Record<string, unknown> = { numNeedles: DEFAULT_NUM_NEEDLES, contextBuffer: PAPER_CONTEXT_BUFFER };
  const given = (k: string): boolean => o[k] !== undefined && o[k] !== defaults[k];
  const variant = typeof o.variant === "string" ? o.variant : "single";
  const bad = (path: string, message: string): void => ctx.addIssue({ code: "custom", path: [path], message });
  if (given("numNeedles") && variant !== "multi" && variant !== "multikey") bad("numNeedles", `applies to the multi and multikey variants; the ${variant} variant has one needle`);
  for (const k of ["question", "retrievalAnswer"])
    if (given(k) && variant !== "single") bad(k, `applies to the single variant only; the ${variant} variant asks for its ${variant === "passkey" ? "pass key" : "key's value"}`);
  if (given("contextBuffer") && o.profile !== "paper" && o.lengthSemantics !== "paper") bad("contextBuffer", 'applies with lengthSemantics "paper" (or the paper profile) only');
  if (given("addBos") && o.chatTemplate === true) bad("addBos", "with chatTemplate the template's own text carries BOS; remove addBos");
}

export const NiahOptions = z.unknown().superRefine(notApplicable).pipe(NiahFields);
export type NiahOptions = z.output<typeof NiahOptions>;

/** caseId for a length and depth, e.g. "len4000-depth33". */
export function niahCaseId(length: number, depth: number): string {
  return `len${length}-depth${depth}`;
}

/** Depths of a multi-needle case: the asked one at `depth`, the others evenly spread, N apart by 100/N, wrapped. */
export function multiNeedleDepths(depth: number, n: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < n; j++) {
    let d = depth + (j * 100) / n;
    if (d > 100) d -= 100;
    out.push(d);
  }
  return out;
}

// Key words for the multi variant (our own lists): keys are "adjective-noun" like RULER's words keys.
const KEY_ADJECTIVES = [
  "amber", "brisk", "coral", "dusty", "eager", "fuzzy", "gentle", "hollow", "icy", "jolly", "keen", "lofty",
  "mellow", "nimble", "olive", "plucky", "rustic", "silky", "tidy", "upbeat", "vivid", "witty", "zesty", "bold",
] as const;
const KEY_NOUNS = [
  "anchor", "badger", "candle", "dolphin", "falcon", "glacier", "hammock", "igloo", "jigsaw", "kettle", "lagoon",
  "meadow", "nebula", "orchid", "pebble", "quartz", "rocket", "saddle", "thimble", "umbrella", "violin", "walrus",
] as const;

export interface MultiNeedle {
  key: string;
  value: string;
}

/** The keys and values of one multi-needle case: distinct keys, distinct 7-digit values, from (seed, length, depth). */
export function multiNeedles(seed: number, length: number, depth: number, n: number): MultiNeedle[] {
  const rng = new Rng(`niah-multi:${seed}:${length}:${depth}`);
  const keys = new Set<string>();
  const values = new Set<string>();
  const out: MultiNeedle[] = [];
  while (out.length < n) {
    const key = `${rng.pick(KEY_ADJECTIVES)}-${rng.pick(KEY_NOUNS)}`;
    const value = String(rng.int(1_000_000, 9_999_999));
    if (keys.has(key) || values.has(value)) continue;
    keys.add(key);
    values.add(value);
    out.push({ key, value });
  }
  return out;
}

/** Haystack token ids, grown on demand (always a prefix-stable encoding of one text stream). */
class HaystackTokens {
  private ids: number[] = [];
  private readonly builtin: BuiltinHaystack | null;
  private readonly dirText: string | null;
  private charsPerToken = 0;

  constructor(
    private readonly tok: TextTokenizer,
    haystack: string,
    seed: number,
    baseDir: string,
    files: readonly string[] | undefined,
  ) {
    if (haystack === "builtin") {
      this.builtin = new BuiltinHaystack(seed);
      this.dirText = null;
    } else {
      this.builtin = null;
      this.dirText = readHaystackDir(resolveHaystackDir(haystack, baseDir), files);
    }
  }

  private textOfAtLeast(chars: number): string {
    if (this.builtin !== null) return this.builtin.textOfAtLeast(chars);
    const t = this.dirText as string;
    // Like their read_context_files: the whole file set again and again until long enough.
    return t.repeat(Math.max(1, Math.ceil(chars / Math.max(1, t.length))));
  }

  /** At least `n` token ids (more when available). */
  atLeast(n: number): number[] {
    if (this.ids.length >= n) return this.ids;
    if (this.charsPerToken === 0) {
      const sample = this.textOfAtLeast(20_000);
      const sampleIds = this.tok.encode(sample);
      this.charsPerToken = sampleIds.length === 0 ? 4 : sample.length / sampleIds.length;
      this.ids = sampleIds;
      if (this.ids.length >= n + 64) return this.ids;
    }
    // Encode with a margin so that the first n ids do not depend on where the text was cut.
    let chars = Math.ceil((n + 64) * this.charsPerToken * 1.05) + 2000;
    for (;;) {
      const text = this.textOfAtLeast(chars);
      this.ids = this.tok.encode(text);
      if (this.ids.length >= n + 64) return this.ids;
      chars *= 2;
    }
  }
}

interface VariantSetup {
  template: string;
  promptSource: string;
  maxNewTokens: number;
}

function variantSetup(o: NiahOptions): VariantSetup {
  if (o.variant === "single") {
    return {
      template: o.promptTemplate ?? PAPER_PROMPT_TEMPLATE,
      promptSource: o.promptTemplate === undefined ? "gemfilter:eval/needle/needle_in_haystack.py" : "custom",
      maxNewTokens: o.maxNewTokens ?? PAPER_MAX_NEW_TOKENS,
    };
  }
  if (o.variant === "passkey" || o.variant === "multikey") {
    const passkey = o.variant === "passkey";
    return {
      template: o.promptTemplate ?? (passkey ? PASSKEY_PROMPT_TEMPLATE : MULTIKEY_PROMPT_TEMPLATE),
      promptSource: o.promptTemplate !== undefined ? "custom" : passkey ? "mohtashami-jaggi-2023:passkey" : "gembench:multikey",
      maxNewTokens: o.maxNewTokens ?? RETRIEVAL_MAX_NEW_TOKENS,
    };
  }
  return {
    template: o.promptTemplate ?? RULER_PROMPT_TEMPLATE,
    promptSource: o.promptTemplate === undefined ? "ruler:niah" : "custom",
    maxNewTokens: o.maxNewTokens ?? RULER_MAX_NEW_TOKENS,
  };
}

function dedupe(xs: number[], what: string, log: (m: string) => void): number[] {
  const out = [...new Set(xs)];
  if (out.length !== xs.length) log(`niah: duplicate ${what} dropped`);
  return out;
}

/**
 * At short lengths several depths can put the needle(s) at the same tokens (the boundary rule moves each back to the
 * same period): those cases would be one case reported as several depths. Per length, a case whose needles start
 * where an earlier depth's do is merged into that one: dropped, its depth listed in the kept case's `mergedDepths`
 * ("0,11,22": every requested depth it stands for) and logged with the token position. The kept case's
 * `needleStart` is the actual position.
 */
export function mergeCollapsedDepths(cases: SuiteCase[], log: (m: string) => void): SuiteCase[] {
  const kept: SuiteCase[] = [];
  const byPlace = new Map<string, SuiteCase>();
  const merged = new Map<SuiteCase, number[]>();
  for (const c of cases) {
    const place = `${c.caseMeta.contextLength}/${c.marks.map((m) => m.start).join(",")}`;
    const first = byPlace.get(place);
    if (first === undefined) {
      byPlace.set(place, c);
      kept.push(c);
      continue;
    }
    const depths = merged.get(first) ?? [first.caseMeta.depthPercent as number];
    depths.push(c.caseMeta.depthPercent as number);
    merged.set(first, depths);
  }
  for (const [c, depths] of merged) {
    c.caseMeta.mergedDepths = depths.join(",");
    log(
      `niah: length ${c.caseMeta.contextLength}: depths ${depths.join(", ")} all put the needle at token ${c.caseMeta.needleStart} of ${c.inputIds.length}; ` +
        `run once, as depth ${depths[0]} (caseMeta.mergedDepths)`,
    );
  }
  return kept;
}

async function buildCases(o: NiahOptions, ctx: SuiteContext): Promise<SuiteCase[]> {
  return mergeCollapsedDepths(o.profile === "paper" ? await buildPaperCases(o, ctx) : await buildGembenchCases(o, ctx), ctx.log);
}

async function buildGembenchCases(o: NiahOptions, ctx: SuiteContext): Promise<SuiteCase[]> {
  const tok = ctx.tokenizer;
  const setup = variantSetup(o);
  const periods = new PeriodTokens(tok);
  const haystack = new HaystackTokens(tok, o.haystack, o.seed, ctx.baseDir, o.haystackFiles);
  const lengths = dedupe(o.lengths, "lengths", ctx.log);
  const depths = dedupe(o.depths, "depths", ctx.log);
  const lengthSemantics = o.lengthSemantics ?? "prompt";
  const frameOpts = { chatTemplate: o.chatTemplate, addBos: o.addBos ?? true };
  const question = o.question ?? PAPER_QUESTION;
  const singleFrame: PromptFrame | null = o.variant === "single" ? promptFrame(tok, setup.template, { question }, frameOpts) : null;
  const singleNeedleIds = o.variant === "single" ? tok.encode(o.needle ?? PAPER_NEEDLE) : [];
  const dataset = `niah-${o.variant}`;
  const cases: SuiteCase[] = [];

  for (const length of lengths) {
    let skippedLength = false;
    for (const depth of depths) {
      let frame: PromptFrame;
      let needles: NeedleSpec[];
      let references: string[];
      let askedNeedles: AskedNeedle[];
      const extraMeta: Record<string, string | number> = {};
      if (o.variant === "single") {
        frame = singleFrame as PromptFrame;
        needles = [{ label: "needle", ids: singleNeedleIds, depthPercent: depth }];
        references = [o.retrievalAnswer ?? PAPER_ANSWER];
        askedNeedles = [{ id: "needle", fill: { question }, references }];
      } else if (o.variant === "passkey" || o.variant === "multikey") {
        const depthsOf = o.variant === "passkey" ? [depth] : multiNeedleDepths(depth, o.numNeedles);
        const rc = retrievalCase(o.variant, tok, { seed: o.seed, needle: o.needle, template: setup.template, ...frameOpts }, length, depthsOf);
        frame = rc.frame;
        needles = rc.needles;
        references = rc.references;
        // The same pairs retrievalCase drew (the asked one first): one question per needle.
        askedNeedles = retrievalPairs(o.variant, o.seed, length, depthsOf[0] ?? 0, needles.length).map((p) => ({ id: p.key, fill: { key: p.key }, references: [p.value] }));
        Object.assign(extraMeta, rc.meta);
        if (o.variant === "multikey") extraMeta.needleDepths = depthsOf.map((d) => Number(d.toFixed(4))).join(",");
      } else {
        const kv = multiNeedles(o.seed, length, depth, o.numNeedles);
        const asked = kv[0] as MultiNeedle;
        const tpl = o.needle ?? RULER_NEEDLE_TEMPLATE;
        const depthsOf = multiNeedleDepths(depth, o.numNeedles);
        frame = promptFrame(tok, setup.template, { key: asked.key, question: asked.key }, frameOpts);
        needles = kv.map((n, j) => ({
          label: j === 0 ? "needle" : `distractor-${j}`,
          // A leading space so the sentence follows the previous one ("… end. One of the …").
          ids: tok.encode(` ${tpl.replaceAll("{key}", n.key).replaceAll("{value}", n.value)}`),
          depthPercent: depthsOf[j] as number,
        }));
        references = [asked.value];
        askedNeedles = kv.map((n) => ({ id: n.key, fill: { key: n.key, question: n.key }, references: [n.value] }));
        extraMeta.key = asked.key;
        extraMeta.numNeedles = o.numNeedles;
        extraMeta.needleDepths = depthsOf.map((d) => Number(d.toFixed(4))).join(",");
      }
      const needleTokens = needles.reduce((s, n) => s + n.ids.length, 0);
      const budget = contextBudget(length, frame, needleTokens, lengthSemantics, o.contextBuffer);
      const promptLen = (frame.bos === null ? 0 : 1) + frame.prefixIds.length + budget + needleTokens + frame.suffixIds.length;
      if (budget < 0) {
        if (!skippedLength) ctx.log(`niah: skipping length ${length}: the prompt wording and needle alone take ${promptLen - budget} tokens`);
        skippedLength = true;
        continue;
      }
      const tooLong = promptLen + setup.maxNewTokens > ctx.model.maxPositions;
      if (tooLong && !o.allowLongInput) {
        if (!skippedLength) {
          ctx.log(
            `niah: skipping length ${length}: ${promptLen}-token prompt + ${setup.maxNewTokens} new tokens > ${ctx.model.name} maxPositions ${ctx.model.maxPositions} (allowLongInput: true keeps it)`,
          );
        }
        skippedLength = true;
        continue;
      }
      const built = buildIds(haystack.atLeast(budget), budget, frame, needles, periods);
      const main = built.needles[0];
      if (main === undefined) throw new Error("niah: no needle placed");
      cases.push({
        caseId: niahCaseId(length, depth),
        dataset,
        inputIds: built.inputIds,
        references,
        maxNewTokens: setup.maxNewTokens,
        stopIds: [],
        stopStrings: [],
        allowLongInput: tooLong,
        caseMeta: {
          variant: o.variant,
          contextLength: length,
          depthPercent: depth,
          inputLength: built.inputIds.length,
          contextTokens: built.contextTokens,
          needleStart: main.start,
          needleEnd: main.end,
          requestedPoint: main.requestedPoint,
          insertionPoint: main.insertionPoint,
          ...extraMeta,
        },
        protocol: {
          profile: "gembench",
          chatTemplate: o.chatTemplate,
          haystack: o.haystack,
          haystackSeed: o.haystack === "builtin" ? o.seed : null,
          haystackOrder: o.haystack === "builtin" ? null : o.haystackFiles === undefined ? "sorted" : "haystackFiles",
          promptSource: setup.promptSource,
          lengthSemantics,
          bos: frame.bos !== null,
          generation: GENERATION_RULE.gembench,
        },
        marks: built.needles.map((n) => ({ label: n.label, start: n.start, end: n.end })),
        scoring: { variant: o.variant },
        parts: niahParts(tok, setup.template, frameOpts, frame, built.inputIds, askedNeedles),
      });
    }
  }
  return cases;
}

/** The haystack's text pieces for the paper construction: the folder's files, or the builtin stream as one piece. */
function paperHaystackTexts(o: NiahOptions, baseDir: string, minChars: number): string[] {
  if (o.haystack !== "builtin") return readHaystackFiles(resolveHaystackDir(o.haystack, baseDir), o.haystackFiles);
  return [new BuiltinHaystack(o.seed).textOfAtLeast(minChars)];
}

/** The paper profile: cases built as the GemFilter authors' needle_in_haystack.py builds them (official.ts). */
async function buildPaperCases(o: NiahOptions, ctx: SuiteContext): Promise<SuiteCase[]> {
  const tok = ctx.tokenizer;
  const setup = variantSetup(o);
  const lengths = dedupe(o.lengths, "lengths", ctx.log);
  const depths = dedupe(o.depths, "depths", ctx.log);
  const maxLength = Math.max(...lengths);
  // read_context_files() reads until the text reaches the grid's longest length (max(self.context_lengths)).
  const official = new OfficialNiah(tok, paperHaystackTexts(o, ctx.baseDir, maxLength * 8), maxLength, o.needle ?? PAPER_NEEDLE, o.contextBuffer);
  const question = o.question ?? PAPER_QUESTION;
  const parts = setup.template.split("{context}");
  // An f-string: {question} is filled in the template's own text, never inside the context.
  const fill = (t: string): string => t.replaceAll("{question}", question);
  const prefix = fill(parts[0] ?? "");
  const suffix = fill(parts[1] ?? "");
  const eosIds = tok.eosId === null ? [] : [tok.eosId];
  const cases: SuiteCase[] = [];
  for (const length of lengths) {
    let skippedLength = false;
    for (const depth of depths) {
      if (skippedLength) continue;
      const built = official.build(length, depth, prefix, suffix);
      const tooLong = built.inputIds.length + setup.maxNewTokens > ctx.model.maxPositions;
      if (tooLong && !o.allowLongInput) {
        ctx.log(
          `niah: skipping length ${length}: ${built.inputIds.length}-token prompt + ${setup.maxNewTokens} new tokens > ${ctx.model.name} maxPositions ${ctx.model.maxPositions} (allowLongInput: true keeps it)`,
        );
        skippedLength = true;
        continue;
      }
      cases.push({
        caseId: niahCaseId(length, depth),
        dataset: "niah-single",
        inputIds: built.inputIds,
        references: [o.retrievalAnswer ?? PAPER_ANSWER],
        maxNewTokens: setup.maxNewTokens,
        stopIds: [],
        eosIds,
        stopCheckFrom: 1,
        stopStrings: [],
        allowLongInput: tooLong,
        caseMeta: {
          variant: "single",
          contextLength: length,
          depthPercent: depth,
          inputLength: built.inputIds.length,
          contextTokens: built.contextTokens,
          needleStart: built.needleStart,
          needleEnd: built.needleEnd,
          requestedPoint: built.requestedPoint,
          insertionPoint: built.insertionPoint,
        },
        protocol: {
          profile: "paper",
          chatTemplate: false,
          haystack: o.haystack,
          haystackSeed: o.haystack === "builtin" ? o.seed : null,
          haystackOrder: o.haystack === "builtin" ? null : o.haystackFiles === undefined ? "sorted" : "haystackFiles",
          promptSource: setup.promptSource,
          construction: "gemfilter:eval/needle/needle_in_haystack.py (text round trip, special tokens kept)",
          contextBuffer: o.contextBuffer,
          generation: GENERATION_RULE.paper,
          eosIds: eosIds.join(","),
        },
        marks: [{ label: "needle", start: built.needleStart, end: built.needleEnd }],
        scoring: { variant: "single" },
      });
    }
  }
  return cases;
}

function score(c: SuiteCase, outputText: string): Record<string, number> {
  const expected = c.references[0] ?? "";
  const s = {
    paperRecall: paperRecall(outputText, expected),
    wordRecall: wordRecall(outputText, expected),
    substring: substringMatch(outputText, expected),
    rouge1F: rouge1F(outputText, expected),
  };
  if (c.scoring.variant === "passkey" || c.scoring.variant === "multikey") {
    // A copied value is right or wrong: exact match is the headline (first key).
    return { exactMatch: exactMatch(outputText, expected), substring: s.substring };
  }
  if (c.scoring.variant === "multi") {
    // RULER scores by string match: substring is the headline (first key).
    return { substring: s.substring, paperRecall: s.paperRecall, wordRecall: s.wordRecall, rouge1F: s.rouge1F };
  }
  return s;
}

export const niahSuite: Suite<NiahOptions> = {
  name: "niah",
  description:
    "Needle-in-a-Haystack: the GemFilter paper's single-needle setup (their needle, prompt, grids and word-recall score) a RULER-style multi-key variant, passkey retrieval and a multi-key exact-match variant",
  options: NiahOptions,
  datasets: () => ["niah-single", "niah-multi", "niah-passkey", "niah-multikey"],
  buildCases,
  estimateCost: (o) => o.lengths.reduce((a, b) => a + b, 0) * o.depths.length,
  maxCases: (o) => new Set(o.lengths).size * new Set(o.depths).size,
  score,
};
