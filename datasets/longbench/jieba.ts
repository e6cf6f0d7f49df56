// Python jieba 0.42.1's `jieba.cut(s, cut_all=False)` (precise mode, HMM on), token for token.
//
// Why not just @node-rs/jieba's `cut`: jieba-rs's HMM step splits non-Chinese runs with `[a-zA-Z0-9]+(?:.\d+)?%?`
// (an unescaped dot) where Python's finalseg uses `\.`, so "2014-2016年" gives "2014-2016" instead of
// "2014" / "-" / "2016". On the shared multifieldqa_zh / passage_retrieval_zh files that changes the tokens of 343 of
// 1,800 texts (LongBench's qa_f1_zh and rouge_zh scores change with them). So the control flow of Python's
// `Tokenizer.cut` / `__cut_DAG` / `finalseg.cut` is reproduced here, over jieba's own dictionary (the `dict.txt`
// that @node-rs/jieba ships), and @node-rs/jieba (an instance with an empty dictionary, i.e. its HMM alone) is used
// only for what it gets right: the Viterbi segmentation of pure-Chinese runs.
//
// Exactness details:
// - Python's route uses `math.log` (glibc); V8's Math.log differs from it in the last bit for 77 of the 5,088
//   distinct dictionary frequencies, which flips exact ties between routes. `pyLog` is correctly rounded (exact
//   big-integer series), which equals glibc on all of them.
// - jieba 0.42.1's dict.txt lists "B超 3 n" twice (lines 2 and 17) and gen_pfdict adds both to the total
//   (60,101,967); @node-rs/jieba's copy lists it once. The total here is Python's.
// - Known residual: jieba-rs's HMM probabilities are stored rounded, so two HMM paths within ~1e-7 of each other can
//   come out the other way than in Python (2 of 97,015 distinct Chinese runs of the shared files when cut by the HMM
//   alone; 0 differences in the 2.5M tokens of the full cuts of those files). See README.md ("jieba").
import { Jieba } from "@node-rs/jieba";
import { dict as dictBytes } from "@node-rs/jieba/dict.js";

/** Added to the dictionary total: the frequency of Python's duplicated "B超" line. */
export const PY_DICT_DUPLICATE_FREQ = 3;

// ---------------------------------------------------------------- correctly rounded natural log

const LOG_BITS = 200n;
const ONE = 1n << LOG_BITS;

/** 2·atanh(p/q) · 2^LOG_BITS for 0 ≤ p/q ≤ 1/3 (series in fixed point; error far below 2^-150). */
function twoAtanhFixed(p: bigint, q: bigint): bigint {
  const z = (p * ONE) / q;
  const z2 = (z * z) >> LOG_BITS;
  let term = z;
  let sum = 0n;
  for (let k = 1n; term > 0n; k += 2n) {
    sum += term / k;
    term = (term * z2) >> LOG_BITS;
  }
  return 2n * sum;
}

const LN2_FIXED = twoAtanhFixed(1n, 3n);

/** A positive fixed-point value (scaled by 2^LOG_BITS) rounded to the nearest double. */
function fixedToDouble(r: bigint): number {
  const bits = r.toString(2).length;
  const shift = bits - 53;
  if (shift <= 0) return Number(r) / 2 ** Number(LOG_BITS);
  let mant = r >> BigInt(shift);
  const rem = r - (mant << BigInt(shift));
  const half = 1n << BigInt(shift - 1);
  if (rem > half || (rem === half && (mant & 1n) === 1n)) mant += 1n;
  return Number(mant) * 2 ** (shift - Number(LOG_BITS));
}

const logCache = new Map<number, number>();

/** ln(n) for a positive integer n, correctly rounded (what glibc's log, and so Python's math.log, returns). */
export function pyLog(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`pyLog: expected a positive integer, got ${n}`);
  if (n === 1) return 0;
  const cached = logCache.get(n);
  if (cached !== undefined) return cached;
  const x = BigInt(n);
  const k = BigInt(x.toString(2).length - 1); // 2^k ≤ x < 2^(k+1)
  const p2 = 1n << k;
  // ln x = k·ln 2 + ln(x / 2^k), ln y = 2·atanh((y − 1)/(y + 1)) with y = x / 2^k in [1, 2)
  const v = fixedToDouble(k * LN2_FIXED + twoAtanhFixed(x - p2, x + p2));
  logCache.set(n, v);
  return v;
}

// ---------------------------------------------------------------- the prefix dictionary (gen_pfdict)

interface PrefixDict {
  /** word → frequency; every prefix of a word is present (0 when it is not a word itself). */
  freq: Map<string, number>;
  total: number;
  logTotal: number;
}

let prefixDict: PrefixDict | null = null;

