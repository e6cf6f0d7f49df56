// Options that do not apply are refused with a message naming the option, never silently ignored: a LongBench-E score
// of a dataset without a LongBench-E version, --code-sim-variant on another metric, a weight seed on a model folder,
// and NIAH options of another variant or length rule. (Method parameters a method does not take were already refused.)
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import test from "ava";
import { suites } from "../datasets/index.ts";
import { scoreLongbenchCommand } from "../datasets/longbench/score-cli.ts";
import { ConfigError, parseConfig } from "../harness/config.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "gembench-not-applicable-"));
const preds = join(dir, "preds.jsonl");
writeFileSync(preds, `${JSON.stringify({ pred: "a", answers: ["a"], all_classes: null, length: 100 })}\n`);

test("score longbench --e on a dataset LongBench-E does not have: exit 2 naming it and the ones it has", (t) => {
  const r = spawnSync(process.execPath, [bin, "score", "longbench", "--dataset", "narrativeqa", "--predictions", preds, "--e"], { encoding: "utf8", timeout: 60_000 });
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /narrativeqa has no LongBench-E version \(LongBench-E has qasper, multifieldqa_en, .*\): drop --e/);
  t.is(r.stdout, "");
});

test("score longbench: the _e suffix on such a dataset, and --code-sim-variant on a non-code dataset, are refused", async (t) => {
  await t.throwsAsync(scoreLongbenchCommand({ dataset: "musique_e", predictions: preds, print: false }), { message: /musique has no LongBench-E version .*: drop --e and the "_e" suffix/ });
  await t.throwsAsync(scoreLongbenchCommand({ dataset: "qasper", predictions: preds, codeSimVariant: "difflib", print: false }), {
    message: "--code-sim-variant applies to the code_sim_score datasets only; qasper is scored with qa_f1_score",
  });
  const e = await scoreLongbenchCommand({ dataset: "qasper_e", predictions: preds, print: false });
  t.is(e.variant, "e");
  const code = await scoreLongbenchCommand({ dataset: "lcc", predictions: preds, codeSimVariant: "difflib", print: false });
  t.is(code.codeSimVariant, "fuzzywuzzy-ratio/difflib");
});

const problems = (v: object): string[] => {
  try {
    parseConfig(v, { source: "c.json", baseDir: dir, suites });
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems;
  }
};
const base = { name: "n", models: ["synthetic:tiny-llama"], engines: [{ method: "dense" }] };
const niah = (options: object) => ({ ...base, suites: [{ name: "niah", options }] });

test("config: a weight seed on a model folder", (t) => {
  t.deepEqual(problems({ ...base, models: [{ id: "some/folder", seed: 3 }], suites: [{ name: "niah" }] }), [
    "models[0].seed: only synthetic models take a weight seed (a folder's weights are its files)",
  ]);
  t.deepEqual(problems({ ...base, models: [{ id: "synthetic:tiny-llama", seed: 3 }], suites: [{ name: "niah" }] }), []);
});

test("config: NIAH options of another variant or length rule, each named", (t) => {
  t.deepEqual(problems(niah({ variant: "passkey", numNeedles: 8, question: "q?" })), [
    "suites[0].options.numNeedles: applies to the multi and multikey variants; the passkey variant has one needle",
    "suites[0].options.question: applies to the single variant only; the passkey variant asks for its pass key",
  ]);
  t.deepEqual(problems(niah({ variant: "multi", retrievalAnswer: "x" })), ["suites[0].options.retrievalAnswer: applies to the single variant only; the multi variant asks for its key's value"]);
  t.deepEqual(problems(niah({ contextBuffer: 100 })), ['suites[0].options.contextBuffer: applies with lengthSemantics "paper" (or the paper profile) only']);
  t.deepEqual(problems(niah({ chatTemplate: true, addBos: true })), ["suites[0].options.addBos: with chatTemplate the template's own text carries BOS; remove addBos"]);
  // Where they apply they are taken.
  t.deepEqual(problems(niah({ variant: "multikey", numNeedles: 8 })), []);
  t.deepEqual(problems(niah({ lengthSemantics: "paper", contextBuffer: 100, question: "q?" })), []);
  t.deepEqual(problems(niah({ profile: "paper", contextBuffer: 100 })), []);
});
