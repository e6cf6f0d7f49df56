// Parsers for command-line values: each throws a UsageError naming the flag and what it expected.
import { UsageError } from "../core/errors.ts";
import type { Scalar } from "../core/records.ts";

export function parseDevices(s: string): string[] {
  const parts = s.split(",").map((x) => x.trim()).filter((x) => x !== "");
  if (parts.length === 0) throw new UsageError(`--devices: expected "cpu" or GPU indices like "0,1", got ${JSON.stringify(s)}`);
  for (const p of parts) {
    if (p !== "cpu" && !/^\d+$/.test(p)) throw new UsageError(`--devices: expected "cpu" or GPU indices like "0,1", got ${JSON.stringify(p)}`);
  }
  return parts;
}

export function parsePositiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name}: expected a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
}

/** "--param k=1024" values: numbers, true/false/null, or strings. */
export function parseParamValue(v: string): Scalar {
  if (v === "true") return true;
  if (v === "false") return false;
  if (v === "null") return null;
  if (v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
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
    if (v.trim() === "" || !Number.isFinite(n) || n < 0 || (positive && n === 0)) {
      throw new UsageError(`${name}: expected a ${positive ? "positive" : "non-negative"} number or "off", got ${JSON.stringify(v)}`);
    }
    return n;
  };
}