function loadPrefixDict(): PrefixDict {
  if (prefixDict) return prefixDict;
  const freq = new Map<string, number>();
  let total = PY_DICT_DUPLICATE_FREQ;
  const text = Buffer.from(dictBytes).toString("utf8");
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === "") continue;
    const parts = line.split(" ");
    const word = parts[0] as string;
    const f = Number.parseInt(parts[1] ?? "", 10);
    if (!Number.isFinite(f)) throw new Error(`jieba dictionary: bad line ${JSON.stringify(line)}`);
    freq.set(word, f);
    total += f;
    for (let i = 1; i < word.length; i++) {
      const frag = word.slice(0, i);
      if (!freq.has(frag)) freq.set(frag, 0);
    }
  }
  prefixDict = { freq, total, logTotal: pyLog(total) };
  return prefixDict;
}

/** The dictionary total Python's jieba uses (self.total). */
export function jiebaDictTotal(): number {
  return loadPrefixDict().total;
}

// ---------------------------------------------------------------- HMM (finalseg) and DAG (__cut_DAG)

let hmmOnly: Jieba | null = null;
/** jieba-rs with an empty dictionary: its cut of a pure-Chinese run is the HMM's Viterbi segmentation. */
function viterbiCut(hanRun: string): string[] {
  hmmOnly ??= new Jieba();
  return hmmOnly.cut(hanRun, true);
}

const RE_HAN_FINALSEG = /([\u4E00-\u9FD5]+)/;
// finalseg's re_skip (its "\." is a literal dot). Inside a DAG block only ASCII digits occur, so \d = [0-9] here.
const RE_SKIP_FINALSEG = /([a-zA-Z0-9]+(?:\.[0-9]+)?%?)/;

/** finalseg.cut: Chinese runs by the HMM, the rest split by re_skip. */
function finalsegCut(buf: string, out: string[]): void {
  for (const blk of buf.split(RE_HAN_FINALSEG)) {
    if (blk === "") continue;
    if (RE_HAN_FINALSEG.test(blk)) out.push(...viterbiCut(blk));
    else for (const x of blk.split(RE_SKIP_FINALSEG)) if (x !== "") out.push(x);
  }
}

/** Tokenizer.__cut_DAG on one block of [\u4E00-\u9FD5a-zA-Z0-9+#&._%-] characters (all in the BMP). */
function cutDag(sentence: string, out: string[]): void {
  const { freq, logTotal } = loadPrefixDict();
  const n = sentence.length;
  // get_DAG + calc: route[idx] = max over x in DAG[idx] of (log(freq or 1) − logtotal + route[x+1], x)
  const routeScore = new Float64Array(n + 1);
  const routeEnd = new Int32Array(n + 1);
  for (let idx = n - 1; idx >= 0; idx--) {
    let best = -Infinity;
    let bestX = -1;
    let i = idx;
    let frag = sentence[idx] as string;
    let found = false;
    while (i < n && freq.has(frag)) {
      const f = freq.get(frag) as number;
      if (f > 0) {
        found = true;
        const s = pyLog(f) - logTotal + (routeScore[i + 1] as number);
        if (s > best || (s === best && i > bestX)) {
          best = s;
          bestX = i;
        }
      }
      i++;
      frag = sentence.slice(idx, i + 1);
    }
    if (!found) {
      const f = freq.get(sentence[idx] as string) || 1;
      best = pyLog(f) - logTotal + (routeScore[idx + 1] as number);
      bestX = idx;
    }
    routeScore[idx] = best;
    routeEnd[idx] = bestX;
  }
  const flushBuf = (buf: string): void => {
    if (buf.length === 1) out.push(buf);
    else if (!freq.get(buf)) finalsegCut(buf, out);
    else for (const ch of buf) out.push(ch);
  };
  let x = 0;
  let buf = "";
  while (x < n) {
    const y = (routeEnd[x] as number) + 1;
    const word = sentence.slice(x, y);
    if (y - x === 1) buf += word;
    else {
      if (buf !== "") {
        flushBuf(buf);
        buf = "";
      }
      out.push(word);
    }
    x = y;
  }
  if (buf !== "") flushBuf(buf);
}

// Python's \s for str patterns (str.isspace()), as re_skip_default = (\r\n|\s).
const PY_SPACE_CLASS = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const RE_SKIP_DEFAULT = new RegExp(`(\\r\\n|[${PY_SPACE_CLASS}])`);
const RE_HAN_DEFAULT = /([\u4E00-\u9FD5a-zA-Z0-9+#&._%-]+)/;

/** jieba.cut(text, cut_all=False) with the default dictionary and HMM, as a list. */
export function jiebaCut(text: string): string[] {
  const out: string[] = [];
  for (const blk of text.split(RE_HAN_DEFAULT)) {
    if (blk === "") continue;
    if (RE_HAN_DEFAULT.test(blk)) {
      cutDag(blk, out);
      continue;
    }
    for (const x of blk.split(RE_SKIP_DEFAULT)) {
      if (x === "") continue;
      if (RE_SKIP_DEFAULT.test(x)) out.push(x); // "\r\n" or one whitespace character (the split's captures)
      else for (const ch of x) out.push(ch); // one token per code point
    }
  }
  return out;
}
