// Prediction/answer groups built deterministically from real LongBench files, for checking our metrics against the
// official Python implementation (official_scores.py in this folder). Predictions are the kinds a model produces and
// the kinds that trip implementations: the answer itself, pieces of it, context slices, empty and blank strings,
// punctuation and case changes, leading newlines, fullwidth digits, long sentences past the recursion limit.
//
//   npx tsx datasets/longbench/parity/pairs.ts <LongBench data folder> > groups.json
//   npx tsx datasets/longbench/parity/pairs.ts --code-sim-boundaries > boundaries.json   (for code_sim_packages.py)
import { writeFileSync } from "node:fs";
import { loadDataset } from "../data.ts";
import type { MetricName } from "../metrics.ts";

export interface PairGroup {
  name: string;
  /** The dataset whose first-line rule applies (eval.py's `dataset`). */
  dataset: string;
  metric: MetricName;
  preds: string[];
  answers: string[][];
  all_classes: string[] | null;
  /** LongBench-E lengths (bucket scores) when present. */
  lengths?: number[];
}

/** Deterministic 32-bit LCG (numerical recipes constants). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== "");

export function buildPairGroups(dir: string): PairGroup[] {
  const r = rng(20240607);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const slice = (s: string, n: number): string => {
    const cps = Array.from(s);
    const start = Math.floor(r() * Math.max(1, cps.length - n));
    return cps.slice(start, start + n).join("");
  };
  const news = loadDataset(dir, "multi_news", "v1").rows;
  const zh = loadDataset(dir, "multifieldqa_zh", "v1").rows;
  const pr = loadDataset(dir, "passage_retrieval_zh", "v1").rows;
  const groups: PairGroup[] = [];

  // English summaries: rouge
  {
    const preds: string[] = [];
    const answers: string[][] = [];
    const lengths: number[] = [];
    for (const row of news) {
      const a = row.answers[0] as string;
      const w = words(a);
      const variants = [
        a,
        w.slice(0, 1 + Math.floor(r() * w.length)).join(" "),
        a.replace(/\./g, ""),
        slice(row.context, 600),
        a.toUpperCase(),
        `\n\n${a}`,
        pick(["", " ", "...", ". ", "a. b. c"]),
      ];
      for (const v of variants) {
        preds.push(v);
        answers.push(row.answers);
        lengths.push(row.length);
      }
    }
    groups.push({ name: "multi_news rouge", dataset: "multi_news", metric: "rouge_score", preds, answers, all_classes: null, lengths });
  }
  // ROUGE recursion limit: one sentence of n distinct words against itself, around the official limit
  {
    const preds: string[] = [];
    const answers: string[][] = [];
    const vocab = words(news.map((x) => x.context).join(" ").replace(/\./g, " "));
    for (const n of [985, 989, 990, 991, 992, 995, 1200]) {
      const s = vocab.slice(0, n).join(" ");
      preds.push(s);
      answers.push([s]);
    }
    groups.push({ name: "rouge recursion", dataset: "gov_report", metric: "rouge_score", preds, answers, all_classes: null });
  }
  // English QA F1 on summary-derived short answers
  {
    const preds: string[] = [];
    const answers: string[][] = [];
    for (const row of news.slice(0, 120)) {
      const w = words(row.answers[0] as string);
      const gold = w.slice(0, 2 + Math.floor(r() * 6)).join(" ");
      for (const v of [gold, `The ${gold}!`, gold.toLowerCase().replace(/[,.]/g, ""), slice(row.context, 80), "", "the a an", `${gold}\nmore`]) {
        preds.push(v);
        answers.push([gold, w.slice(1, 4).join(" ")]);
      }
    }
    groups.push({ name: "qa_f1", dataset: "hotpotqa", metric: "qa_f1_score", preds, answers, all_classes: null });
    groups.push({ name: "triviaqa first line", dataset: "triviaqa", metric: "qa_f1_score", preds, answers, all_classes: null });
  }
  // Chinese QA F1
  {
    const preds: string[] = [];
    const answers: string[][] = [];
    for (const row of zh) {
      const a = row.answers[0] as string;
      for (const v of [a, a.replace(/[。，、]/g, ""), `《${a}》`, `答案：${a}！`, slice(row.context, 40), slice(row.context, 200), "", " "]) {
        preds.push(v);
        answers.push(row.answers);
      }
    }
    groups.push({ name: "qa_f1_zh", dataset: "multifieldqa_zh", metric: "qa_f1_zh_score", preds, answers, all_classes: null });
  }
  // Chinese ROUGE (rouge_zh) with context slices as references, some past the recursion limit
  {
    const preds: string[] = [];
    const answers: string[][] = [];
    for (const row of zh.slice(0, 60)) {
      const ref = slice(row.context, 150 + Math.floor(r() * 300));
      for (const v of [ref, slice(row.context, 200), ref.slice(0, 50), ""]) {
        preds.push(v);
        answers.push([ref]);
      }
    }
    for (const row of zh.slice(60, 66)) {
      const long = Array.from(row.context.replace(/\./g, "")).slice(0, 1700 + Math.floor(r() * 600)).join("");
      preds.push(long);
      answers.push([long]);
    }
    groups.push({ name: "rouge_zh", dataset: "dureader", metric: "rouge_zh_score", preds, answers, all_classes: null });
  }
  // Chinese retrieval and English retrieval / count
  {
    const preds: string[] = [];
    const answers: string[][] = [];
    for (const row of pr) {
      const a = row.answers[0] as string;
      const n = a.replace("段落", "");
      const full = Array.from(n, (d) => String.fromCodePoint((d.codePointAt(0) as number) + 0xfee0)).join("");
      for (const v of [a, `段落${full}`, `答案是段落${n}，不是段落${Math.floor(r() * 30)}`, "无法确定", `${n}${n}`]) {
        preds.push(v);
        answers.push(row.answers);
      }
    }
    groups.push({ name: "retrieval_zh", dataset: "passage_retrieval_zh", metric: "retrieval_zh_score", preds, answers, all_classes: null });
    const enPreds = preds.map((p) => p.replace(/段落/g, "Paragraph ").replace("答案是", "The answer is ").replace("，不是", ", not "));
    const enAnswers = answers.map((as) => as.map((a) => a.replace("段落", "Paragraph ")));
    groups.push({ name: "retrieval_en", dataset: "passage_retrieval_en", metric: "retrieval_score", preds: enPreds, answers: enAnswers, all_classes: null });
    groups.push({
      name: "count",
      dataset: "passage_count",
      metric: "count_score",
      preds: enPreds,
      answers: enAnswers.map((as) => as.map((a) => a.replace("Paragraph ", ""))),
      all_classes: null,
    });
  }
  // code similarity: lines of text standing in for code (the ratio does not care), comment/fence lines skipped
  {
    const preds: string[] = [];
    const answers: string[][] = [];
    const lines = news.flatMap((x) => x.context.split("\n")).filter((l) => l.length > 5 && l.length < 160);
    for (let i = 0; i < 1500; i++) {
      const gold = pick(lines);
      const other = pick(lines);
      const cut = gold.slice(0, Math.floor(r() * gold.length));
      const mixed = cut + other.slice(Math.floor(r() * other.length));
      preds.push(pick([`\n${mixed}`, `# note\n${cut}`, `\`\`\`\n${gold}\n`, `// x\n${other}`, mixed, "", `\n\n${gold}`]));
      answers.push([gold]);
    }
    groups.push({ name: "code_sim", dataset: "lcc", metric: "code_sim_score", preds, answers, all_classes: null });
  }
  // classification with overlapping class names (the official list-mutation skip)
  {
    const classes = ["Other", "Oth", "Other number", "Entity", "Location", "Human being", "Human", "Abbreviation"];
    const preds: string[] = [];
    const answers: string[][] = [];
    for (let i = 0; i < 400; i++) {
      const k = 1 + Math.floor(r() * 3);
      const chosen = Array.from({ length: k }, () => pick(classes));
      preds.push(pick(["", "\n"]) + chosen.join(pick([" ", ", ", "\n"])));
      answers.push([pick(classes)]);
    }
    groups.push({ name: "trec classification", dataset: "trec", metric: "classification_score", preds, answers, all_classes: classes });
  }
  return groups;
}

/**
 * code_sim pairs at the .5 rounding boundaries, where python-Levenshtein 0.12 ((L − d)/L) and ≥ 0.13 (1 − d/L)
 * can round differently: `answer` has n characters, `prediction` is it with d of them deleted, so the indel
 * distance is d and L = 2n − d; kept when 100·d/L is an odd multiple of 0.5. No data folder needed.
 */
export function codeSimBoundaryPairs(): { prediction: string; answer: string }[] {
  const r = rng(20260423);
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 =()";
  const out: { prediction: string; answer: string }[] = [];
  for (let n = 2; n <= 300; n++)
    for (let d = 1; d < n; d++) {
      const L = 2 * n - d;
      if ((200 * d) % L !== 0 || ((200 * d) / L) % 2 !== 1) continue;
      const answer = Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)] ?? "a").join("");
      const order = Array.from({ length: n }, (_, i) => i); // a partial Fisher–Yates picks the d deleted positions
      for (let i = 0; i < d; i++) {
        const j = i + Math.floor(r() * (n - i));
        [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
      }
      const drop = new Set(order.slice(0, d));
      out.push({ prediction: Array.from(answer).filter((_, i) => !drop.has(i)).join(""), answer });
    }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ""))) {
  const dir = process.argv[2];
  if (dir === undefined) throw new Error("usage: pairs.ts <LongBench data folder> | --code-sim-boundaries [out.json]");
  const json = JSON.stringify(dir === "--code-sim-boundaries" ? codeSimBoundaryPairs() : buildPairGroups(dir));
  if (process.argv[3]) writeFileSync(process.argv[3], json);
  else process.stdout.write(`${json}\n`);
}
