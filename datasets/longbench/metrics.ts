// LongBench v1 metrics, reimplemented to give exactly the official numbers (LongBench metrics.py with rouge 1.0.1,
// jieba, fuzzywuzzy + python-Levenshtein). Every quirk listed in README.md ("Metrics") is reproduced on purpose;
// `scoring: "corrected"` switches off only the ones that are bugs rather than definitions.
import { distance as fuzzDistance } from "fuzzball";
import { jiebaCut } from "./jieba.ts";
import { isPyWhitespace, pySplit, roundHalfEven } from "./pycompat.ts";

export type ScoringVariant = "official" | "corrected";

/** How fuzz.ratio's underlying similarity is computed (depends on what the official user had installed). */
export const CODE_SIM_VARIANTS = ["levenshtein", "levenshtein-0.12", "difflib"] as const;
export type CodeSimVariant = (typeof CODE_SIM_VARIANTS)[number];
/** Default: python-Levenshtein ≥ 0.13 (today's `pip install python-Levenshtein`): ratio = 1 − d/L. */
export const DEFAULT_CODE_SIM_VARIANT: CodeSimVariant = "levenshtein";

export interface MetricOptions {
  scoring?: ScoringVariant;
  allClasses?: readonly string[] | null;
  codeSimVariant?: CodeSimVariant;
}

export type MetricName =
  | "qa_f1_score"
  | "qa_f1_zh_score"
  | "rouge_score"
  | "rouge_zh_score"
  | "classification_score"
  | "retrieval_score"
  | "retrieval_zh_score"
  | "count_score"
  | "code_sim_score";

// ---------------------------------------------------------------- English token F1

const ASCII_PUNCT = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
// Python's Unicode \b: word characters are letters, numbers (any Unicode category N) and underscore.
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/** LongBench normalize_answer: lower, drop ASCII punctuation, articles → space, collapse whitespace. */
export function normalizeAnswer(s: string): string {
  let t = s.toLowerCase();
  t = Array.from(t)
    .filter((ch) => !ASCII_PUNCT.has(ch))
    .join("");
  t = t.replace(ARTICLES, " ");
  return pySplit(t).join(" ");
}

// Python's full set of Chinese punctuation in normalize_zh_answer (note: 》 is there, 《 and ． are not).
const CN_PUNCT =
  "！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏.";
const ZH_PUNCT = new Set<string>([...ASCII_PUNCT, ...Array.from(CN_PUNCT)]);

/** LongBench normalize_zh_answer: lower, drop ASCII + listed Chinese punctuation, remove all whitespace. */
export function normalizeZhAnswer(s: string): string {
  const t = Array.from(s.toLowerCase())
    .filter((ch) => !ZH_PUNCT.has(ch))
    .join("");
  return pySplit(t).join("");
}

/** Counter-intersection F1; 0 when nothing is shared (so empty vs empty is 0, not 1). */
export function tokenF1(pred: readonly string[], gold: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const t of gold) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of pred) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = (1.0 * same) / pred.length;
  const recall = (1.0 * same) / gold.length;
  return (2 * precision * recall) / (precision + recall);
}

export function qaF1Score(prediction: string, groundTruth: string): number {
  return tokenF1(pySplit(normalizeAnswer(prediction)), pySplit(normalizeAnswer(groundTruth)));
}

export { jiebaCut };

export function qaF1ZhScore(prediction: string, groundTruth: string): number {
  const p = jiebaCut(prediction)
    .map(normalizeZhAnswer)
    .filter((t) => t.length > 0);
  const g = jiebaCut(groundTruth)
    .map(normalizeZhAnswer)
    .filter((t) => t.length > 0);
  return tokenF1(p, g);
}

// ---------------------------------------------------------------- ROUGE-L (rouge 1.0.1, summary level)

/**
 * Frames the official call chain puts on the Python stack before the first recursive LCS-trace call
 * (<module>, scorer, rouge_score, get_scores, _get_avg_scores, lambda, rouge_l_summary_level, _union_lcs,
 * _recon_lcs): with the default recursion limit 1000 at most 991 nested trace calls succeed; rouge_zh_score adds
 * one frame (990). Matches the limits measured against the real package (LONGBENCH-SCORING.md item 3).
 */
