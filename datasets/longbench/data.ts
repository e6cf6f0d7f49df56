// Reading a LongBench folder the way users have it: <dataset>.jsonl / <dataset>_e.jsonl (directly in the folder or in
// its data/ subfolder, as the Hugging Face data.zip unpacks) and the official config/dataset2prompt.json and
// dataset2maxlen.json (in <folder>/config/ or <folder>/).
import { existsSync } from "node:fs";
import { MAX_BYTES, readTextFile } from "../../core/files.ts";
import { join, resolve } from "node:path";
import { BUILTIN_MAXLEN, BUILTIN_PROMPTS } from "./catalog.ts";

export interface LongBenchRow {
  input: string;
  context: string;
  answers: string[];
  length: number;
  dataset: string;
  language: string;
  all_classes: string[] | null;
  _id: string;
  /** 1-based line number in the source file. */
  line: number;
}

export interface LoadResult {
  rows: LongBenchRow[];
  file: string;
  skipped: number;
}

export const DOWNLOAD_HINT =
  "Download LongBench v1 data.zip from https://huggingface.co/datasets/THUDM/LongBench/resolve/main/data.zip and unzip " +
  "it into the folder (files <dataset>.jsonl and <dataset>_e.jsonl, directly or under data/); put the official " +
  "config/dataset2prompt.json and config/dataset2maxlen.json from https://github.com/THUDM/LongBench (LongBench/config/) " +
  "under <folder>/config/.";

export function datasetFile(dir: string, dataset: string, variant: "v1" | "e"): string {
  const base = variant === "e" ? `${dataset}_e.jsonl` : `${dataset}.jsonl`;
  const candidates = [join(dir, base), join(dir, "data", base)];
  for (const c of candidates) if (existsSync(c)) return c;
  if (!existsSync(dir)) {
    throw new Error(`LongBench folder ${resolve(dir)} does not exist. ${DOWNLOAD_HINT}`);
  }
  throw new Error(
    `LongBench${variant === "e" ? "-E" : ""} file ${base} not found in ${resolve(dir)} (looked at ${candidates.join(", ")}). ${DOWNLOAD_HINT}`,
  );
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/** Validate one parsed line; returns an error message or the row. */
function toRow(obj: unknown, line: number): LongBenchRow | string {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return "not a JSON object";
  const o = obj as Record<string, unknown>;
  for (const k of ["input", "context", "dataset", "language", "_id"]) {
    if (typeof o[k] !== "string") return `field "${k}" must be a string (got ${o[k] === undefined ? "nothing" : typeof o[k]})`;
  }
  if (!isStringArray(o.answers) || o.answers.length === 0) return `field "answers" must be a non-empty array of strings`;
  if (typeof o.length !== "number" || !Number.isFinite(o.length)) return `field "length" must be a number`;
  if (o.all_classes !== null && o.all_classes !== undefined && !isStringArray(o.all_classes)) {
    return `field "all_classes" must be null or an array of strings`;
  }
  return {
    input: o.input as string,
    context: o.context as string,
    answers: o.answers,
    length: o.length,
    dataset: o.dataset as string,
    language: o.language as string,
    all_classes: (o.all_classes as string[] | null | undefined) ?? null,
    _id: o._id as string,
    line,
  };
}

/** Parse a LongBench JSONL file. Malformed lines throw `file:line: reason` unless skipMalformed (then counted). */
export function parseLongBenchJsonl(file: string, text: string, skipMalformed: boolean): { rows: LongBenchRow[]; skipped: number } {
  const rows: LongBenchRow[] = [];
  let skipped = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, "");
    if (raw.trim().length === 0) continue;
    let problem: string;
    try {
      const r = toRow(JSON.parse(raw), i + 1);
      if (typeof r !== "string") {
        rows.push(r);
        continue;
      }
      problem = r;
    } catch (e) {
      problem = `invalid JSON (${(e as Error).message})`;
    }
    if (!skipMalformed) throw new Error(`${file}:${i + 1}: malformed LongBench line: ${problem} (set skipMalformed to skip such lines)`);
    skipped++;
  }
  return { rows, skipped };
}

export function loadDataset(dir: string, dataset: string, variant: "v1" | "e", skipMalformed = false): LoadResult {
  const file = datasetFile(dir, dataset, variant);
  const { rows, skipped } = parseLongBenchJsonl(file, readTextFile(file, { maxBytes: MAX_BYTES.data, what: "LongBench dataset" }), skipMalformed);
  return { rows, file, skipped };
}

export interface PromptConfig {
  prompts: Record<string, string>;
  maxLen: Record<string, number>;
  /** "official" when read from the user's dataset2prompt.json, else the non-official built-in wording. */
  promptSource: "official" | "builtin (non-official)";
  promptFile: string | null;
  maxLenFile: string | null;
}

function findConfig(dir: string, name: string): string | null {
  for (const c of [join(dir, "config", name), join(dir, name)]) if (existsSync(c)) return c;
  return null;
}

function readJsonObject(file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readTextFile(file, { maxBytes: MAX_BYTES.smallJson, what: "LongBench config" }));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${file}: expected a JSON object`);
  return v as Record<string, unknown>;
}

/** Read the official prompt/maxlen files, falling back (and saying so) to the built-in ones. */
export function loadPromptConfig(dir: string, log: (m: string) => void = () => {}): PromptConfig {
  const pf = findConfig(dir, "dataset2prompt.json");
  const mf = findConfig(dir, "dataset2maxlen.json");
  let prompts: Record<string, string> = { ...BUILTIN_PROMPTS };
  let maxLen: Record<string, number> = { ...BUILTIN_MAXLEN };
  if (pf) {
    const o = readJsonObject(pf);
    prompts = {};
    for (const [k, v] of Object.entries(o)) {
      if (typeof v !== "string") throw new Error(`${pf}: prompt for "${k}" must be a string`);
      prompts[k] = v;
    }
  } else {
    log(`LongBench: no dataset2prompt.json in ${dir}/config or ${dir}; using built-in NON-OFFICIAL prompts (scores not comparable with published ones). ${DOWNLOAD_HINT}`);
  }
  if (mf) {
    const o = readJsonObject(mf);
    maxLen = {};
    for (const [k, v] of Object.entries(o)) {
      if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new Error(`${mf}: max length for "${k}" must be a positive integer`);
      maxLen[k] = v;
    }
  } else {
    log(`LongBench: no dataset2maxlen.json in ${dir}; using built-in output lengths.`);
  }
  return { prompts, maxLen, promptSource: pf ? "official" : "builtin (non-official)", promptFile: pf, maxLenFile: mf };
}

/**
 * Python's str.format(**obj) for the templates: `{name}` → String(obj[name]), `{{`/`}}` → braces. Substituted values
 * are not re-parsed (braces in a context stay as they are). Unknown fields or format specs are errors, as in Python.
 */
export function pyFormat(template: string, fields: Record<string, unknown>): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const ch = template[i] as string;
    if (ch === "{") {
      if (template[i + 1] === "{") {
        out += "{";
        i += 2;
        continue;
      }
      const end = template.indexOf("}", i);
      if (end < 0) throw new Error(`prompt template: unmatched "{" at ${i}`);
      const name = template.slice(i + 1, end);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`prompt template: unsupported field "{${name}}"`);
      if (!(name in fields)) throw new Error(`prompt template: field "{${name}}" not in the data row (KeyError in Python)`);
      out += String(fields[name]);
      i = end + 1;
    } else if (ch === "}") {
      if (template[i + 1] !== "}") throw new Error(`prompt template: single "}" at ${i}`);
      out += "}";
      i += 2;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}
