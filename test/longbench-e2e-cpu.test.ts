import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GemRecord } from "../core/records.ts";
import { datasetScore } from "../datasets/longbench/aggregate.ts";
import { infoFor } from "../datasets/longbench/catalog.ts";
import { H2O_INPUT_CAP } from "../datasets/longbench/index.ts";
import { scoreSample } from "../datasets/longbench/metrics.ts";
import { longbenchCells } from "../reports/aggregate.ts";
import { summaryMarkdown } from "../reports/longbench-markdown.ts";
import { NEED, needsShared, SHARED_LONGBENCH, STORIES } from "./helpers/shared.ts";
import { gembenchRun, runRecords } from "./helpers/gembench-run.ts";

// A user's run: `gembench run <config>` on the CPU with the real tiny HF model stories260K (512 positions, real
// tokenizer, no chat template), a handful of real cases from the shared files (English and Chinese), all methods.
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const model = STORIES;
const runner = process.env.GEMBENCH_RUNNER ?? join(root, "engines", "native", "build", "gem-runner");
const DATASETS = ["multi_news", "multifieldqa_zh", "passage_retrieval_zh"];
const METHODS = ["dense", "gemfilter", "snapkv", "h2o"];

needsShared([NEED.longbench, NEED.stories])("end to end on the CPU: every case completes with its protocol recorded, official per-case scores, per-dataset summary", (t) => {
  if (!existsSync(runner)) return t.pass(`runner binary ${runner} absent (npm run build:native): skipping the end-to-end LongBench run`);
  const dir = mkdtempSync(join(tmpdir(), "gembench-lb-e2e-"));
  const config = {
    name: "longbench-e2e",
    models: [{ id: model, name: "stories260K" }],
    engines: [
      { method: "dense", params: {} },
      { method: "gemfilter", params: { filterLayer: 2, k: 64 } },
      { method: "snapkv", params: { k: 64 } },
      { method: "h2o", params: { k: 64 } },
    ],
    suites: [{ name: "longbench", options: { dir: SHARED_LONGBENCH, datasets: DATASETS, limit: 2 } }],
  };
  const r = gembenchRun(config, dir, 110_000);
  t.is(r.status, 0, r.stderr.slice(-2000));
  const records: GemRecord[] = runRecords(r.out);
  t.is(records.length, DATASETS.length * 2 * METHODS.length);
  t.deepEqual([...new Set(records.map((x) => x.method.name))].sort(), [...METHODS].sort());
  for (const rec of records) {
    const name = rec.dataset;
    const info = infoFor(name);
    const where = `${rec.method.label} ${rec.caseId}`;
    t.is(rec.status, "completed", where);
    // the protocol of every record: official prompts, middle truncation to a budget that fits the 512-token model
    t.like(rec.protocol, { benchmark: "LongBench", promptSource: "official", profile: "longbench", chatTemplate: "off", chatTemplateMode: "off", truncation: "middle", truncated: true, scoring: "official", h2oInputCap: H2O_INPUT_CAP }, where);
    t.is(rec.protocol.maxNewTokensOfficial, { multi_news: 512, multifieldqa_zh: 64, passage_retrieval_zh: 32 }[name], where);
    // The budget bounds the truncation, not the re-encoded prompt: as in Python, a cut inside a run of byte tokens
    // decodes to one U+FFFD per byte, and stories260K (no CJK pieces) re-encodes each U+FFFD as 3 byte tokens. What
    // must hold is that prompt + output fit the model (next line).
    t.true(typeof rec.protocol.truncationBudget === "number" && (rec.protocol.truncationBudget as number) >= 2, where);
    t.true(rec.inputLength + (rec.protocol.maxNewTokens as number) <= 512, where);
    t.like(rec.caseMeta, { dataset: name, category: info.category, language: name === "multi_news" ? "en" : "zh", metric: info.metric }, where);
    // one score under the dataset's metric, in [0, 1], equal to the official metric on the recorded output
    t.deepEqual(Object.keys(rec.scores), [info.metric], where);
    const s = rec.scores[info.metric] as number;
    t.true(s >= 0 && s <= 1, where);
    t.is(s, scoreSample(name, info.metric, rec.output?.text ?? "", rec.references), where);
  }
  // summaries: per cell, the three datasets with 2 cases each, official dataset scores, their categories, H2O noted
  const cells = longbenchCells(records);
  t.is(cells.length, METHODS.length);
  for (const c of cells) {
    t.deepEqual(Object.keys(c.summary.datasets).sort(), [...DATASETS].sort());
    for (const d of DATASETS) {
      const scores = records.filter((x) => x.cellKey === c.cellKey && x.dataset === d).map((x) => Object.values(x.scores)[0] as number);
      t.deepEqual(c.summary.datasets[d], { score: datasetScore(scores), n: 2 });
    }
    t.deepEqual(Object.keys(c.summary.categories).sort(), ["single-doc QA", "summarization", "synthetic"]);
  }
  t.true(summaryMarkdown(records).includes(`H2O input length: ${H2O_INPUT_CAP}`));
});