export const ROUGE_MAX_TRACE_DEPTH = 991;
export const ROUGE_ZH_MAX_TRACE_DEPTH = 990;

class RougeRecursionError extends Error {}
class RougeEmptyError extends Error {}

/** The package's sentence preparation: split on ASCII '.', drop empty pieces, collapse whitespace. */
export function rougeSentences(text: string): string[] {
  return text
    .split(".")
    .filter((s) => s.length > 0)
    .map((s) => pySplit(s).join(" "));
}

/** LCS trace as the package's _recon does it (x = reference words, y = hypothesis words); returns words and depth. */
export function reconLcs(x: readonly string[], y: readonly string[]): { words: string[]; depth: number } {
  const n = x.length;
  const m = y.length;
  const w = m + 1;
  const table = new Int32Array((n + 1) * (m + 1));
  for (let i = 1; i <= n; i++) {
    const xi = x[i - 1];
    for (let j = 1; j <= m; j++) {
      if (xi === y[j - 1]) table[i * w + j] = (table[(i - 1) * w + j - 1] as number) + 1;
      else {
        const up = table[(i - 1) * w + j] as number;
        const left = table[i * w + j - 1] as number;
        table[i * w + j] = up > left ? up : left;
      }
    }
  }
  const words: string[] = [];
  let i = n;
  let j = m;
  let depth = 1; // the call that reaches i == 0 or j == 0 counts too
  while (i > 0 && j > 0) {
    depth++;
    if (x[i - 1] === y[j - 1]) {
      words.push(x[i - 1] as string);
      i--;
      j--;
    } else if ((table[(i - 1) * w + j] as number) > (table[i * w + j - 1] as number)) i--;
    else j--;
  }
  words.reverse();
  return { words, depth };
}

function rougeLSummary(hyp: string[], ref: string[], maxDepth: number | null): number {
  if (hyp.length === 0 || ref.length === 0) throw new RougeEmptyError("Collections must contain at least 1 sentence.");
  const words = (sents: string[]): string[] => sents.flatMap((s) => s.split(" "));
  const m = new Set(words(ref)).size;
  const n = new Set(words(hyp)).size;
  const union = new Set<string>();
  for (const r of ref) {
    const rw = r.split(" ");
    for (const h of hyp) {
      const { words: lcs, depth } = reconLcs(rw, h.split(" "));
      if (maxDepth !== null && depth > maxDepth) throw new RougeRecursionError("maximum recursion depth exceeded");
      for (const t of lcs) union.add(t);
    }
  }
  const llcs = union.size;
  const r = llcs / m;
  const p = llcs / n;
  return 2.0 * ((p * r) / (p + r + 1e-8));
}

/**
 * Official rouge_score: Rouge().get_scores([pred], [gt], avg=True)["rouge-l"]["f"], any exception → 0.
 * rouge-1/-2 are computed too by the package; they only raise on empty input, which ROUGE-L also raises on.
 */
function rougeCore(prediction: string, groundTruth: string, maxDepth: number | null): number {
  try {
    return rougeLSummary(rougeSentences(prediction), rougeSentences(groundTruth), maxDepth);
  } catch (e) {
    if (e instanceof RougeEmptyError || e instanceof RougeRecursionError) return 0.0;
    throw e;
  }
}

export function rougeScore(prediction: string, groundTruth: string, scoring: ScoringVariant = "official"): number {
  return rougeCore(prediction, groundTruth, scoring === "official" ? ROUGE_MAX_TRACE_DEPTH : null);
}

export function rougeZhScore(prediction: string, groundTruth: string, scoring: ScoringVariant = "official"): number {
  const p = jiebaCut(prediction).join(" ");
  const g = jiebaCut(groundTruth).join(" ");
  return rougeCore(p, g, scoring === "official" ? ROUGE_ZH_MAX_TRACE_DEPTH : null);
}

// ---------------------------------------------------------------- classification

/**
 * Official classification_score. Quirks kept under "official": items are removed from the list being iterated, so
 * the item after each removal is never checked (Python list iteration by index), and `.remove` drops the first equal
 * item. The official `if em_match_list != 0` is always true, so its difflib fallback never runs (not reproduced).
 */
