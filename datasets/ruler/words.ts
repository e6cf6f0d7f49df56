// Word lists and the sentence splitter, from npm packages (RULER reads the `wonderwords` Python package's
// nounlist.txt / adjectivelist.txt / verblist.txt and splits essays with nltk's punkt `sent_tokenize`):
//   adjectives  — `adjectives` (rgbkrk/adjectives, 1,097 English adjectives)
//   nouns       — `random-word-slugs` (its categorised English noun list)
//   verbs       — `verb-corpus` (its `complete` English verb list)
//   sentences   — `sbd` (rule-based sentence boundary detection)
// RULER builds keys as "adjective-noun" over all pairs, and cwe draws from nouns ∪ adjectives ∪ verbs; both are
// sorted and de-duplicated as RULER does (sorted(list(set(...)))).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

interface SlugWord {
  word: string;
}

let cache: { adjectives: string[]; nouns: string[]; verbs: string[] } | null = null;

/**
 * Lower-case words of three letters or more (hyphenated ones kept, as wonderwords has them); entries with spaces or
 * capitals, and the packages' one- and two-letter entries ("to", "eq", "gt"), dropped: RULER's substring metric
 * would find those inside any answer.
 */
function clean(words: readonly string[]): string[] {
  return [...new Set(words.map((w) => w.trim()).filter((w) => w.length >= 3 && /^[a-z]+(-[a-z]+)*$/.test(w)))].sort();
}

function lists(): { adjectives: string[]; nouns: string[]; verbs: string[] } {
  if (cache !== null) return cache;
  const adjectives = require("adjectives") as string[];
  const slugs = require("random-word-slugs/dist/words.js") as { wordList: { noun: SlugWord[] } };
  const verbs = (require("verb-corpus") as { complete: string[] }).complete;
  cache = { adjectives: clean(adjectives), nouns: clean(slugs.wordList.noun.map((w) => w.word)), verbs: clean(verbs) };
  return cache;
}

let pairs: string[] | null = null;

/** niah.py's `words`: every "adjective-noun", sorted and de-duplicated. */
export function keyWords(): string[] {
  if (pairs !== null) return pairs;
  const { adjectives, nouns } = lists();
  const out: string[] = [];
  for (const a of adjectives) for (const n of nouns) out.push(`${a}-${n}`);
  pairs = [...new Set(out)].sort();
  return pairs;
}

/** common_words_extraction.py's `words` before its seeded shuffle: nouns + adjectives + verbs, sorted, de-duplicated. */
export function commonWords(): string[] {
  const { adjectives, nouns, verbs } = lists();
  return [...new Set([...nouns, ...adjectives, ...verbs])].sort();
}

type SbdSentences = (text: string, options?: Record<string, unknown>) => string[];

/** nltk.sent_tokenize's role: split text into sentences (sbd, newlines not treated as boundaries). */
export function splitSentences(text: string): string[] {
  const sbd = require("sbd") as { sentences: SbdSentences };
  return sbd.sentences(text, { newline_boundaries: false, sanitize: false });
}
