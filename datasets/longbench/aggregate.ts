// Aggregation exactly as the official eval.py: dataset score = round(100 * sum / n, 2) with Python's float rounding
// (sequential sum); LongBench-E buckets = round(100 * np.mean(bucket), 2) with numpy's pairwise mean and rint-based
// rounding, NaN for an empty bucket. Category averages (our addition for reports): plain mean of the dataset scores.
import { CATEGORIES, infoFor, LENGTH_BUCKETS, lengthBucket, type Category, type LengthBucket } from "./catalog.ts";
import { npMean, npRound, pyRound } from "./pycompat.ts";

/** eval.py scorer(): per-sample scores (already max over answers) → dataset score in percent. */
export function datasetScore(sampleScores: readonly number[]): number {
  if (sampleScores.length === 0) return NaN;
  let total = 0.0;
  for (const s of sampleScores) total += s;
  return pyRound((100 * total) / sampleScores.length, 2);
}

/** eval.py scorer_e(): per-bucket scores in percent; an empty bucket is NaN. */
export function bucketScores(samples: readonly { score: number; length: number }[]): Record<LengthBucket, number> {
  const groups: Record<LengthBucket, number[]> = { "0-4k": [], "4-8k": [], "8k+": [] };
  for (const s of samples) groups[lengthBucket(s.length)].push(s.score);
  const out = {} as Record<LengthBucket, number>;
  for (const b of LENGTH_BUCKETS) out[b] = npRound(100 * npMean(groups[b]), 2);
  return out;
}

/** "qasper_e" → "qasper" (LongBench-E records carry the _e suffix). */
export function baseName(dataset: string): string {
  return dataset.endsWith("_e") ? dataset.slice(0, -2) : dataset;
}

/** Mean of the dataset scores per category (only categories with at least one dataset present), rounded to 2. */
export function categoryAverages(datasetScores: Readonly<Record<string, number>>): Partial<Record<Category, number>> {
  const out: Partial<Record<Category, number>> = {};
  for (const cat of CATEGORIES) {
    const vals = Object.entries(datasetScores)
      .filter(([name]) => infoFor(baseName(name)).category === cat)
      .map(([, v]) => v);
    if (vals.length > 0) out[cat] = pyRound(vals.reduce((a, b) => a + b, 0) / vals.length, 2);
  }
  return out;
}

/** Mean of all given dataset scores (the paper's "Average" column), rounded to 2. */
export function overallAverage(datasetScores: Readonly<Record<string, number>>): number {
  const vals = Object.values(datasetScores);
  if (vals.length === 0) return NaN;
  return pyRound(vals.reduce((a, b) => a + b, 0) / vals.length, 2);
}

/**
 * Group per-case scores (as stored in records: value in [0, 1] under the dataset's metric name) into official
 * dataset scores, category averages and, for LongBench-E datasets (named `<name>_e`), length buckets.
 */
export function summarize(
  cases: readonly { dataset: string; score: number; length?: number }[],
): {
  datasets: Record<string, { score: number; n: number; buckets?: Record<LengthBucket, number> }>;
  categories: Partial<Record<Category, number>>;
  average: number;
} {
  const by = new Map<string, { score: number; length?: number }[]>();
  for (const c of cases) {
    const arr = by.get(c.dataset) ?? [];
    arr.push(c);
    by.set(c.dataset, arr);
  }
  const datasets: Record<string, { score: number; n: number; buckets?: Record<LengthBucket, number> }> = {};
  for (const [name, arr] of by) {
    const entry: { score: number; n: number; buckets?: Record<LengthBucket, number> } = {
      score: datasetScore(arr.map((a) => a.score)),
      n: arr.length,
    };
    if (name.endsWith("_e") && arr.every((a) => typeof a.length === "number")) {
      entry.buckets = bucketScores(arr.map((a) => ({ score: a.score, length: a.length as number })));
    }
    datasets[name] = entry;
  }
  const flat = Object.fromEntries(Object.entries(datasets).map(([k, v]) => [k, v.score]));
  return { datasets, categories: categoryAverages(flat), average: overallAverage(flat) };
}

/**
 * The same from gembench records of the longbench suite: completed records only, the headline score (the record's
 * first score key, the dataset's metric), `caseMeta.length` for the LongBench-E buckets.
 */
export function summarizeRecords(
  records: readonly { dataset: string; status: string; scores: Record<string, number>; caseMeta: Record<string, unknown> }[],
): ReturnType<typeof summarize> {
  const rows: { dataset: string; score: number; length?: number }[] = [];
  for (const r of records) {
    if (r.status !== "completed") continue;
    const first = Object.values(r.scores)[0];
    if (first === undefined) continue;
    const row: { dataset: string; score: number; length?: number } = { dataset: r.dataset, score: first };
    if (typeof r.caseMeta.length === "number") row.length = r.caseMeta.length;
    rows.push(row);
  }
  return summarize(rows);
}
