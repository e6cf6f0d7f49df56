// Haystacks: our own generated English-like prose ("builtin", the default; nothing is downloaded or copied), or a
// directory of .txt files concatenated in sorted filename order (e.g. the Paul Graham essays of the original NIAH).
import { existsSync, readdirSync, statSync } from "node:fs";
import { MAX_BYTES, readTextFile } from "../../core/files.ts";
import { isAbsolute, join, resolve } from "node:path";
import { Rng } from "./rng.ts";

// ---------------------------------------------------------------------------------------------------------------
// Built-in generator: a small vocabulary and sentence grammar written for this project. The text is a stream of
// paragraphs drawn from a seeded generator, so a longer haystack is always an extension of a shorter one (same seed).
// The vocabulary deliberately avoids every content word of the default needles (no food, parks, cities, weather or
// "magic numbers"), so the haystack never answers the question by accident.
// ---------------------------------------------------------------------------------------------------------------

const NOUNS = [
  "builder", "engineer", "teacher", "farmer", "merchant", "student", "writer", "painter", "sailor", "miller",
  "committee", "council", "library", "workshop", "village", "harbor", "market", "bridge", "tower", "river",
  "machine", "engine", "ledger", "letter", "report", "proposal", "method", "problem", "question", "answer",
  "habit", "pattern", "theory", "lesson", "journey", "project", "company", "school", "garden", "window",
  "clock", "lantern", "wagon", "canal", "railway", "factory", "museum", "archive", "notebook", "drawing",
] as const;

const ADJECTIVES = [
  "careful", "quiet", "stubborn", "modest", "ambitious", "patient", "curious", "old", "young", "famous",
  "forgotten", "narrow", "broad", "simple", "complicated", "practical", "strange", "ordinary", "early", "late",
  "honest", "clever", "reluctant", "steady", "distant", "local", "serious", "cheerful", "deliberate", "uneven",
] as const;

/** [past tense, base form, third person singular present] */
const VERBS = [
  ["built", "build", "builds"], ["repaired", "repair", "repairs"], ["studied", "study", "studies"],
  ["described", "describe", "describes"], ["questioned", "question", "questions"], ["measured", "measure", "measures"],
  ["copied", "copy", "copies"], ["improved", "improve", "improves"], ["ignored", "ignore", "ignores"],
  ["examined", "examine", "examines"], ["designed", "design", "designs"], ["explained", "explain", "explains"],
  ["carried", "carry", "carries"], ["changed", "change", "changes"], ["admired", "admire", "admires"],
  ["replaced", "replace", "replaces"], ["followed", "follow", "follows"], ["organized", "organize", "organizes"],
  ["tested", "test", "tests"], ["remembered", "remember", "remembers"],
] as const;

const ADVERBS = [
  "slowly", "quickly", "carefully", "rarely", "often", "quietly", "openly", "gradually", "suddenly", "eventually",
  "patiently", "reluctantly", "cheerfully", "deliberately", "nearly", "usually",
] as const;

const PREPOSITIONS = ["near", "behind", "beyond", "inside", "across", "beside", "under", "above", "around", "along"] as const;

const CONNECTORS = [
  "In the end", "For a long time", "Even so", "Later that year", "By comparison", "At first", "As a rule",
  "In practice", "Sooner or later", "To everyone's surprise", "Meanwhile", "For that reason",
] as const;

const PRONOUNS = ["she", "he", "they", "we", "nobody", "everyone", "someone"] as const;

const QUANTITIES = ["two", "three", "several", "a few", "many", "dozens of", "hundreds of", "no"] as const;

const REASONS = [
  "because the old method had stopped working",
  "since nobody else wanted to try",
  "although the results were uneven",
  "while the rest of the village watched",
  "so that the next generation would not have to",
  "even though the plans were incomplete",
  "because it seemed like the obvious next step",
  "before anyone could object",
] as const;

function det(rng: Rng): string {
  return rng.pick(["the", "the", "a", "one", "every", "that", "this"] as const);
}

function nounPhrase(rng: Rng): string {
  const d = det(rng);
  const adj = rng.chance(0.5) ? `${rng.pick(ADJECTIVES)} ` : "";
  const phrase = `${d} ${adj}${rng.pick(NOUNS)}`;
  // "a" before a vowel sound reads wrong; our adjectives/nouns starting with a vowel take "an".
  return phrase.replace(/^a ([aeiou])/, "an $1");
}

function prepPhrase(rng: Rng): string {
  return `${rng.pick(PREPOSITIONS)} ${nounPhrase(rng)}`;
}

function capitalize(s: string): string {
  return s.length === 0 ? s : s.charAt(0).toUpperCase() + s.slice(1);
}

