// Parsers for command-line values: each throws a UsageError naming the flag and what it expected. Strict: decimal
// digits only (no "", " 5", "0x10", "1e3" or "abc" read as some number), lists without empty entries.
import { UsageError } from "../core/errors.ts";
import type { Scalar } from "../core/records.ts";

const INT_RE = /^\d+$/;
/** A JSON number literal (what a config file could hold): no hex, no leading "+", no whitespace, no "Infinity". */
const NUMBER_RE = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** A non-negative decimal integer of at most 2^53 − 1; `min` its least value. */
export function parseInteger(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!INT_RE.test(v) || !Number.isSafeInteger(n) || n < min) {
    const what = min === 0 ? "a non-negative integer" : min === 1 ? "a positive integer" : `an integer ≥ ${min}`;
    throw new UsageError(`${name}: expected ${what}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** A comma-separated list with no empty entries ("", ",", "1,,3" are refused). */
export function parseList(name: string, v: string, expected: string): string[] {
  const parts = v.split(",").map((x) => x.trim());
  if (parts.some((p) => p === "")) throw new UsageError(`${name}: expected ${expected}, got ${JSON.stringify(v)} (an empty entry)`);
  return parts;
}

export function parseDevices(s: string): string[] {
  const parts = parseList("--devices", s, '"cpu" or GPU indices like "0,1"');
  for (const p of parts) {
    if (p !== "cpu" && !INT_RE.test(p)) throw new UsageError(`--devices: expected "cpu" or GPU indices like "0,1", got ${JSON.stringify(p)}`);
  }
  return parts;
}

/** "--ids 1,2,3": token ids. */
export function parseIds(s: string): number[] {
  return parseList("--ids", s, "comma-separated token ids like 1,2,3").map((x) => parseInteger("--ids", x, 0));
}

export function parsePositiveInt(name: string) {
  return (v: string): number => parseInteger(name, v, 1);
}

export function parseNonNegativeInt(name: string) {
  return (v: string): number => parseInteger(name, v, 0);
}

/** "1,3": shard indices for `gembench slurm --tasks`. */
export function parseTaskList(v: string): number[] {
  return parseList("--tasks", v, "shard indices like 1,3").map((x) => parseInteger("--tasks", x, 0));
}

/** "--param k=1024" values: JSON numbers, true/false/null, or strings (which the parameter's schema then judges). */
export function parseParamValue(v: string): Scalar {
  if (v === "true") return true;
  if (v === "false") return false;
  if (v === "null") return null;
  if (NUMBER_RE.test(v) && Number.isFinite(Number(v))) return Number(v);
  return v;
}

export function collectKeyValue(name: string) {
  return (v: string, prev: Record<string, Scalar>): Record<string, Scalar> => {
    const i = v.indexOf("=");
    if (i <= 0) throw new UsageError(`${name}: expected name=value, got ${JSON.stringify(v)}`);
    return { ...prev, [v.slice(0, i)]: parseParamValue(v.slice(i + 1)) };
  };
}

/** A threshold flag: a non-negative number, or "off" to turn the check off (kept as "off": commander turns null into ""). */
export function parseThreshold(name: string, { positive }: { positive: boolean }) {
  return (v: string): number | "off" => {
    if (v === "off") return "off";
    const n = Number(v);
    if (!NUMBER_RE.test(v) || !Number.isFinite(n) || n < 0 || (positive && n === 0)) {
      throw new UsageError(`${name}: expected a ${positive ? "positive" : "non-negative"} number or "off", got ${JSON.stringify(v)}`);
    }
    return n;
  };
}
