// LongBench v2's data.json (THUDM/LongBench-v2 on Hugging Face): a JSON list of 503 items, or JSONL with one per line.
import { existsSync } from "node:fs";
import { MAX_BYTES, readTextFile } from "../../core/files.ts";

export interface V2Item {
  _id: string;
  domain: string;
  sub_domain: string;
  difficulty: string;
  length: string;
  question: string;
  choice_A: string;
  choice_B: string;
  choice_C: string;
  choice_D: string;
  answer: string;
  context: string;
}

export const DOWNLOAD_HINT = "download data.json from https://huggingface.co/datasets/THUDM/LongBench-v2 (503 questions)";

const FIELDS = ["_id", "domain", "sub_domain", "difficulty", "length", "question", "choice_A", "choice_B", "choice_C", "choice_D", "answer", "context"] as const;

function toItem(v: unknown, where: string): V2Item {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${where}: not a JSON object`);
  const o = v as Record<string, unknown>;
  for (const k of FIELDS) if (typeof o[k] !== "string") throw new Error(`${where}: field "${k}" must be a string`);
  if (!["A", "B", "C", "D"].includes(o.answer as string)) throw new Error(`${where}: answer must be A, B, C or D (got ${JSON.stringify(o.answer)})`);
  return Object.fromEntries(FIELDS.map((k) => [k, o[k]])) as unknown as V2Item;
}

/** The items of data.json (a JSON list) or of a JSONL file; every problem names the file and the item. */
export function loadV2(file: string): V2Item[] {
  if (!existsSync(file)) throw new Error(`LongBench v2: ${file} not found; ${DOWNLOAD_HINT}`);
  const text = readTextFile(file, { maxBytes: MAX_BYTES.data, what: "LongBench v2 data" });
  let values: unknown[];
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) throw new Error(`${file}: expected a JSON list of items`);
    values = v;
  } catch (e) {
    if (e instanceof SyntaxError) values = text.split("\n").filter((l) => l.trim() !== "").map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        throw new Error(`${file}:${i + 1}: neither a JSON list nor JSON lines`);
      }
    });
    else throw e;
  }
  return values.map((v, i) => toItem(v, `${file} item ${i + 1}`));
}