export function classificationScore(
  prediction: string,
  groundTruth: string,
  allClasses: readonly string[],
  scoring: ScoringVariant = "official",
): number {
  const matches: string[] = allClasses.filter((c) => prediction.includes(c));
  if (scoring === "official") {
    for (let i = 0; i < matches.length; i++) {
      const term = matches[i] as string;
      if (groundTruth.includes(term) && term !== groundTruth) matches.splice(matches.indexOf(term), 1);
    }
  } else {
    const keep = matches.filter((t) => !(groundTruth.includes(t) && t !== groundTruth));
    matches.splice(0, matches.length, ...keep);
  }
  return matches.includes(groundTruth) ? 1.0 / matches.length : 0.0;
}

// ---------------------------------------------------------------- count / retrieval

/** Python's re \d+ on str: any Unicode decimal digit (fullwidth, Arabic-Indic, …). */
const DIGITS = /\p{Nd}+/gu;

function fractionEqual(prediction: string, target: string): number {
  const numbers = prediction.match(DIGITS) ?? [];
  let right = 0;
  for (const num of numbers) if (num === target) right++;
  return numbers.length === 0 ? 0.0 : right / numbers.length;
}

export function countScore(prediction: string, groundTruth: string): number {
  return fractionEqual(prediction, groundTruth);
}

export class RetrievalAnswerError extends Error {}

function retrievalTarget(groundTruth: string, pattern: RegExp, label: string): string {
  const m = pattern.exec(groundTruth);
  if (!m || m[1] === undefined) {
    throw new RetrievalAnswerError(
      `LongBench retrieval answer ${JSON.stringify(groundTruth.slice(0, 80))} has no "${label}N" paragraph number ` +
        `(the official script crashes here with IndexError); check that the answers come from the ${label === "段落" ? "passage_retrieval_zh" : "passage_retrieval_en"} file`,
    );
  }
  return m[1];
}

export function retrievalScore(prediction: string, groundTruth: string): number {
  return fractionEqual(prediction, retrievalTarget(groundTruth, /Paragraph (\p{Nd}+)/u, "Paragraph "));
}

export function retrievalZhScore(prediction: string, groundTruth: string): number {
  return fractionEqual(prediction, retrievalTarget(groundTruth, /段落(\p{Nd}+)/u, "段落"));
}

// ---------------------------------------------------------------- code similarity

/** Indel distance (insertions + deletions; a substitution costs 2, as python-Levenshtein's ratio) over code points. */
// subcost is a documented fuzzball option its typings leave out
const INDEL_OPTIONS: NonNullable<Parameters<typeof fuzzDistance>[2]> & { subcost: number } = { full_process: false, astral: true, subcost: 2 };
function indelDistance(a: string, b: string): number {
  return fuzzDistance(a, b, INDEL_OPTIONS);
}

/**
 * difflib.SequenceMatcher(None, a, b).ratio() (what fuzzywuzzy falls back to without python-Levenshtein): matching
 * blocks found greedily by longest match (ties: earliest in a, then b), recursing left and right of each; with the
 * "autojunk" heuristic: when b has ≥ 200 items, items occurring more than ⌊n/100⌋ + 1 times are not indexed (but a
 * found match may still extend over them). ratio = 2·M / (len a + len b).
 */
export function difflibRatio(a: readonly string[], b: readonly string[]): number {
  const la = a.length;
  const lb = b.length;
  if (la + lb === 0) return 1.0;
  const b2j = new Map<string, number[]>();
  b.forEach((elt, j) => {
    const l = b2j.get(elt);
    if (l) l.push(j);
    else b2j.set(elt, [j]);
  });
  if (lb >= 200) {
    const ntest = Math.floor(lb / 100) + 1;
    for (const [elt, idxs] of [...b2j]) if (idxs.length > ntest) b2j.delete(elt);
  }
  const longest = (alo: number, ahi: number, blo: number, bhi: number): [number, number, number] => {
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map<number, number>();
    for (let i = alo; i < ahi; i++) {
      const next = new Map<number, number>();
      for (const j of b2j.get(a[i] as string) ?? []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) ?? 0) + 1;
        next.set(j, k);
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
      j2len = next;
    }
    // no junk function, so every element is "non-junk": extend over equal (possibly popular) neighbours
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
      besti--;
      bestj--;
      bestsize++;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) bestsize++;
    return [besti, bestj, bestsize];
  };
  let matches = 0;
  const queue: [number, number, number, number][] = [[0, la, 0, lb]];
  while (queue.length > 0) {
    const [alo, ahi, blo, bhi] = queue.pop() as [number, number, number, number];
    const [i, j, k] = longest(alo, ahi, blo, bhi);
    if (k > 0) {
      matches += k;
      if (alo < i && blo < j) queue.push([alo, i, blo, j]);
      if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
    }
  }
  return (2.0 * matches) / (la + lb);
}

