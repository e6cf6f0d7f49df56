import test from "ava";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HfTokenizer } from "../harness/tokenizer.ts";
import { longbenchSuite } from "../datasets/longbench/index.ts";
import { pyStrip } from "../datasets/longbench/pycompat.ts";
import { charTokenizer, ctxFor } from "./helpers/longbench.ts";
import { NEED, needsShared, SHARED_LONGBENCH, STORIES } from "./helpers/shared.ts";

// Both profiles on the first multi_news case of the shared files with the stories260K tokenizer (BOS 1, eos_token
// "</s>" = 2, no chat template), for a 128K model (maxPositions 131072). The formatted prompt is 8213 tokens with BOS.
async function build(profile: "paper" | "longbench" | "chat", method: string, maxPositions = 131072) {
  const tok = new HfTokenizer(STORIES);
  const opts = longbenchSuite.options.parse({ profile, dir: SHARED_LONGBENCH, datasets: ["multi_news"], limit: 1 });
  const [c] = await longbenchSuite.buildCases(opts, { ...ctxFor(tok, "/", maxPositions), method });
  if (c === undefined) throw new Error("no case");
  return { tok, c };
}

function formattedPrompt(): string {
  const dir = SHARED_LONGBENCH;
  const template = (JSON.parse(readFileSync(join(dir, "config", "dataset2prompt.json"), "utf8")) as Record<string, string>).multi_news!;
  const row = JSON.parse(readFileSync(join(dir, "multi_news.jsonl"), "utf8").split("\n")[0]!) as { context: string; input: string };
  return template.replace("{context}", row.context).replace("{input}", row.input);
}

const realTest = needsShared([NEED.longbench, NEED.stories]);

realTest("paper profile: raw prompt (no template), cap 128000, their generate loop (max_gen + 1, eos_token_id only, not on the first token)", async (t) => {
  const { tok, c } = await build("paper", "snapkv");
  t.deepEqual(c.inputIds, tok.encode(formattedPrompt(), { addSpecialTokens: true }));
  t.is(c.inputIds.length, 8213);
  t.is(c.maxNewTokens, 513); // multi_news max_gen 512: the first token plus up to 512 more
  t.deepEqual(c.eosIds, [2]);
  t.is(c.stopCheckFrom, 1);
  t.deepEqual(c.stopIds, []);
  t.is(c.minNewTokens, 0);
  t.like(c.protocol, {
    profile: "paper",
    chatTemplate: "off",
    chatTemplateMode: "off",
    truncationBudget: 128000,
    inputCap: 128000,
    truncated: false,
    maxNewTokens: 513,
    maxNewTokensOfficial: 512,
    eosIds: "2",
  });
});

realTest("paper profile: H2O's cases are cut to 8192 tokens (their model2maxlen) by the middle truncation", async (t) => {
  t.true(longbenchSuite.casesVaryByMethod?.(longbenchSuite.options.parse({ profile: "paper", dir: "x" })));
  t.false(longbenchSuite.casesVaryByMethod?.(longbenchSuite.options.parse({ dir: "x" })));
  const { tok, c } = await build("paper", "h2o");
  const ids = tok.encode(formattedPrompt(), { addSpecialTokens: true });
  const text = tok.decode(ids.slice(0, 4096), { skipSpecialTokens: true }) + tok.decode(ids.slice(ids.length - 4096), { skipSpecialTokens: true });
  t.deepEqual(c.inputIds, tok.encode(text, { addSpecialTokens: true }));
  t.is(c.inputIds.length, 8192);
  t.like(c.protocol, { profile: "paper", truncationBudget: 8192, inputCap: 8192, truncated: true, promptTokens: 8213 });
});

