// The LongBench v2 suite (THUDM/LongBench, v2): 503 multiple-choice questions with 8K–2M-word contexts, the official
// zero-shot prompt, middle truncation to the model's budget, the official answer extraction and the leaderboard's
// accuracy by difficulty and length. See README.md.
import { resolve } from "node:path";
import { z } from "zod";
import type { Suite, SuiteCase, SuiteContext } from "../../core/suite.ts";
import { loadV2 } from "./data.ts";
import { extractAnswer } from "./metrics.ts";
import { buildPrompt, fillTemplate, MAX_NEW_TOKENS, OFFICIAL_MAX_LEN, TEMPLATE_0SHOT, TEMPLATE_0SHOT_COT, TEMPLATE_0SHOT_COT_ANS } from "./prompt.ts";

export { extractAnswer, summarizeV2, type V2Summary } from "./metrics.ts";

export const LongBenchV2Options = z.strictObject({
  /** data.json of THUDM/LongBench-v2 (relative paths resolve from the config's folder). */
  data: z.string().min(1),
  /** The official truncation budget in tokens (config/model2maxlen.json: 120000). Default: min(120000, the model's
   *  positions − 128). */
  maxLength: z.number().int().positive().optional(),
  /** At most this many questions (the first in file order). */
  limit: z.number().int().positive().optional(),
  /** pred.py --cot: the chain-of-thought prompt (1024 new tokens), then the answer prompt carrying its output (128). */
  cot: z.boolean().default(false),
});
export type LongBenchV2Options = z.output<typeof LongBenchV2Options>;

async function buildCases(o: LongBenchV2Options, ctx: SuiteContext): Promise<SuiteCase[]> {
  const items = loadV2(resolve(ctx.baseDir, o.data));
  const rows = o.limit === undefined ? items : items.slice(0, o.limit);
  const maxNew = MAX_NEW_TOKENS[o.cot ? "0shot_cot" : "0shot"];
  const maxLen = o.maxLength ?? Math.max(2, Math.min(OFFICIAL_MAX_LEN, ctx.model.maxPositions - maxNew));
  let truncated = 0;
  const cases = rows.map((item): SuiteCase => {
    const p = buildPrompt(ctx.tokenizer, fillTemplate(o.cot ? TEMPLATE_0SHOT_COT : TEMPLATE_0SHOT, item), maxLen);
    if (p.truncated) truncated++;
    // pred.py --cot: the answer prompt (no $DOC$ in it) carries the first output's strip(), truncated and sent the
    // same way; an empty first output gets no second query (the official drops the item; here it scores as wrong).
    const { context: _context, ...fields } = item;
    const followUp = (cot: string): { inputIds: number[]; maxNewTokens: number } | null =>
      cot === "" ? null : { inputIds: buildPrompt(ctx.tokenizer, fillTemplate(TEMPLATE_0SHOT_COT_ANS, fields, cot), maxLen).inputIds, maxNewTokens: MAX_NEW_TOKENS["0shot"] };
    return {
      caseId: item._id,
      dataset: "longbench-v2",
      inputIds: p.inputIds,
      references: [item.answer],
      maxNewTokens: maxNew,
      stopIds: [],
      stopStrings: [],
      caseMeta: { domain: item.domain, subDomain: item.sub_domain, difficulty: item.difficulty, length: item.length, answer: item.answer },
      protocol: {
        benchmark: "LongBench v2",
        prompt: o.cot ? "0shot_cot, then 0shot_cot_ans with the first output" : "0shot",
        chatTemplate: p.chatTemplate,
        truncation: "middle (pred.py query_llm)",
        truncationBudget: maxLen,
        truncationBudgetSource: o.maxLength === undefined ? "default: min(120000, positions − 128)" : "maxLength option",
        promptTokens: p.promptTokens,
        truncated: p.truncated,
        generation: `greedy, max_new_tokens ${o.cot ? "1024 then 128" : "128"}, stop on every model EOS id (official: temperature 0.1 through an OpenAI-style server)`,
      },
      marks: [],
      scoring: {},
      ...(o.cot ? { followUp } : {}),
    };
  });
  if (truncated > 0) ctx.log(`LongBench v2: ${truncated} of ${rows.length} prompt(s) cut to the middle-truncation budget of ${maxLen} tokens`);
  return cases;
}

function score(c: SuiteCase, outputText: string): Record<string, number> {
  const pred = extractAnswer(outputText);
  return { accuracy: pred !== null && pred === c.references[0] ? 1 : 0, extracted: pred === null ? 0 : 1 };
}

export const longbenchV2Suite: Suite<LongBenchV2Options> = {
  name: "longbench-v2",
  description: "LongBench v2 (503 multiple-choice questions): official zero-shot prompt, middle truncation, answer extraction and accuracy by difficulty and length",
  options: LongBenchV2Options as unknown as z.ZodType<LongBenchV2Options>,
  datasets: () => ["longbench-v2"],
  buildCases,
  estimateCost: (o) => (o.limit ?? 503) * (o.maxLength ?? OFFICIAL_MAX_LEN),
  score,
};
