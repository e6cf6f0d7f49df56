// The random draws RULER's generators make with Python's `random` (sample, shuffle, choices, randint, UUID4), on our
// own seeded generator (datasets/niah/rng.ts): the same distributions, not Python's exact sequence.
import { Rng } from "../niah/rng.ts";

export { Rng };

/** `k` distinct elements of `items` in random order (random.sample). */
export function sample<T>(rng: Rng, items: readonly T[], k: number): T[] {
  if (k < 0 || k > items.length) throw new Error(`ruler: cannot sample ${k} of ${items.length} items`);
  return sampleIndices(rng, items.length, k).map((i) => items[i] as T);
}

/** `k` distinct integers of [0, n) in random order (random.sample(range(n), k)), without building the range. */
export function sampleIndices(rng: Rng, n: number, k: number): number[] {
  if (k < 0 || k > n) throw new Error(`ruler: cannot sample ${k} of ${n} items`);
  // Partial Fisher–Yates over a sparse map of swapped positions: O(k) for any n.
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = rng.int(i, n - 1);
    const vi = swapped.get(i) ?? i;
    const vj = swapped.get(j) ?? j;
    out.push(vj);
    swapped.set(j, vi);
  }
  return out;
}

/** In-place Fisher–Yates shuffle (random.shuffle). */
export function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = items[i] as T;
    items[i] = items[j] as T;
    items[j] = t;
  }
  return items;
}

/** `k` characters drawn with replacement from `alphabet` (''.join(random.choices(alphabet, k=k))). */
export function choices(rng: Rng, alphabet: string, k: number): string {
  let s = "";
  for (let i = 0; i < k; i++) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

/** A UUID4 string as str(uuid.UUID(int=random.getrandbits(128), version=4)): version nibble 4, RFC 4122 variant. */
export function uuid4(rng: Rng): string {
  const b: number[] = [];
  for (let i = 0; i < 16; i++) b.push(rng.int(0, 255));
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Python's repr() of a list of str, as f'{answer}' writes it into RULER's length probes. */
export function pyReprList(xs: readonly string[]): string {
  const repr = (s: string): string => {
    const q = s.includes("'") && !s.includes('"') ? '"' : "'";
    let body = s.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll("\r", "\\r").replaceAll("\t", "\\t");
    if (q === "'") body = body.replaceAll("'", "\\'");
    return `${q}${body}${q}`;
  };
  return `[${xs.map(repr).join(", ")}]`;
}
