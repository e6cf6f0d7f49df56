// The retrieval variants: passkey retrieval (Mohtashami & Jaggi 2023, "Landmark Attention") and multi-key retrieval
// (RULER's niah_multikey idea, our wording). Both hide key → value sentences in the haystack and end the prompt with
// the cue the value follows, so a model that copies answers by exact match of the value (exactMatch).
import type { TextTokenizer } from "../../core/suite.ts";
import { promptFrame, type NeedleSpec, type PromptFrame } from "./build.ts";
import { Rng } from "./rng.ts";

/** Mohtashami & Jaggi's task description, information line and final question (their passkey prompt, verbatim). */
export const PASSKEY_TASK =
  "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there.";
export const PASSKEY_NEEDLE_TEMPLATE = "The pass key is {value}. Remember it. {value} is the pass key.";
export const PASSKEY_PROMPT_TEMPLATE = `${PASSKEY_TASK}\n{context}\nWhat is the pass key? The pass key is`;

/** Multi-key: several needles, one key asked; the prompt ends with the asked needle's cue. */
export const MULTIKEY_TASK =
  "Some keys and their values are hidden inside a lot of irrelevant text. Find them and memorize them. I will quiz you about one of them.";
export const MULTIKEY_NEEDLE_TEMPLATE = "The value of key {key} is {value}.";
export const MULTIKEY_PROMPT_TEMPLATE = `${MULTIKEY_TASK}\n{context}\nWhat is the value of key {key}? The value of key {key} is`;

/** A space, five digits, a period and one more byte: enough for the answer and the byte that ends it. */
export const RETRIEVAL_MAX_NEW_TOKENS = 8;

export type RetrievalVariant = "passkey" | "multikey";

export interface RetrievalCase {
  frame: PromptFrame;
  needles: NeedleSpec[];
  references: string[];
  meta: Record<string, string | number>;
}

/** Distinct 5-digit values (10000–99999) and distinct 3-capital-letter keys, from (variant, seed, length, depth). */
export function retrievalPairs(variant: RetrievalVariant, seed: number, length: number, depth: number, n: number): { key: string; value: string }[] {
  const rng = new Rng(`niah-${variant}:${seed}:${length}:${depth}`);
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const keys = new Set<string>();
  const values = new Set<string>();
  const out: { key: string; value: string }[] = [];
  while (out.length < n) {
    const key = [0, 1, 2].map(() => letters[rng.int(0, 25)]).join("");
    const value = String(rng.int(10_000, 99_999));
    if (keys.has(key) || values.has(value)) continue;
    keys.add(key);
    values.add(value);
    out.push({ key, value });
  }
  return out;
}

/**
 * One case's prompt frame, needles and reference. Passkey: one needle at `depth`. Multi-key: `depths.length` needles,
 * the asked one (the first) at depths[0], the others at the other depths.
 */
export function retrievalCase(
  variant: RetrievalVariant,
  tok: TextTokenizer,
  o: { seed: number; needle?: string | undefined; template: string; chatTemplate: boolean; addBos: boolean },
  length: number,
  depths: number[],
): RetrievalCase {
  const frameOpts = { chatTemplate: o.chatTemplate, addBos: o.addBos };
  const pairs = retrievalPairs(variant, o.seed, length, depths[0] ?? 0, variant === "passkey" ? 1 : depths.length);
  const tpl = o.needle ?? (variant === "passkey" ? PASSKEY_NEEDLE_TEMPLATE : MULTIKEY_NEEDLE_TEMPLATE);
  const asked = pairs[0] as { key: string; value: string };
  const needles = pairs.map((p, j) => ({
    label: j === 0 ? "needle" : `distractor-${j}`,
    // A leading space so the sentence follows the previous one ("… end. The pass key is …").
    ids: tok.encode(` ${tpl.replaceAll("{key}", p.key).replaceAll("{value}", p.value)}`),
    depthPercent: depths[j] as number,
  }));
  const meta: Record<string, string | number> = variant === "multikey" ? { key: asked.key, numNeedles: pairs.length } : {};
  return { frame: promptFrame(tok, o.template, { key: asked.key }, frameOpts), needles, references: [asked.value], meta };
}
