// RULER's metric (scripts/eval/evaluate.py postprocess_pred + scripts/eval/synthetic/constants.py): the prediction
// stripped, every control character [\x00-\x1f] turned into "\n", stripped again; string_match_all = the fraction
// of references found case-insensitively (niah, vt, cwe, fwe); string_match_part = 1 when any reference is found
// (qa). Per sample in [0, 1]; RULER's task score is round(100 · mean, 2).
import { pyRound, pyStrip } from "../longbench/pycompat.ts";

export function postprocess(pred: string): string {
  return pyStrip(pyStrip(pred).replace(/[\x00-\x1f]/g, "\n"));
}

export function stringMatchAll(pred: string, refs: readonly string[]): number {
  if (refs.length === 0) return 0;
  const p = postprocess(pred).toLowerCase();
  return refs.filter((r) => p.includes(r.toLowerCase())).length / refs.length;
}

export function stringMatchPart(pred: string, refs: readonly string[]): number {
  const p = postprocess(pred).toLowerCase();
  return refs.some((r) => p.includes(r.toLowerCase())) ? 1 : 0;
}

/** RULER's task score from per-sample scores: round(mean · 100, 2) with Python's round (exact, ties to even). */
export function taskScore(scores: readonly number[]): number {
  if (scores.length === 0) return NaN;
  // RULER: sum(per-sample) / len(preds) * 100, in that order.
  return pyRound((scores.reduce((a, b) => a + b, 0) / scores.length) * 100, 2);
}
