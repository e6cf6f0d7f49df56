// The LongBench v1 / LongBench-E suite: official prompts, middle truncation, chat-template rules, output lengths and
// metrics (see README.md in this folder for every rule and quirk).
import { resolve } from "node:path";
import { z } from "zod";
import type { Suite, SuiteCase, SuiteContext } from "../../core/suite.ts";
import { DATASETS, E_DATASETS, infoFor, lengthBucket, TABLE1_DATASETS } from "./catalog.ts";
import { loadDataset, loadPromptConfig, pyFormat } from "./data.ts";
import { CODE_SIM_VARIANTS, DEFAULT_CODE_SIM_VARIANT, FIRST_LINE_DATASETS, scoreSample, type CodeSimVariant, type MetricName, type ScoringVariant } from "./metrics.ts";
import { DEVIATIONS, GENERATION_RULE, inputCeiling, longbenchRuleBudget, PAPER_H2O_INPUT_CAP, PROFILES, REFERENCE, type Profile } from "./profile.ts";
import { groupByContext, longbenchParts, longbenchSplit } from "./parts.ts";
import { buildPrompt, newlineStopIds } from "./prompt.ts";
import { pyStrip } from "./pycompat.ts";

export { summarize, summarizeRecords, datasetScore, bucketScores, categoryAverages, overallAverage } from "./aggregate.ts";
export { DATASETS, TABLE1_DATASETS, E_DATASETS, CATEGORIES } from "./catalog.ts";
export { CHAT_128K_BUDGET, PAPER_INPUT_CAP, PAPER_H2O_INPUT_CAP, PROFILES, type Profile } from "./profile.ts";

/** Recorded in every case's protocol under the `longbench` and `chat` profiles (see README, Table 1 configs). */
export const H2O_INPUT_CAP = "none: same input as every other method (the GemFilter paper capped H2O at 8K tokens)";
/** …and under the `paper` profile. */
export const H2O_INPUT_CAP_PAPER = `${PAPER_H2O_INPUT_CAP} tokens, as the paper (GemFilter config/model2maxlen.json): H2O's cases are built with their own budget`;

/**
 * A truncated prompt kept to fewer tokens than this is mostly the template's head and tail with almost nothing of
 * the context (a 4-token budget keeps 2 tokens each side): such a case is flagged (protocol.contextStarved) and
 * named on the console, so its score is not read as a normal LongBench result.
 */
export const MIN_CONTEXT_BUDGET = 128;

export const LongBenchOptions = z.strictObject({
  /** "longbench": THUDM's v1 pred.py literally. "chat": gembench's chat-template protocol. "paper": what the GemFilter
   *  authors ran (see profile.ts, README). */
  profile: z.enum(PROFILES).default("longbench"),
  /** LongBench folder (relative paths resolve from the config file's directory). */
  dir: z.string().min(1),
  /** Dataset names, or "table1" (the 14 English datasets of the GemFilter paper's Table 1, default for v1),
   *  "all" (all 21 for v1, all 13 for LongBench-E; default for e), "english", "chinese". */
  datasets: z.union([z.array(z.string()).min(1), z.enum(["table1", "all", "english", "chinese"])]).optional(),
  variant: z.enum(["v1", "e"]).default("v1"),
  /** Model input budget in tokens (the official truncation length, used as given). Default: fitted to the model,
   *  see defaultMaxLength and fitToContext. */
  maxLength: z.number().int().positive().optional(),
  /** Default: "official" under the chat profile, "off" under longbench and paper (which allow nothing else). */
  chatTemplate: z.enum(["official", "off"]).optional(),
  /** At most this many cases per dataset (the first in file order). */
  limit: z.number().int().positive().optional(),
  scoring: z.enum(["official", "corrected"]).default("official"),
  codeSimVariant: z.enum(CODE_SIM_VARIANTS).default(DEFAULT_CODE_SIM_VARIANT),
  skipMalformed: z.boolean().default(false),
  /** Cases whose contexts are the same (same context ids) become one case with all their questions, for the
   *  multi-question protocols (engines/README.md "Prompt protocols"); case ids are the first case's. Default false. */
  groupQuestions: z.boolean().optional(),
}).superRefine((o, ctx) => {
  if (o.profile === "longbench" && o.chatTemplate === "official") {
    ctx.addIssue({ code: "custom", path: ["chatTemplate"], message: 'the longbench profile is THUDM\'s pred.py, whose build_chat applies no chat template to the models gembench runs; remove chatTemplate or use profile "chat"' });
  }
  if (o.profile !== "paper") return;
  if (o.chatTemplate === "official") {
    ctx.addIssue({ code: "custom", path: ["chatTemplate"], message: 'the paper profile uses no chat template (GemFilter pred.py); remove chatTemplate or use profile "chat"' });
  }
  if (o.scoring === "corrected") {
    ctx.addIssue({ code: "custom", path: ["scoring"], message: 'the paper profile scores with the official eval.py; use profile "longbench" or "chat" for corrected scoring' });
  }
});
export type LongBenchOptions = z.infer<typeof LongBenchOptions>;