/**
 * fuzzywuzzy fuzz.ratio: identical strings → 100 (even two empty ones), one empty side → 0, else
 * round-half-even(100 · ratio) with ratio from python-Levenshtein: ≥0.13 computes 1 − d/L, 0.12 computes (L − d)/L
 * (mathematically equal, different last bits, which matters at .5 boundaries); "difflib" = no python-Levenshtein.
 */
export function fuzzRatio(s1: string, s2: string, variant: CodeSimVariant = DEFAULT_CODE_SIM_VARIANT): number {
  if (s1 === s2) return 100;
  const a = Array.from(s1);
  const b = Array.from(s2);
  if (a.length === 0 || b.length === 0) return 0;
  if (variant === "difflib") return roundHalfEven(100 * difflibRatio(a, b));
  const L = a.length + b.length;
  const d = indelDistance(s1, s2);
  const ratio = variant === "levenshtein-0.12" ? (L - d) / L : 1 - d / L;
  return roundHalfEven(100 * ratio);
}

/** The first line (after stripping leading "\n") containing none of ` # // ; "" if none. */
export function firstCodeLine(prediction: string): string {
  for (const line of lstripChars(prediction, "\n").split("\n")) {
    if (!line.includes("`") && !line.includes("#") && !line.includes("//")) return line;
  }
  return "";
}

export function codeSimScore(prediction: string, groundTruth: string, variant: CodeSimVariant = DEFAULT_CODE_SIM_VARIANT): number {
  return fuzzRatio(firstCodeLine(prediction), groundTruth, variant) / 100;
}

// ---------------------------------------------------------------- dispatch

export function lstripChars(s: string, chars: string): string {
  let i = 0;
  while (i < s.length && chars.includes(s[i] as string)) i++;
  return s.slice(i);
}

/** Datasets whose prediction is cut to its first line before scoring (only leading "\n" stripped). */
export const FIRST_LINE_DATASETS: ReadonlySet<string> = new Set(["trec", "triviaqa", "samsum", "lsht"]);

export function firstLine(prediction: string): string {
  return lstripChars(prediction, "\n").split("\n")[0] ?? "";
}

export function metricValue(metric: MetricName, prediction: string, groundTruth: string, opts: MetricOptions = {}): number {
  const scoring = opts.scoring ?? "official";
  switch (metric) {
    case "qa_f1_score":
      return qaF1Score(prediction, groundTruth);
    case "qa_f1_zh_score":
      return qaF1ZhScore(prediction, groundTruth);
    case "rouge_score":
      return rougeScore(prediction, groundTruth, scoring);
    case "rouge_zh_score":
      return rougeZhScore(prediction, groundTruth, scoring);
    case "classification_score":
      return classificationScore(prediction, groundTruth, opts.allClasses ?? [], scoring);
    case "retrieval_score":
      return retrievalScore(prediction, groundTruth);
    case "retrieval_zh_score":
      return retrievalZhScore(prediction, groundTruth);
    case "count_score":
      return countScore(prediction, groundTruth);
    case "code_sim_score":
      return codeSimScore(prediction, groundTruth, opts.codeSimVariant);
  }
}

/** One sample as eval.py scores it: first-line rule, then max over the reference answers (starting from 0). */
export function scoreSample(
  dataset: string,
  metric: MetricName,
  prediction: string,
  answers: readonly string[],
  opts: MetricOptions = {},
): number {
  const pred = FIRST_LINE_DATASETS.has(dataset) ? firstLine(prediction) : prediction;
  let score = 0.0;
  for (const gt of answers) score = Math.max(score, metricValue(metric, pred, gt, opts));
  return score;
}

export { isPyWhitespace };