function sentence(rng: Rng): string {
  const v = rng.pick(VERBS);
  const v2 = rng.pick(VERBS);
  switch (rng.int(0, 7)) {
    case 0:
      return `${capitalize(nounPhrase(rng))} ${v[0]} ${nounPhrase(rng)} ${prepPhrase(rng)}.`;
    case 1:
      return `${capitalize(rng.pick(PRONOUNS))} ${rng.pick(ADVERBS)} ${v[0]} that ${nounPhrase(rng)} ${v2[2]} ${nounPhrase(rng)}.`;
    case 2:
      return `When ${nounPhrase(rng)} ${v[0]} ${nounPhrase(rng)}, ${nounPhrase(rng)} ${v2[0]} ${nounPhrase(rng)} ${rng.pick(REASONS)}.`;
    case 3:
      return `${rng.pick(CONNECTORS)}, ${nounPhrase(rng)} of ${nounPhrase(rng)} ${v[0]} ${prepPhrase(rng)}.`;
    case 4:
      return `Why would ${nounPhrase(rng)} ${v[1]} ${nounPhrase(rng)} ${prepPhrase(rng)}?`;
    case 5: {
      const q = rng.pick(QUANTITIES);
      return `There were ${q} ${rng.pick(NOUNS)}s ${prepPhrase(rng)}, and ${rng.pick(PRONOUNS)} ${v[0]} them ${rng.pick(ADVERBS)}.`;
    }
    case 6:
      return `${capitalize(nounPhrase(rng))} ${rng.pick(ADVERBS)} ${v[2]} ${nounPhrase(rng)}, ${rng.pick(REASONS)}.`;
    default:
      return `It is ${rng.pick(ADJECTIVES)} to ${v[1]} ${nounPhrase(rng)} ${prepPhrase(rng)}, but ${rng.pick(PRONOUNS)} ${v2[0]} it anyway.`;
  }
}

/** Paragraph generator: 3–7 sentences joined by spaces; paragraphs are separated by a blank line. */
export class BuiltinHaystack {
  private readonly rng: Rng;
  private text = "";

  constructor(readonly seed: number) {
    this.rng = new Rng(`niah-haystack:${seed}`);
  }

  private paragraph(): string {
    const n = this.rng.int(3, 7);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(sentence(this.rng));
    return parts.join(" ");
  }

  /** The first `minChars` (or slightly more: whole paragraphs) characters of this seed's stream. */
  textOfAtLeast(minChars: number): string {
    while (this.text.length < minChars) {
      this.text += (this.text.length === 0 ? "" : "\n\n") + this.paragraph();
    }
    return this.text;
  }
}

/** The built-in haystack text of at least `minChars` characters for a seed (a prefix-stable stream). */
export function builtinHaystackText(seed: number, minChars: number): string {
  return new BuiltinHaystack(seed).textOfAtLeast(minChars);
}

// ---------------------------------------------------------------------------------------------------------------
// Directory haystack.
// ---------------------------------------------------------------------------------------------------------------

/** Resolve a haystack directory option against the config's directory. */
export function resolveHaystackDir(dir: string, baseDir: string): string {
  return isAbsolute(dir) ? dir : resolve(baseDir, dir);
}

/**
 * The texts of a directory's .txt files: in `order` when given (file names in that folder; the official code's
 * `glob.glob` order is the file system's listing order, which differs between machines, so a captured listing can be
 * replayed), else in sorted filename order (code-unit order: independent of locale and file system).
 */
export function readHaystackFiles(dir: string, order?: readonly string[]): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`niah: haystack directory ${dir} does not exist (give "builtin" or a folder of .txt files)`);
  }
  const present = readdirSync(dir).filter((f) => f.endsWith(".txt"));
  if (present.length === 0) throw new Error(`niah: haystack directory ${dir} holds no .txt files`);
  let files: readonly string[];
  if (order === undefined) files = present.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  else {
    const missing = order.filter((f) => !present.includes(f));
    if (missing.length > 0) throw new Error(`niah: haystackFiles names ${missing.map((f) => JSON.stringify(f)).join(", ")}, not .txt files of ${dir}`);
    if (new Set(order).size !== order.length) throw new Error("niah: haystackFiles lists a file twice");
    files = order;
  }
  return files.map((f) => readTextFile(join(dir, f), { maxBytes: MAX_BYTES.data, what: "niah haystack file" }));
}

/** The .txt files of a directory (see readHaystackFiles) concatenated with nothing in between, as the original
 *  NIAH code concatenates `f.read()` results. */
export function readHaystackDir(dir: string, order?: readonly string[]): string {
  return readHaystackFiles(dir, order).join("");
}
