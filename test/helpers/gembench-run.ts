// `gembench run` as a child process on a config written into a temporary folder, and the records it wrote: the
// end-to-end tests that run their own small configs.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseRecord, type GemRecord } from "../../core/records.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Writes `config` to dir/config.json and runs it into dir/run; the caller checks `status` before reading records. */
export function gembenchRun(config: object, dir: string, timeoutMs: number): { status: number | null; stderr: string; out: string } {
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  const out = join(dir, "run");
  const r = spawnSync(process.execPath, [join(root, "bin", "gembench.js"), "run", join(dir, "config.json"), "--out", out], { encoding: "utf8", timeout: timeoutMs });
  return { status: r.status, stderr: r.stderr, out };
}

/** The records of a run folder, parsed with the one record schema. */
export function runRecords(out: string): GemRecord[] {
  return readFileSync(join(out, "records.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map(parseRecord);
}
