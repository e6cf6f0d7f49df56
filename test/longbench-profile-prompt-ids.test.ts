// Each LongBench profile builds the exact input ids its reference script would, with a Llama-3-style tokenizer and
// chat template made for the test (test/helpers/longbench.ts: one id per UTF-8 byte, Llama 3's special ids):
// - longbench = THUDM's v1 pred.py: tokenizer(prompt) (one BOS, the tokenizer's), middle truncation to
//   model2maxlen (its rule: 127500 for 128K, 31500 for 32K), build_chat = no template for Llama 3, the model's EOS
//   ids; samsum: eos_token_id = [tokenizer.eos_token_id, "\n"], min_length = prompt + 1;
// - chat = gembench's: the model's chat template (one BOS kept of the template's and the tokenizer's), 127500, every
//   EOS id (samsum: plus "\n");
// - paper = GemFilter's pred.py + my_generation.py: no template, 128000 (H2O 8192), max_gen + 1, eos_token_id only,
//   never on the first token.
import test, { type ExecutionContext } from "ava";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { longbenchSuite } from "../datasets/longbench/index.ts";
import type { SuiteCase } from "../core/suite.ts";
import { L3, llama3StyleTokenizer } from "./helpers/longbench.ts";

const MODEL_EOS = [L3.endOfText, L3.eom, L3.eot]; // Llama-3.1-Instruct's generation_config eos_token_id
const NL = 10; // encode("\n")[-1]
const bytes = (s: string): number[] => [...new TextEncoder().encode(s)];

const HOTPOT = "Passages:\n{context}\n\nQuestion: {input}\nAnswer:";
const SAMSUM = "Summarize the dialogue.\n\n{context}\n\n{input}";
const SHORT = "Anna lives in Oslo.";
// 129 000 ASCII bytes: over every 128K budget, so each profile's budget shows in the ids
const LONG = Array.from({ length: 14400 }, (_, i) => `p${String(i % 10000).padStart(4, "0")}.   `).join("").slice(0, 129000);

const dir = mkdtempSync(join(tmpdir(), "gembench-lb-ids-"));
mkdirSync(join(dir, "config"));
writeFileSync(join(dir, "config", "dataset2prompt.json"), JSON.stringify({ hotpotqa: HOTPOT, samsum: SAMSUM }));
writeFileSync(join(dir, "config", "dataset2maxlen.json"), JSON.stringify({ hotpotqa: 32, samsum: 128 }));
const row = (dataset: string, id: string, context: string, input: string) =>
  JSON.stringify({ input, context, answers: ["Oslo"], length: 5, dataset, language: "en", all_classes: null, _id: id });
writeFileSync(join(dir, "hotpotqa.jsonl"), [row("hotpotqa", "short", SHORT, "Where does Anna live?"), row("hotpotqa", "long", LONG, "Where?")].join("\n") + "\n");
writeFileSync(join(dir, "samsum.jsonl"), row("samsum", "s1", "A: hi\nB: hello", "Summary:") + "\n");

async function cases(profile: string, maxPositions = 131072, method = "dense"): Promise<Map<string, SuiteCase>> {
  const opts = longbenchSuite.options.parse({ profile, dir, datasets: ["hotpotqa", "samsum"] });
  const tok = llama3StyleTokenizer();
  const cs = await longbenchSuite.buildCases(opts, { tokenizer: tok, model: { id: "l3", name: "l3", maxPositions, eosIds: MODEL_EOS }, baseDir: "/", method, log: () => {} });
  return new Map(cs.map((c) => [c.caseId, c]));
}

/** What pred.py's truncation gives: ids with BOS, over the budget → decode(ids[:half]) + decode(ids[-half:]) re-encoded. */
function truncatedText(prompt: string, budget: number): string {
  const ids = [L3.bos, ...bytes(prompt)];
  if (ids.length <= budget) return prompt;
  const half = Math.floor(budget / 2);
  const dec = (xs: number[]): string => new TextDecoder().decode(new Uint8Array(xs.filter((x) => x !== L3.bos)));
  return dec(ids.slice(0, half)) + dec(ids.slice(ids.length - half));
}
/** Exact equality of id lists (ava's deepEqual is slow on 128K-element arrays): the first difference on failure. */
function sameIds(t: ExecutionContext, actual: readonly number[], expected: readonly number[]): void {
  const n = Math.max(actual.length, expected.length);
  let i = 0;
  while (i < n && actual[i] === expected[i]) i++;
  t.is(i === n ? "equal" : `differ at ${i}: ${actual[i]} vs ${expected[i]} (lengths ${actual.length}, ${expected.length})`, "equal");
}
const raw = (text: string): number[] => [L3.bos, ...bytes(text)];
const chat = (text: string): number[] => [L3.bos, L3.startHeader, ...bytes("user"), L3.endHeader, ...bytes("\n\n"), ...bytes(text.trim()), L3.eot, L3.startHeader, ...bytes("assistant"), L3.endHeader, ...bytes("\n\n")];
const hotpot = (context: string, input: string): string => HOTPOT.replace("{context}", context).replace("{input}", input);
const samsum = SAMSUM.replace("{context}", "A: hi\nB: hello").replace("{input}", "Summary:");

