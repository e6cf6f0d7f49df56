import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bucketScores, datasetScore } from "../datasets/longbench/aggregate.ts";
import { scoreSample, type CodeSimVariant } from "../datasets/longbench/metrics.ts";
import { buildPairGroups } from "../datasets/longbench/parity/pairs.ts";
import { NEED, needsShared, SHARED_LONGBENCH } from "./helpers/shared.ts";

const lbTest = needsShared([NEED.longbench]);

// Fingerprints of the official scoring (LongBench metrics.py under Python 3.11 with jieba 0.42.1, fuzzywuzzy 0.18
// with python-Levenshtein 0.12.2 or its difflib fallback, rouge, numpy) on 10,000+ prediction/answer pairs built
// from the shared files by pairs.ts; regenerate with parity/official_scores.py when pairs.ts changes.
type Entry = { n: number; sha256: string; score: number; buckets?: Record<string, number | null> };
const here = dirname(fileURLToPath(import.meta.url));
const official = JSON.parse(readFileSync(join(here, "..", "datasets", "longbench", "parity", "official-scores.json"), "utf8")) as {
  groups: Record<string, Record<string, Entry>>;
};

const VARIANTS: CodeSimVariant[] = ["levenshtein-0.12", "difflib"];

lbTest("every per-sample score, dataset score and LongBench-E bucket equals the official scripts' bit for bit", (t) => {
  const groups = buildPairGroups(SHARED_LONGBENCH);
  for (const variant of VARIANTS) {
    const want = official.groups[variant] ?? {};
    t.deepEqual(groups.map((g) => g.name).sort(), Object.keys(want).sort());
    for (const g of groups) {
      const per = g.preds.map((p, i) => scoreSample(g.dataset, g.metric, p, g.answers[i] ?? [], { allClasses: g.all_classes, codeSimVariant: variant }));
      const h = createHash("sha256");
      const buf = new DataView(new ArrayBuffer(8));
      for (const s of per) {
        buf.setFloat64(0, s);
        h.update(new Uint8Array(buf.buffer));
      }
      const got: Entry = { n: per.length, sha256: h.digest("hex"), score: datasetScore(per) };
      if (g.lengths) {
        const b = bucketScores(per.map((score, i) => ({ score, length: g.lengths?.[i] ?? 0 })));
        got.buckets = Object.fromEntries(Object.entries(b).map(([k, v]) => [k, Number.isNaN(v) ? null : v]));
      }
      t.deepEqual(got, want[g.name], `${variant} / ${g.name}`);
    }
  }
});
