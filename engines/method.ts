// What a method adapter is: its parameters (one table gives defaults, validation and the `gembench list` docs),
// a display label, and the mapping to the runner's `generate` method object.
import { z } from "zod";
import type { RunnerMethod } from "../core/engine.ts";
import type { Scalar } from "../core/records.ts";

export type ParamSpec =
  | { kind: "int"; min: number; max?: number; odd?: boolean; default?: number; description: string }
  | { kind: "enum"; values: readonly string[]; default?: string; description: string }
  | { kind: "bool"; default?: boolean; description: string };

export type MethodParams = Record<string, Scalar>;

export interface MethodAdapter {
  readonly name: string;
  readonly description: string;
  /** Parameter table; a spec without `default` is required. */
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Checks across parameters (e.g. k > window); returns a message naming the parameters, or null. */
  readonly check?: (p: MethodParams) => string | null;
  /** Short display label, e.g. "gemfilter r=13 k=1024". */
  label(p: MethodParams): string;
  /** The `method` object of a runner `generate` request. */
  toRunner(p: MethodParams): RunnerMethod;
}

function specSchema(spec: ParamSpec): z.ZodType<Scalar> {
  switch (spec.kind) {
    case "int": {
      let s = z.number().int().min(spec.min);
      if (spec.max !== undefined) s = s.max(spec.max);
      const base = spec.odd ? s.refine((v) => v % 2 === 1, { message: "expected an odd integer" }) : s;
      return spec.default === undefined ? base : base.default(spec.default);
    }
    case "enum": {
      const e = z.enum(spec.values as [string, ...string[]]);
      return spec.default === undefined ? e : e.default(spec.default);
    }
    case "bool":
      return spec.default === undefined ? z.boolean() : z.boolean().default(spec.default);
  }
}

/** The zod schema of a method's params: strict (unknown names rejected), defaults filled, cross-checks applied. */
export function paramsSchema(m: MethodAdapter): z.ZodType<MethodParams> {
  const shape: Record<string, z.ZodType<Scalar>> = {};
  for (const [name, spec] of Object.entries(m.params)) shape[name] = specSchema(spec);
  return z
    .strictObject(shape)
    .superRefine((p, ctx) => {
      const msg = m.check?.(p as MethodParams) ?? null;
      if (msg !== null) ctx.addIssue({ code: "custom", message: msg });
    }) as unknown as z.ZodType<MethodParams>;
}

/** Validated params with defaults filled in; throws a ZodError naming the bad parameter. */
export function resolveParams(m: MethodAdapter, raw: Record<string, unknown>): MethodParams {
  return paramsSchema(m).parse(raw);
}

/** "k=1024 window=64" for the params that differ from their defaults (labels stay short). */
export function nonDefaultParams(m: MethodAdapter, p: MethodParams, skip: readonly string[]): string {
  const parts: string[] = [];
  for (const [name, spec] of Object.entries(m.params)) {
    if (skip.includes(name)) continue;
    const v = p[name];
    if (v === undefined || v === spec.default) continue;
    parts.push(`${name}=${String(v)}`);
  }
  return parts.join(" ");
}

export function joinLabel(...parts: string[]): string {
  return parts.filter((s) => s !== "").join(" ");
}