export function resolveDatasets(sel: LongBenchOptions["datasets"], variant: "v1" | "e"): string[] {
  const pool = variant === "e" ? E_DATASETS : DATASETS.map((d) => d.name);
  let names: readonly string[];
  if (sel === undefined) names = variant === "e" ? E_DATASETS : TABLE1_DATASETS;
  else if (sel === "all") names = pool;
  else if (sel === "table1") names = TABLE1_DATASETS;
  else if (sel === "english") names = DATASETS.filter((d) => d.language !== "zh").map((d) => d.name);
  else if (sel === "chinese") names = DATASETS.filter((d) => d.language === "zh").map((d) => d.name);
  else names = sel;
  const out: string[] = [];
  for (const n of names) {
    infoFor(n); // throws on unknown names
    if (variant === "e" && !E_DATASETS.includes(n)) {
      if (Array.isArray(sel)) throw new Error(`LongBench-E has no "${n}" (datasets with _e files: ${E_DATASETS.join(", ")})`);
      continue;
    }
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/**
 * Default input budget: min(ceiling, maxPositions − maxNewTokens), so that prompt + output fit the model. The ceiling
 * is the profile's (profile.ts inputCeiling: longbench THUDM's rule, 127500 for 128K models; chat 127500; paper
 * 128000, or 8192 for H2O): real 128K models get the ceiling, only small-context models get less.
 */
export function defaultMaxLength(maxPositions: number, maxNewTokens: number, ceiling: number): number {
  return Math.max(2, Math.min(ceiling, maxPositions - maxNewTokens));
}

/**
 * Output length used when the budget is fitted to the model: the official one, but at most half the model's context
 * (a 512-token model cannot hold multi_news' 512 new tokens plus any prompt). Recorded next to the official value.
 */
export function fittedMaxNewTokens(maxPositions: number, official: number): number {
  return Math.max(1, Math.min(official, Math.floor(maxPositions / 2)));
}

/** What score() needs, stored in SuiteCase.scoring. */
interface LongBenchScoring {
  metric: MetricName;
  dataset: string;
  allClasses: string[] | null;
  scoring: ScoringVariant;
  codeSimVariant: CodeSimVariant;
  /** Paper profile: the prediction is strip()ped first (my_generation.py returns decode(...).strip()). */
  strip: boolean;
}

async function buildCases(options: LongBenchOptions, ctx: SuiteContext): Promise<SuiteCase[]> {
  const opts = LongBenchOptions.parse(options);
  const profile: Profile = opts.profile;
  const paper = profile === "paper";
  const chatMode = opts.chatTemplate ?? (profile === "chat" ? "official" : "off");
  const ceiling = inputCeiling(profile, ctx.method, ctx.model.maxPositions);
  // The paper's loop stops only on the tokenizer's single eos_token_id (never checked on the first token); so does
  // THUDM's samsum call (eos_token_id = [tokenizer.eos_token_id, newline]).
  const tokenizerEos = ctx.tokenizer.eosId === null ? [] : [ctx.tokenizer.eosId];
  const dir = resolve(ctx.baseDir, opts.dir);
  const names = resolveDatasets(opts.datasets, opts.variant);
  const pc = loadPromptConfig(dir, ctx.log);
  const cases: SuiteCase[] = [];
  for (const name of names) {
    const info = infoFor(name);
    const { rows: allRows, file, skipped } = loadDataset(dir, name, opts.variant, opts.skipMalformed);
    if (skipped > 0) ctx.log(`LongBench: ${file}: skipped ${skipped} malformed line(s)`);
    const rows = opts.limit !== undefined ? allRows.slice(0, opts.limit) : allRows;
    if (rows.length === 0) throw new Error(`LongBench: ${file} has no usable lines`);
    const template = pc.prompts[name];
    if (template === undefined) throw new Error(`LongBench: ${pc.promptFile ?? "built-in prompts"} has no prompt for "${name}"`);
    const officialNew = pc.maxLen[name];
    if (officialNew === undefined) throw new Error(`LongBench: ${pc.maxLenFile ?? "built-in lengths"} has no output length for "${name}"`);
    // An explicit maxLength is the official truncation length, used as given (the runner refuses a case whose input
    // plus output exceeds the model's context). Without one, the budget is fitted to the model per case.
    const fit = opts.maxLength === undefined;
    const maxPositions = ctx.model.maxPositions;
    // maxGen: dataset2maxlen (fitted to small models). The paper's loop makes up to maxGen + 1 tokens.
    const maxGen = fit ? fittedMaxNewTokens(maxPositions, officialNew) : officialNew;
    const maxNew = paper ? maxGen + 1 : maxGen;
    const defaultBudget = opts.maxLength ?? defaultMaxLength(maxPositions, maxNew, ceiling);
    // eval.py reads all_classes from every line and keeps the last one for the whole file (official); corrected
    // scoring uses each case's own.
    const lastClasses = rows[rows.length - 1]?.all_classes ?? null;
    // THUDM's pred.py: samsum also stops at "\n", and min_length = prompt + 1 keeps EOS and "\n" from being the first
    // new token; its eos_token_id list replaces the model's EOS ids by the tokenizer's one (longbench), where chat
    // keeps every EOS id of the model. GemFilter's pred.py has neither.
    const samsum = name === "samsum" && !paper;
    const stopIds = samsum ? newlineStopIds(ctx.tokenizer) : [];
    const minNewTokens = samsum ? 1 : 0;
    const eosIds = paper || (samsum && profile === "longbench") ? tokenizerEos : null;
    const deviations = [
      // an explicit maxLength replaces the profile's budget rule (as does a model too small for longbench's rule:
      // fitted below); samsum's stop rule is listed on samsum's cases
      ...DEVIATIONS[profile].filter((d) => (!d.startsWith("input budget") || (opts.maxLength === undefined && (profile !== "longbench" || longbenchRuleBudget(ctx.model.maxPositions) !== null))) && (!d.startsWith("samsum") || name === "samsum")),
      ...(profile === "longbench" && opts.maxLength === undefined && longbenchRuleBudget(ctx.model.maxPositions) === null ? [`input budget: no model2maxlen value or rule below 1024 positions`] : []),
      ...(opts.maxLength !== undefined ? [`input budget ${opts.maxLength} (the maxLength option)`] : []),
      ...(profile === "chat" && chatMode === "off" ? ["chat template switched off (chatTemplate: off)"] : []),
      ...(opts.scoring === "corrected" ? ["corrected scoring (not eval.py's)"] : []),
      ...(pc.promptSource === "official" ? [] : ["built-in prompts and output lengths (no config/dataset2prompt.json)"]),
    ];
    const seen = new Set<string>();
    let starved = 0;
    let smallestBudget = Infinity;
    const dsCases: SuiteCase[] = [];
    for (const row of rows) {
      const prompt = pyFormat(template, row as unknown as Record<string, unknown>);
      let budget = defaultBudget;
      let built = buildPrompt(ctx.tokenizer, name, prompt, budget, chatMode);
      // Fitting: the chat template (applied after truncation) and the decode/re-encode can add tokens; lower the
      // budget by the overflow until prompt + output fit (only small-context models ever need this).
      for (let i = 0; fit && i < 8 && built.inputIds.length + maxNew > maxPositions && budget > 2; i++) {
        budget = Math.max(2, budget - (built.inputIds.length + maxNew - maxPositions));
        built = buildPrompt(ctx.tokenizer, name, prompt, budget, chatMode);
      }
      const contextStarved = built.truncated && budget < MIN_CONTEXT_BUDGET;
      if (contextStarved) {
        starved++;
        smallestBudget = Math.min(smallestBudget, budget);
      }
      let caseId = `${name}/${row._id || `line${row.line}`}`;
      if (seen.has(caseId)) caseId = `${caseId}#${row.line}`;
      seen.add(caseId);
      const scoring: LongBenchScoring = {
        metric: info.metric,
        dataset: name,
        allClasses: opts.scoring === "official" ? lastClasses : row.all_classes,
        scoring: opts.scoring,
        codeSimVariant: opts.codeSimVariant,
        strip: paper,
      };
      const split = longbenchSplit(template, (t) => pyFormat(t, row as unknown as Record<string, unknown>), built.text);
      dsCases.push({
        ...(split === null ? {} : { parts: longbenchParts(ctx.tokenizer, split, caseId, row.answers) }),
        caseId,
        dataset: opts.variant === "e" ? `${name}_e` : name,
        inputIds: built.inputIds,
        references: row.answers,
        maxNewTokens: maxNew,
        minNewTokens,
        stopIds,
        ...(eosIds !== null ? { eosIds } : {}),
        ...(paper ? { stopCheckFrom: 1 } : {}),
        // No stop strings: pred.py decodes everything generated up to the stop id and eval.py's first-line rule (which
        // strips leading newlines first) does the rest. Cutting at "\n" here would turn "\n\nSummary…" into "".
        stopStrings: [],
        caseMeta: {
          dataset: name,
          category: info.category,
          language: row.language,
          length: row.length,
          lengthBucket: opts.variant === "e" ? lengthBucket(row.length) : null,
          metric: info.metric,
          line: row.line,
        },
        protocol: {
          profile,
          reference: REFERENCE[profile],
          // every deviation from the reference, "; "-joined ("none" when there is none)
          deviations: [...deviations, ...(fit && budget < defaultBudget ? [`input budget lowered to ${budget} to fit the model's ${maxPositions}-token context`] : []), ...(fit && maxGen < officialNew ? [`max_new_tokens ${maxGen} (dataset2maxlen ${officialNew} fitted to the model's ${maxPositions}-token context)`] : [])].join("; ") || "none",
          benchmark: opts.variant === "e" ? "LongBench-E" : "LongBench",
          promptSource: pc.promptSource,
          chatTemplate: built.chatTemplate,
          chatTemplateMode: chatMode,
          truncation: "middle",
          truncationBudget: budget,
          truncationBudgetSource: fit ? (budget < defaultBudget ? "fitted to context (below default)" : "default") : "maxLength option",
          // The cell's input cap (the same for every case of the cell; labels show it): the maxLength option, or the
          // profile's ceiling for this method.
          inputCap: opts.maxLength ?? ceiling,
          promptTokens: built.originalTokens,
          truncated: built.truncated,
          contextStarved,
          maxNewTokens: maxNew,
          maxNewTokensOfficial: officialNew,
          generation: GENERATION_RULE[profile],
          eosIds: eosIds !== null ? eosIds.join(",") : "model",
          scoring: opts.scoring,
          codeSimVariant: info.metric === "code_sim_score" ? `fuzzywuzzy-ratio/${opts.codeSimVariant}` : null,
          firstLineRule: FIRST_LINE_DATASETS.has(name),
          // longbench and chat profiles: cases are built once per model and shared by every method, so H2O gets the
          // same (truncated) input as the others, where the GemFilter paper capped H2O's input at 8K tokens; the paper
          // profile builds H2O's cases with that cap.
          h2oInputCap: paper ? H2O_INPUT_CAP_PAPER : H2O_INPUT_CAP,
          minNewTokens: minNewTokens > 0 ? minNewTokens : null,
        },
        marks: [],
        scoring: scoring as unknown as Record<string, unknown>,
      });
    }
    cases.push(...(opts.groupQuestions === true ? groupByContext(dsCases) : dsCases));
    if (starved > 0) {
      ctx.log(
        `LongBench ${name}: ${starved} of ${rows.length} case(s) truncated to a budget below ${MIN_CONTEXT_BUDGET} tokens (as low as ${smallestBudget}): ` +
          `almost none of the context is kept, so their scores are not LongBench results (flagged protocol.contextStarved in the records; ` +
          `${fit ? `the model's ${maxPositions}-token context leaves no more` : "raise the maxLength option"})`,
      );
    }
  }
  return cases;
}

function score(c: SuiteCase, outputText: string): Record<string, number> {
  const s = c.scoring as unknown as LongBenchScoring;
  const opts = { scoring: s.scoring, allClasses: s.allClasses, codeSimVariant: s.codeSimVariant };
  const pred = s.strip ? pyStrip(outputText) : outputText;
  return { [s.metric]: scoreSample(s.dataset, s.metric, pred, c.references, opts) };
}

export const longbenchSuite: Suite<LongBenchOptions> = {
  name: "longbench",
  description:
    "LongBench v1 (21 datasets) and LongBench-E: official prompts, middle truncation, chat-template rules and metrics with exact parity to the official eval.py",
  options: LongBenchOptions as unknown as z.ZodType<LongBenchOptions>,
  datasets: () => [...DATASETS.map((d) => d.name), ...E_DATASETS.map((n) => `${n}_e`)],
  buildCases,
  // LongBench v1 has 200 cases per dataset, -E about 300; prompts are cut to the budget (unknown here: ~8k).
  estimateCost: (o) => resolveDatasets(o.datasets, o.variant).length * (o.limit ?? (o.variant === "e" ? 300 : 200)) * (o.maxLength ?? 8000),
  // Under the paper profile H2O gets its own (8192-token) input cap, so cases are built per method.
  casesVaryByMethod: (o) => o.profile === "paper",
  score,
};
