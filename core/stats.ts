// Order statistics for timing samples. Percentiles use linear interpolation between closest ranks
// (the "R-7" / numpy default definition), so the median of an even count is the mean of the middle two.

function sorted(xs: readonly number[]): number[] {
  if (xs.length === 0) throw new Error("statistics of an empty sample");
  return [...xs].sort((a, b) => a - b);
}

/** p in [0, 100]. */
export function percentile(xs: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile ${p} is outside [0, 100]`);
  const s = sorted(xs);
  const pos = ((s.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = s[lo]!;
  const b = s[hi]!;
  return a + (b - a) * (pos - lo);
}

export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

export function min(xs: readonly number[]): number {
  return sorted(xs)[0]!;
}

export function max(xs: readonly number[]): number {
  const s = sorted(xs);
  return s[s.length - 1]!;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("statistics of an empty sample");
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p10: number;
  p90: number;
}

export function summarize(xs: readonly number[]): Summary {
  return { n: xs.length, median: median(xs), min: min(xs), max: max(xs), p10: percentile(xs, 10), p90: percentile(xs, 90) };
}

/** n, median, min and max of a sample; null for an empty one. */
export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
}
export function spreadOf(xs: readonly number[]): Spread | null {
  if (xs.length === 0) return null;
  return { n: xs.length, median: median(xs), min: min(xs), max: max(xs) };
}
