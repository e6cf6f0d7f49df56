import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDataset } from "../datasets/longbench/data.ts";
import { jiebaCut } from "../datasets/longbench/jieba.ts";
import { NEED, needsShared, SHARED_LONGBENCH } from "./helpers/shared.ts";

const lbTest = needsShared([NEED.longbench]);

// Fingerprints of Python jieba 0.42.1's tokens, written by datasets/longbench/parity/jieba_fingerprints.py (see
// there for the format): every input, context and answer of the shared zh files, 1,000 texts, 2.4M tokens.
const here = dirname(fileURLToPath(import.meta.url));
const expected = JSON.parse(readFileSync(join(here, "..", "datasets", "longbench", "parity", "jieba-shared-files.json"), "utf8")) as {
  jieba: string;
  files: Record<string, Record<string, string>>;
};

function fingerprint(texts: string[]): string {
  const h = createHash("sha256");
  texts.forEach((text, i) => {
    if (i > 0) h.update("|");
    for (const tok of jiebaCut(text)) h.update(`${Array.from(tok).length}:${tok}`);
  });
  return h.digest("hex").slice(0, 16);
}

lbTest("jieba: token for token equal to Python jieba 0.42.1 on every text of the shared zh files", (t) => {
  t.is(expected.jieba, "0.42.1");
  for (const name of ["multifieldqa_zh", "passage_retrieval_zh"]) {
    const want = expected.files[`${name}.jsonl`] ?? {};
    const rows = loadDataset(SHARED_LONGBENCH, name, "v1").rows;
    t.is(rows.length, Object.keys(want).length, name);
    const differing = rows.filter((r) => fingerprint([r.input, r.context, ...r.answers]) !== want[String(r.line)]).map((r) => r.line);
    t.deepEqual(differing, [], `${name}: lines whose tokens differ from Python's`);
  }
});
