// LongBench v2's answer extraction and aggregation, as the official pred.py (extract_answer) and result.py.
import { pyRound, pyStrip } from "../longbench/pycompat.ts";

/** pred.py extract_answer on the strip()ped response: '*' removed, "The correct answer is (X)" then "… is X". */
export function extractAnswer(output: string): string | null {
  const response = pyStrip(output).replaceAll("*", "");
  const m = /The correct answer is \(([A-D])\)/.exec(response) ?? /The correct answer is ([A-D])/.exec(response);
  return m === null ? null : (m[1] as string);
}

export interface V2Scored {
  judge: boolean;
  pred: string | null;
  difficulty: string;
  length: string;
}

export interface V2Summary {
  overall: number;
  easy: number;
  hard: number;
  short: number;
  medium: number;
  long: number;
  n: number;
}

/**
 * result.py: accuracy ×100 rounded to 1 decimal, overall and by difficulty (easy; anything else hard) and length
 * (short, medium; anything else long); `compensated` counts an unextracted answer as 0.25 (result.py's flag, off by
 * default). An empty group divides by zero in result.py; here it is NaN.
 */
export function summarizeV2(items: readonly V2Scored[], compensated = false): V2Summary {
  const acc = { easy: [0, 0], hard: [0, 0], short: [0, 0], medium: [0, 0], long: [0, 0] } as Record<string, [number, number]>;
  let total = 0;
  for (const it of items) {
    let a = it.judge ? 1 : 0;
    if (compensated && it.pred === null) a = 0.25;
    total += a;
    const d = it.difficulty === "easy" ? "easy" : "hard";
    const l = it.length === "short" ? "short" : it.length === "medium" ? "medium" : "long";
    for (const k of [d, l]) {
      const g = acc[k] as [number, number];
      g[0] += 1;
      g[1] += a;
    }
  }
  const pct = (num: number, den: number): number => (den === 0 ? NaN : pyRound((100 * num) / den, 1));
  const g = (k: string): number => pct((acc[k] as [number, number])[1], (acc[k] as [number, number])[0]);
  return { overall: pct(total, items.length), easy: g("easy"), hard: g("hard"), short: g("short"), medium: g("medium"), long: g("long"), n: items.length };
}