test("longbench (THUDM v1 pred.py): no chat template for Llama 3, one BOS, model2maxlen's rule, the model's EOS ids; samsum's two stop ids", async (t) => {
  const c = await cases("longbench");
  const short = c.get("hotpotqa/short")!;
  sameIds(t, short.inputIds, raw(hotpot(SHORT, "Where does Anna live?")));
  t.is(short.inputIds.filter((x) => x === L3.bos).length, 1);
  t.is(short.maxNewTokens, 32);
  t.is(short.eosIds, undefined, "model.generate's default: generation_config's EOS ids");
  t.like(short.protocol, { profile: "longbench", chatTemplate: "off", truncationBudget: 127500, eosIds: "model", reference: "THUDM/LongBench v1 LongBench/pred.py (build_chat, model2maxlen, model.generate)" });
  t.regex(String(short.protocol.deviations), /^input budget: THUDM.s v1 model2maxlen has no entry for this model, so the rule/);
  const long = c.get("hotpotqa/long")!;
  sameIds(t, long.inputIds, raw(truncatedText(hotpot(LONG, "Where?"), 127500)));
  t.is(long.inputIds.length, 127500);
  const s = c.get("samsum/s1")!;
  sameIds(t, s.inputIds, raw(samsum));
  t.deepEqual(s.eosIds, [L3.eot], "eos_token_id=[tokenizer.eos_token_id, newline]");
  t.deepEqual(s.stopIds, [NL]);
  t.is(s.minNewTokens, 1);
  // a 32K model (Qwen2.x): 31500, the value THUDM's v1 gives its own 32K models
  const q = (await cases("longbench", 32768)).get("hotpotqa/long")!;
  sameIds(t, q.inputIds, raw(truncatedText(hotpot(LONG, "Where?"), 31500)));
  t.is(q.protocol.truncationBudget, 31500);
});

test("chat (gembench): the model's chat template with one BOS, 127500, every EOS id; samsum without template, every EOS id and the newline", async (t) => {
  const c = await cases("chat");
  const short = c.get("hotpotqa/short")!;
  sameIds(t, short.inputIds, chat(hotpot(SHORT, "Where does Anna live?")));
  t.is(short.inputIds.filter((x) => x === L3.bos).length, 1, "the template's BOS and the tokenizer's: one kept");
  t.is(short.eosIds, undefined);
  t.like(short.protocol, { profile: "chat", chatTemplate: "applied", truncationBudget: 127500, eosIds: "model" });
  t.regex(String(short.protocol.deviations), /^chat template: the model's own.*; one BOS.*; input budget min\(127500, context − output\)[^;]*$/);
  const long = c.get("hotpotqa/long")!;
  sameIds(t, long.inputIds, chat(truncatedText(hotpot(LONG, "Where?"), 127500)));
  const s = c.get("samsum/s1")!;
  sameIds(t, s.inputIds, raw(samsum));
  t.is(s.eosIds, undefined);
  t.regex(String(s.protocol.deviations), /; samsum stops on every EOS id of the model plus the newline id/);
  t.deepEqual(s.stopIds, [NL]);
  t.is(s.minNewTokens, 1);
  const q = (await cases("chat", 32768)).get("hotpotqa/long")!;
  // min(127500, context − output) = 32736, less the 22 ids the template adds (the fit lowers the budget by the overflow)
  t.is(chat("x").length - raw("x").length, 22);
  t.is(q.protocol.truncationBudget, 32768 - 32 - 22);
  t.is(q.inputIds.length + 32, 32768);
});

test("paper (GemFilter pred.py): no template, one BOS, 128000 (H2O 8192), max_gen + 1 tokens, eos_token_id only from the second token", async (t) => {
  const c = await cases("paper");
  const short = c.get("hotpotqa/short")!;
  sameIds(t, short.inputIds, raw(hotpot(SHORT, "Where does Anna live?")));
  t.is(short.maxNewTokens, 33);
  t.deepEqual(short.eosIds, [L3.eot]);
  t.is(short.stopCheckFrom, 1);
  t.like(short.protocol, { profile: "paper", chatTemplate: "off", truncationBudget: 128000, deviations: "none" });
  const long = c.get("hotpotqa/long")!;
  sameIds(t, long.inputIds, raw(truncatedText(hotpot(LONG, "Where?"), 128000)));
  t.is(long.inputIds.length, 128000);
  const h2o = (await cases("paper", 131072, "h2o")).get("hotpotqa/long")!;
  sameIds(t, h2o.inputIds, raw(truncatedText(hotpot(LONG, "Where?"), 8192)));
  const s = c.get("samsum/s1")!;
  t.deepEqual(s.stopIds, []);
  t.is(s.minNewTokens, 0);
  t.deepEqual(s.eosIds, [L3.eot]);
});
