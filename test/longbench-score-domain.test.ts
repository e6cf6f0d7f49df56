// `gembench score longbench` follows the official scorer's domain: classification datasets (trec, lsht) with
// "all_classes": null are refused (eval.py raises there; we used to score an exact match 0), an empty prediction file
// is an error (not score null with exit 0), and a UTF-8 byte-order mark is accepted.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { scoreLongbenchCommand } from "../datasets/longbench/score-cli.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "gembench-lb-domain-"));
let n = 0;
function file(text: string): string {
  const p = join(dir, `pred-${n++}.jsonl`);
  writeFileSync(p, text);
  return p;
}
const jsonl = (lines: object[]): string => lines.map((l) => JSON.stringify(l)).join("\n") + "\n";

test("trec / lsht with all_classes null: refused naming the rule, in both scorings", async (t) => {
  const lastNull = file(jsonl([{ pred: "A", answers: ["A"], all_classes: ["A", "B"] }, { pred: "A", answers: ["A"], all_classes: null }]));
  for (const dataset of ["trec", "lsht"]) {
    await t.throwsAsync(scoreLongbenchCommand({ dataset, predictions: lastNull, print: false }), {
      message: `${dataset} is scored with classification_score, which needs "all_classes" (the dataset's class list); the last line's all_classes (used for every line, as eval.py does) is null — the official eval.py raises there`,
    });
  }
  await t.throwsAsync(scoreLongbenchCommand({ dataset: "trec", predictions: lastNull, scoring: "corrected", print: false }), { message: /line 2 has all_classes null/ });
  // Official uses the last line's list for every line, so a null on an earlier line is what eval.py accepts too.
  const firstNull = file(jsonl([{ pred: "A", answers: ["A"], all_classes: null }, { pred: "B", answers: ["B"], all_classes: ["A", "B"] }]));
  t.is((await scoreLongbenchCommand({ dataset: "trec", predictions: firstNull, print: false })).score, 100);
  // Other metrics do not read all_classes: null stays fine there.
  const qa = file(jsonl([{ pred: "Paris", answers: ["Paris"], all_classes: null }]));
  t.is((await scoreLongbenchCommand({ dataset: "triviaqa", predictions: qa, print: false })).score, 100);
});

test("an empty or blank prediction file is an error", async (t) => {
  for (const text of ["", "\n\n  \n"]) {
    await t.throwsAsync(scoreLongbenchCommand({ dataset: "hotpotqa", predictions: file(text), print: false }), { message: /no predictions to score/ });
  }
});

test("a UTF-8 byte-order mark is accepted: the same score as without it", async (t) => {
  const lines = jsonl([{ pred: "Paris", answers: ["Paris"], all_classes: null }, { pred: "Rome", answers: ["Paris"], all_classes: null }]);
  const plain = await scoreLongbenchCommand({ dataset: "hotpotqa", predictions: file(lines), print: false });
  const bom = await scoreLongbenchCommand({ dataset: "hotpotqa", predictions: file(`\uFEFF${lines}`), print: false });
  t.deepEqual(bom, plain);
  t.is(bom.score, 50);
});

test("the command: exit 2 and nothing on stdout for a null class list or an empty file", (t) => {
  for (const [dataset, text] of [["trec", jsonl([{ pred: "A", answers: ["A"], all_classes: null }])], ["hotpotqa", ""]] as const) {
    const r = spawnSync(process.execPath, [bin, "score", "longbench", "--dataset", dataset, "--predictions", file(text)], { encoding: "utf8" });
    t.is(r.status, 2, r.stderr);
    t.is(r.stdout, "");
    t.regex(r.stderr, /^score longbench: /);
  }
});
