import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "gembench.js");
const gembench = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

test("`gembench score longbench` is reachable from the gembench command: JSON on stdout, usage errors exit 2", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lb-cmd-"));
  const file = join(dir, "classes.jsonl");
  // official: the last line's all_classes for the whole file, so line 1 ("A" among ["C", "Dx"]) scores 0
  writeFileSync(file, [{ pred: "A", answers: ["A"], all_classes: ["A", "B"] }, { pred: "C", answers: ["C"], all_classes: ["C", "Dx"] }].map((l) => JSON.stringify(l)).join("\n"));
  const r = gembench("score", "longbench", "--dataset", "trec", "--predictions", file);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { dataset: "trec", metric: "classification_score", variant: "v1", scoring: "official", codeSimVariant: null, score: 50, n: 2 });
  const c = gembench("score", "longbench", "--dataset", "trec", "--predictions", file, "--scoring", "corrected");
  t.is(JSON.parse(c.stdout).score, 100);
  const bad = gembench("score", "longbench", "--dataset", "trec", "--predictions", join(dir, "missing.jsonl"));
  t.is(bad.status, 2);
  t.regex(bad.stderr, /score longbench: predictions file .*missing\.jsonl does not exist/);
});
