import test from "ava";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDataset, loadPromptConfig, pyFormat } from "../datasets/longbench/data.ts";
import { longbenchSuite } from "../datasets/longbench/index.ts";
import { charTokenizer, ctxFor } from "./helpers/longbench.ts";
import { NEED, needsShared, SHARED_LONGBENCH } from "./helpers/shared.ts";

const lbTest = needsShared([NEED.longbench]);

const row = (o: Record<string, unknown> = {}): string =>
  JSON.stringify({ input: "q?", context: "ctx", answers: ["a"], length: 3, dataset: "hotpotqa", language: "en", all_classes: null, _id: "id1", ...o });

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lb-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

lbTest("loader: real LongBench files (200 rows each, all fields) and the official config files", (t) => {
  for (const name of ["multi_news", "multifieldqa_zh", "passage_retrieval_zh"]) {
    const { rows, skipped } = loadDataset(SHARED_LONGBENCH, name, "v1");
    t.is(rows.length, 200, name);
    t.is(skipped, 0);
    t.true(rows.every((r) => r.dataset === name && r.answers.length > 0 && r.all_classes === null));
  }
  const mf = loadDataset(SHARED_LONGBENCH, "multifieldqa_zh", "v1").rows[0];
  t.is(mf?.answers[0], "厦门大学。");
  t.is(mf?.length, 9593);
  t.is(mf?.language, "zh");
  const pc = loadPromptConfig(SHARED_LONGBENCH);
  t.is(pc.promptSource, "official");
  t.is(pc.maxLen.multi_news, 512);
  t.is(pc.maxLen.passage_retrieval_zh, 32);
  t.true(pc.prompts.lcc?.endsWith("Next line of code:\n"));
});

test("loader: missing folder / file → message saying what to download and where", (t) => {
  const e1 = t.throws(() => loadDataset("/nonexistent/LongBench", "qasper", "v1"));
  t.regex(e1?.message ?? "", /does not exist.*data\.zip/s);
  const dir = tempDir({ "qasper.jsonl": row() });
  const e2 = t.throws(() => loadDataset(dir, "qasper", "e"));
  t.regex(e2?.message ?? "", /qasper_e\.jsonl not found.*huggingface\.co\/datasets\/THUDM\/LongBench/s);
  // files under data/ (as data.zip unpacks) are found too
  const dir2 = tempDir({ "data/qasper_e.jsonl": row() });
  t.is(loadDataset(dir2, "qasper", "e").rows.length, 1);
});

test("loader: malformed lines → error with file:line, or skipped and counted with skipMalformed", (t) => {
  const text = [row(), "{not json", row({ answers: "a" }), "", row({ _id: "id4" })].join("\n");
  const dir = tempDir({ "hotpotqa.jsonl": text });
  const file = join(dir, "hotpotqa.jsonl");
  const e = t.throws(() => loadDataset(dir, "hotpotqa", "v1"));
  t.true(e?.message.startsWith(`${file}:2: malformed LongBench line: invalid JSON`));
  const fixed = tempDir({ "hotpotqa.jsonl": [row(), row({ answers: "a" })].join("\n") });
  t.regex(t.throws(() => loadDataset(fixed, "hotpotqa", "v1"))?.message ?? "", /hotpotqa\.jsonl:2: .*"answers" must be a non-empty array/);
  const r = loadDataset(dir, "hotpotqa", "v1", true);
  t.is(r.skipped, 2);
  t.deepEqual(r.rows.map((x) => [x._id, x.line]), [["id1", 1], ["id4", 5]]);
});

test("loader: without dataset2prompt.json, built-in prompts are used and every case says so", async (t) => {
  const dir = tempDir({ "hotpotqa.jsonl": [row(), row({ _id: "id2" })].join("\n") });
  const logs: string[] = [];
  const cases = await longbenchSuite.buildCases(
    { profile: "longbench", dir, datasets: ["hotpotqa"], variant: "v1", chatTemplate: "off", scoring: "official", codeSimVariant: "levenshtein", skipMalformed: false },
    ctxFor(charTokenizer(), "/", 131072, logs),
  );
  t.is(cases.length, 2);
  t.true(cases.every((c) => c.protocol.promptSource === "builtin (non-official)"));
  t.true(logs.some((l) => l.includes("NON-OFFICIAL")));
  t.is(cases[0]?.maxNewTokens, 32);
});

test("prompt formatting follows str.format: {field} substituted once, {{ }} escaped", (t) => {
  t.is(pyFormat("A {context} B {input} {{x}}", { context: "{input}", input: "Q" }), "A {input} B Q {x}");
  t.throws(() => pyFormat("{missing}", {}), { message: /KeyError/ });
});
