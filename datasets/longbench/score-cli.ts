// Scoring predictions made elsewhere (e.g. published LongBench prediction files: lines with pred, answers, all_classes,
// optional length) exactly as eval.py does; `gembench score longbench` (cli/score.ts) is its command line.

import { MAX_BYTES, readTextFile } from "../../core/files.ts";
import { E_DATASETS, infoFor, type LengthBucket } from "./catalog.ts";
import { bucketScores, datasetScore } from "./aggregate.ts";
import { DEFAULT_CODE_SIM_VARIANT, scoreSample, type CodeSimVariant, type ScoringVariant } from "./metrics.ts";

export interface ScoreLongbenchOptions {
  dataset: string;
  predictions: string;
  variant?: "v1" | "e";
  scoring?: ScoringVariant;
  codeSimVariant?: CodeSimVariant;
  /** Print the JSON result to stdout (default true). */
  print?: boolean;
}

export interface ScoreLongbenchResult {
  dataset: string;
  metric: string;
  variant: "v1" | "e";
  scoring: ScoringVariant;
  codeSimVariant: string | null;
  score: number | null;
  n: number;
  buckets?: Record<LengthBucket, number | null>;
}

interface PredLine {
  pred: string;
  answers: string[];
  all_classes: string[] | null;
  length?: number;
}

export function parsePredictions(file: string, text: string): PredLine[] {
  const out: PredLine[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, "");
    if (raw.trim() === "") continue;
    let o: unknown;
    try {
      o = JSON.parse(raw);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: invalid JSON (${(e as Error).message})`);
    }
    const r = o as Record<string, unknown>;
    if (typeof o !== "object" || o === null || Array.isArray(o)) throw new Error(`${file}:${i + 1}: not a JSON object`);
    if (typeof r.pred !== "string") throw new Error(`${file}:${i + 1}: "pred" must be a string`);
    if (!Array.isArray(r.answers) || !r.answers.every((a) => typeof a === "string")) {
      throw new Error(`${file}:${i + 1}: "answers" must be an array of strings`);
    }
    if (!("all_classes" in r)) throw new Error(`${file}:${i + 1}: "all_classes" missing (eval.py reads it from every line: the class list for trec/lsht, null for the others)`);
    const ac = r.all_classes;
    if (ac !== null && !(Array.isArray(ac) && ac.every((a) => typeof a === "string"))) {
      throw new Error(`${file}:${i + 1}: "all_classes" must be null or an array of strings`);
    }
    if (r.length !== undefined && typeof r.length !== "number") throw new Error(`${file}:${i + 1}: "length" must be a number`);
    const line: PredLine = { pred: r.pred, answers: r.answers as string[], all_classes: ac as string[] | null };
    if (typeof r.length === "number") line.length = r.length;
    out.push(line);
  }
  return out;
}

const nanToNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

export function scorePredictions(lines: readonly PredLine[], opts: Omit<ScoreLongbenchOptions, "predictions">): ScoreLongbenchResult {
  const dataset = opts.dataset.replace(/_e$/, "");
  const info = infoFor(dataset);
  const variant = opts.variant ?? (opts.dataset.endsWith("_e") ? "e" : "v1");
  const scoring = opts.scoring ?? "official";
  const codeSimVariant = opts.codeSimVariant ?? DEFAULT_CODE_SIM_VARIANT;
  // Options that do not apply are refused, never ignored: a LongBench-E score of a dataset LongBench-E does not have
  // would be buckets nobody published; a code_sim variant on another metric would change nothing while seeming to.
  if (variant === "e" && !info.hasE) {
    throw new Error(`${dataset} has no LongBench-E version (LongBench-E has ${E_DATASETS.join(", ")}): drop --e${opts.dataset.endsWith("_e") ? ` and the "_e" suffix` : ""}`);
  }
  if (opts.codeSimVariant !== undefined && info.metric !== "code_sim_score") {
    throw new Error(`--code-sim-variant applies to the code_sim_score datasets only; ${dataset} is scored with ${info.metric}`);
  }
  if (lines.length === 0) throw new Error(`no predictions to score (the file has no lines); eval.py would divide by zero`);
  // Official: the last line's all_classes is used for every line.
  const lastClasses = (lines[lines.length - 1] as PredLine).all_classes;
  if (info.metric === "classification_score") {
    // classification_score matches the prediction against the class list; with null the official eval.py raises
    // (iterating None), so such a score does not exist — refused rather than scored 0.
    const missing = scoring === "official" ? (lastClasses === null ? lines.length : 0) : lines.findIndex((l) => l.all_classes === null) + 1;
    if (missing > 0) {
      throw new Error(
        `${dataset} is scored with classification_score, which needs "all_classes" (the dataset's class list); ` +
          (scoring === "official" ? `the last line's all_classes (used for every line, as eval.py does) is null` : `line ${missing} has all_classes null`) +
          ` — the official eval.py raises there`,
      );
    }
  }
  const scores = lines.map((l) =>
    scoreSample(dataset, info.metric, l.pred, l.answers, {
      scoring,
      codeSimVariant,
      allClasses: scoring === "official" ? lastClasses : l.all_classes,
    }),
  );
  const result: ScoreLongbenchResult = {
    dataset,
    metric: info.metric,
    variant,
    scoring,
    codeSimVariant: info.metric === "code_sim_score" ? `fuzzywuzzy-ratio/${codeSimVariant}` : null,
    score: nanToNull(datasetScore(scores)),
    n: lines.length,
  };
  if (variant === "e") {
    const missing = lines.findIndex((l) => l.length === undefined);
    if (missing >= 0) throw new Error(`LongBench-E scoring needs "length" on every line (line ${missing + 1} has none)`);
    const b = bucketScores(lines.map((l, i) => ({ score: scores[i] as number, length: l.length as number })));
    result.buckets = { "0-4k": nanToNull(b["0-4k"]), "4-8k": nanToNull(b["4-8k"]), "8k+": nanToNull(b["8k+"]) };
  }
  return result;
}

export async function scoreLongbenchCommand(opts: ScoreLongbenchOptions): Promise<ScoreLongbenchResult> {
  const text = readTextFile(opts.predictions, { maxBytes: MAX_BYTES.data, what: "predictions file" });
  const result = scorePredictions(parsePredictions(opts.predictions, text), opts);
  if (opts.print ?? true) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result;
}
