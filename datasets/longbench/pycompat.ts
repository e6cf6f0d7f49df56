// Small pieces of Python/numpy semantics that LongBench's official scoring depends on, reimplemented so our numbers
// match the official ones bit for bit: str.split() whitespace, round-half-even on the exact binary double (Python's
// round(x, n)), numpy's rint-based rounding and pairwise summation.

/** Characters Python's str.isspace() accepts (what str.split() with no arguments splits on). */
const PY_WHITESPACE = new Set<string>([
  "\t", "\n", "\v", "\f", "\r", "\x1c", "\x1d", "\x1e", "\x1f", " ", "\x85", "\xa0", "\u1680",
  "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a",
  "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
]);

export function isPyWhitespace(ch: string): boolean {
  return PY_WHITESPACE.has(ch);
}

/** Python's `s.split()` (no separator): split on runs of Unicode whitespace, drop empty pieces. */
export function pySplit(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (const ch of s) {
    if (PY_WHITESPACE.has(ch)) {
      if (cur.length > 0) out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Round half to even to an integer (Python's round(x) / numpy's rint). Exact for all finite doubles. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const diff = x - f; // exact: x and floor(x) share the exponent range
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Exact decomposition of a finite double into sign * mant * 2^exp with integer mant. */
function decompose(x: number): { neg: boolean; mant: bigint; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const neg = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  return { neg, mant, exp };
}

/**
 * Python's `round(x, ndigits)` for a float: the exact binary value is rounded to `ndigits` decimals, ties (only
 * possible when the double is exactly halfway) to even; result is the double nearest the rounded decimal.
 * round(2.675, 2) = 2.67 because 2.675 is stored as 2.67499999…
 */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const { neg, mant, exp } = decompose(x);
  const scale = 10n ** BigInt(ndigits);
  let q: bigint;
  if (exp >= 0) {
    q = (mant << BigInt(exp)) * scale;
  } else {
    const num = mant * scale;
    const den = 1n << BigInt(-exp);
    q = num / den;
    const r2 = (num % den) * 2n;
    if (r2 > den || (r2 === den && q % 2n === 1n)) q += 1n;
  }
  const v = Number(q) / Number(scale);
  return neg ? -v : v;
}

/** numpy's `np.round(x, 2)` / `round(np.float64, 2)`: rint(x * 100) / 100 in floating point (2.675 → 2.68). */
export function npRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x)) return x;
  const s = 10 ** ndigits;
  return roundHalfEven(x * s) / s;
}

/** numpy's pairwise summation of a contiguous float64 array (np.add.reduce), block size 128, 8-way unrolled. */
export function npSum(a: readonly number[]): number {
  return pairwise(a, 0, a.length);
}

function pairwise(a: readonly number[], start: number, n: number): number {
  const at = (i: number): number => a[start + i] as number;
  if (n < 8) {
    // numpy starts from -0.0 so that an all-negative-zero sum stays -0.0
    let res = -0.0;
    for (let i = 0; i < n; i++) res += at(i);
    return res;
  }
  if (n <= 128) {
    const r = [at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let k = 0; k < 8; k++) r[k] = (r[k] as number) + at(i + k);
    }
    let res =
      ((r[0] as number) + (r[1] as number) + ((r[2] as number) + (r[3] as number))) +
      ((r[4] as number) + (r[5] as number) + ((r[6] as number) + (r[7] as number)));
    for (; i < n; i++) res += at(i);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, start, n2) + pairwise(a, start + n2, n - n2);
}

/** numpy's mean (pairwise sum / n); NaN for an empty array, as numpy returns (with a warning). */
export function npMean(a: readonly number[]): number {
  if (a.length === 0) return NaN;
  return npSum(a) / a.length;
}

/** Python's `s.strip()` (no argument): strip leading and trailing characters for which str.isspace() is true. */
export function pyStrip(s: string): string {
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (a < b && PY_WHITESPACE.has(chars[a]!)) a++;
  while (b > a && PY_WHITESPACE.has(chars[b - 1]!)) b--;
  return chars.slice(a, b).join("");
}