realTest("longbench profile: no chat template (THUDM's build_chat), budget 127500 by its model2maxlen rule, max_gen new tokens, the model's EOS ids from the first token", async (t) => {
  const { tok, c } = await build("longbench", "h2o");
  t.deepEqual(c.inputIds, tok.encode(formattedPrompt(), { addSpecialTokens: true }));
  t.is(c.maxNewTokens, 512);
  t.is(c.eosIds, undefined);
  t.is(c.stopCheckFrom, undefined);
  t.like(c.protocol, { profile: "longbench", chatTemplate: "off", chatTemplateMode: "off", truncationBudget: 127500, inputCap: 127500, eosIds: "model" });
});

realTest("chat profile: the model's chat template rule, cap 127500, max_gen new tokens, the model's EOS ids from the first token", async (t) => {
  const { tok, c } = await build("chat", "h2o");
  t.deepEqual(c.inputIds, tok.encode(formattedPrompt(), { addSpecialTokens: true }));
  t.is(c.maxNewTokens, 512);
  t.is(c.eosIds, undefined);
  t.like(c.protocol, { profile: "chat", chatTemplate: "none-in-tokenizer", chatTemplateMode: "official", truncationBudget: 127500, inputCap: 127500, eosIds: "model" });
});

realTest("paper profile on a 512-position model: output max_gen fitted to 256 (+1), budget 512 − 257 = 255", async (t) => {
  const { c } = await build("paper", "dense", 512);
  t.is(c.maxNewTokens, 257);
  t.like(c.protocol, { truncationBudget: 255, inputCap: 128000, truncated: true, maxNewTokens: 257, maxNewTokensOfficial: 512 });
  t.true(c.inputIds.length + c.maxNewTokens <= 512);
});

realTest("paper profile: predictions are strip()ped before scoring (Python whitespace), longbench's are not", async (t) => {
  const paper = (await build("paper", "dense")).c;
  const official = (await build("longbench", "dense")).c;
  const ref = paper.references[0] as string;
  // rouge splits on "." and keeps the whitespace piece after it as an empty token, unless the prediction is stripped
  t.deepEqual(longbenchSuite.score(paper, `${ref}. `), { rouge_score: 0.999999995 });
  t.deepEqual(longbenchSuite.score(official, `${ref}. `), { rouge_score: 0.9957805857173887 });
  t.is(pyStrip("\u3000\x1c a b \x85\n"), "a b");
  t.is(pyStrip("\ufeffa"), "\ufeffa"); // not whitespace to Python (JS trim() would strip it)
});

test("paper profile: samsum has no newline stop and no min_length (those are THUDM's pred.py only)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lb-profile-"));
  const row = { input: "Dialogue: A: hi\nSummary: ", context: "ctx", answers: ["Anna says hi."], length: 5, dataset: "samsum", language: "en", all_classes: null, _id: "s1" };
  writeFileSync(join(dir, "samsum.jsonl"), `${JSON.stringify(row)}\n`);
  const [c] = await longbenchSuite.buildCases(longbenchSuite.options.parse({ profile: "paper", dir, datasets: ["samsum"] }), ctxFor(charTokenizer(), "/"));
  t.deepEqual(c?.stopIds, []);
  t.is(c?.minNewTokens, 0);
  t.deepEqual(c?.eosIds, [2]);
  t.is(c?.stopCheckFrom, 1);
});

test("paper profile refuses a chat template or corrected scoring, naming the option", (t) => {
  const chat = longbenchSuite.options.safeParse({ profile: "paper", dir: "x", chatTemplate: "official" });
  t.false(chat.success);
  t.regex(JSON.stringify(chat.error?.issues), /chatTemplate.*the paper profile uses no chat template/);
  const sc = longbenchSuite.options.safeParse({ profile: "paper", dir: "x", scoring: "corrected" });
  t.false(sc.success);
  t.regex(JSON.stringify(sc.error?.issues), /scoring.*official eval\.py/);
  t.true(longbenchSuite.options.safeParse({ profile: "paper", dir: "x", chatTemplate: "off" }).success);
});
