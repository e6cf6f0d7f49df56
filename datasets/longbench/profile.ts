// Protocol profiles of the LongBench suite (METHODS.md "Protocol profiles"), each named for what it runs:
// - `longbench` (the default): THUDM's LongBench v1 `pred.py` literally (LongBench/pred.py with
//   config/model2maxlen.json): its `build_chat` rules, its input budgets, its `model.generate` stop rule.
// - `chat`: gembench's choice for today's instruct models: THUDM's prompts and truncation with the model's own chat
//   template, all EOS ids, a 127 500-token budget for 128K models and one BOS (deviations from THUDM, listed below).
// - `paper`: what the GemFilter authors ran for Table 1 (SalesforceAIResearch/GemFilter eval/LongBench/pred.py +
//   my_utils/my_generation.py + config/model2maxlen.json).
// Prompts (dataset2prompt), the middle truncation rule, output lengths (dataset2maxlen) and metrics are shared.

export const PROFILES = ["longbench", "chat", "paper"] as const;
export type Profile = (typeof PROFILES)[number];

/** The reference script each profile reproduces (recorded as protocol.reference). */
export const REFERENCE: Record<Profile, string> = {
  longbench: "THUDM/LongBench v1 LongBench/pred.py (build_chat, model2maxlen, model.generate)",
  chat: "none: gembench's chat-template protocol on THUDM's LongBench v1 prompts, truncation and metrics",
  paper: "SalesforceAIResearch/GemFilter eval/LongBench/pred.py + my_utils/my_generation.py + config/model2maxlen.json",
};

/** THUDM's v1 config/model2maxlen.json (its eight models); every entry is the nominal context in K × 1000 − 500. */
export const THUDM_V1_MODEL2MAXLEN: Readonly<Record<string, number>> = {
  "llama2-7b-chat-4k": 3500,
  "longchat-v1.5-7b-32k": 31500,
  "xgen-7b-8k": 7500,
  "internlm-7b-8k": 7500,
  "chatglm2-6b": 31500,
  "chatglm2-6b-32k": 31500,
  "chatglm3-6b-32k": 31500,
  "vicuna-v1.5-7b-16k": 15500,
};

/** The context the `longbench` rule reads: positions above 128K count as 128K (a config may state more than the model's 128K). */
export const LONGBENCH_RULE_MAX_CONTEXT = 131072;

/**
 * The `longbench` budget where THUDM's v1 model2maxlen has no entry (none of the families gembench runs): the rule
 * every one of its entries follows, ⌊context / 1024⌋ × 1000 − 500 (4K → 3500, 8K → 7500, 16K → 15500, 32K → 31500),
 * with the context capped at 128K: 127500 for 128K models, 31500 for Qwen2.x's 32K. Null below 1024 positions (the
 * rule has no value there: the budget is fitted to the model).
 */
export function longbenchRuleBudget(maxPositions: number): number | null {
  const k = Math.floor(Math.min(maxPositions, LONGBENCH_RULE_MAX_CONTEXT) / 1024);
  return k < 1 ? null : k * 1000 - 500;
}

/** gembench's budget for 128K models under `chat`: 500 below 128 000, the v1 pattern applied to 128K (its choice). */
export const CHAT_128K_BUDGET = 127500;

/** GemFilter's config/model2maxlen.json: 128000 for the paper's three models… */
export const PAPER_INPUT_CAP = 128000;
/** …and 8192 for their `-h2o` variants (H2O ran on eager attention). */
export const PAPER_H2O_INPUT_CAP = 8192;

/** The input-budget ceiling of a profile for a method and model (the budget is min(ceiling, what fits the model)). */
export function inputCeiling(profile: Profile, method: string | undefined, maxPositions: number): number {
  if (profile === "longbench") return longbenchRuleBudget(maxPositions) ?? maxPositions;
  if (profile === "chat") return CHAT_128K_BUDGET;
  return method === "h2o" ? PAPER_H2O_INPUT_CAP : PAPER_INPUT_CAP;
}

/** What `protocol.generation` says for each profile. */
export const GENERATION_RULE: Record<Profile, string> = {
  longbench:
    "THUDM pred.py: model.generate greedy, max_new_tokens = dataset2maxlen, stop on the model's EOS ids (generation_config); samsum: eos_token_id = [tokenizer.eos_token_id, the newline id], min_length = prompt + 1",
  chat: "gembench chat: greedy, max_new_tokens = dataset2maxlen, stop on every model EOS id (samsum: also the newline id, min_length = 1)",
  paper:
    "GemFilter my_greedy_generate: the first token plus up to dataset2maxlen more, stop only on the tokenizer's eos_token_id and never on the first token; prediction strip()ped",
};

/**
 * Every deviation of a profile from its named reference, as recorded in `protocol.deviations`, "; "-joined (so none
 * contains "; "; the case-specific
 * ones — a budget fitted to a small model, an explicit maxLength, chatTemplate off, corrected scoring, non-official
 * prompts — are added per case by the suite).
 */
export const DEVIATIONS: Record<Profile, readonly string[]> = {
  longbench: [
    "input budget: THUDM's v1 model2maxlen has no entry for this model, so the rule all its entries follow (context in K × 1000 − 500, context capped at 128K) is applied",
  ],
  chat: [
    "chat template: the model's own (tokenizer_config.json) on all but trec, triviaqa, samsum, lsht, lcc, repobench-p, where THUDM's build_chat applies none to Llama 3.x, Mistral-Nemo, Phi-3.5 or Qwen2.x",
    "one BOS where the chat template writes one and the tokenizer adds another",
    "input budget min(127500, context − output) (gembench's choice, where THUDM's v1 model2maxlen tops out at 31500 and its rule gives 31500 for 32K)",
    "samsum stops on every EOS id of the model plus the newline id (THUDM: the tokenizer's eos_token_id and the newline id)",
  ],
  paper: [],
};
