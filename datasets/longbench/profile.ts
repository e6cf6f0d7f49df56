// Protocol profiles of the LongBench suite (METHODS.md "Protocol profiles"): what differs between THUDM's official
// LongBench pipeline (`longbench`, the default) and the pipeline the GemFilter authors ran for their Table 1
// (`paper`: SalesforceAIResearch/GemFilter eval/LongBench/pred.py + my_utils/my_generation.py +
// config/model2maxlen.json). Prompts, truncation rule and metrics are the same in both.

export const PROFILES = ["longbench", "paper"] as const;
export type Profile = (typeof PROFILES)[number];

/** THUDM's model2maxlen convention for 128K models (500 below the context): the `longbench` profile's ceiling. */
export const OFFICIAL_128K_BUDGET = 127500;

/** GemFilter's config/model2maxlen.json: 128000 for the paper's three models… */
export const PAPER_INPUT_CAP = 128000;
/** …and 8192 for their `-h2o` variants (H2O ran on eager attention). */
export const PAPER_H2O_INPUT_CAP = 8192;

/** The input-budget ceiling of a profile for a method (the budget is min(ceiling, what fits the model)). */
export function inputCeiling(profile: Profile, method: string | undefined): number {
  if (profile === "longbench") return OFFICIAL_128K_BUDGET;
  return method === "h2o" ? PAPER_H2O_INPUT_CAP : PAPER_INPUT_CAP;
}

/** What `protocol.generation` says for each profile. */
export const GENERATION_RULE: Record<Profile, string> = {
  longbench:
    "THUDM pred.py: model.generate greedy, max_new_tokens = dataset2maxlen, stop on every model EOS id (samsum: also the newline id, min_length = 1)",
  paper:
    "GemFilter my_greedy_generate: the first token plus up to dataset2maxlen more, stop only on the tokenizer's eos_token_id and never on the first token; prediction strip()ped",
};
