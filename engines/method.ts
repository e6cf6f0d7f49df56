// What a method adapter is: a display label and the mapping to the runner's `generate` method object. Its parameters
// (names, kinds, bounds, defaults, docs, cross-parameter rules) are NOT restated here: the runner declares each
// method's spec once (engines/native/src/methods/*.cpp) and publishes it (`gem-runner --method-specs`, and in the
// hello); validation, defaults and `gembench list` read it from there.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { z } from "zod";
import type { RunnerMethod } from "../core/engine.ts";
import type { Scalar } from "../core/records.ts";
import { runnerPath } from "./native-engine.ts";

// `optional`: neither required nor defaulted (a budget given as k or as ratio; a paramSet).
export type ParamSpec =
  | { kind: "int"; min: number; max?: number; maxLayers?: true; odd?: boolean; default?: number; optional?: true; description: string }
  | { kind: "enum"; values: readonly string[]; default?: string; optional?: true; description: string }
  | { kind: "bool"; default?: boolean; optional?: true; description: string }
  | { kind: "number"; min: number; max: number; minExclusive?: true; default?: number; optional?: true; description: string };

export type MethodParams = Record<string, Scalar>;

/** A cross-parameter rule of the runner's spec: a > b ("greater"), a ≤ b ("atMost"), exactly one given ("oneOf"). */
export interface ParamRule {
  kind: "greater" | "atMost" | "oneOf";
  a: string;
  b: string;
  hint: string;
}

export interface MethodSpec {
  name: string;
  description: string;
  params: Readonly<Record<string, ParamSpec>>;
  rules: readonly ParamRule[];
  /** Named parameter sets (a peer's published values), applied under explicit values by resolveParams. */
  paramSets: Readonly<Record<string, Readonly<Record<string, Scalar>>>>;
}

const RunnerParam = z.object({
  name: z.string(),
  kind: z.enum(["int", "bool", "enum", "number"]),
  description: z.string(),
  required: z.boolean(),
  default: z.union([z.number(), z.string(), z.boolean(), z.null()]).optional(),
  min: z.number().optional(),
  max: z.union([z.number(), z.literal("layers-1")]).optional(),
  odd: z.boolean().optional(),
  minExclusive: z.boolean().optional(),
  values: z.array(z.string()).optional(),
});
const RunnerSpec = z.object({
  name: z.string(),
  description: z.string(),
  params: z.array(RunnerParam),
  rules: z.array(z.object({ kind: z.enum(["greater", "atMost", "oneOf"]), a: z.string(), b: z.string(), hint: z.string() })),
  paramSets: z.record(z.string(), z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]))).optional(),
});

function toParamSpec(p: z.infer<typeof RunnerParam>): ParamSpec {
  const spec = toParamSpecKind(p);
  return !p.required && (p.default === null || p.default === undefined) ? { ...spec, optional: true } : spec;
}

function toParamSpecKind(p: z.infer<typeof RunnerParam>): ParamSpec {
  const def = p.required ? undefined : p.default;
  switch (p.kind) {
    case "int":
      return {
        kind: "int",
        min: p.min ?? 0,
        ...(typeof p.max === "number" ? { max: p.max } : {}),
        ...(p.max === "layers-1" ? { maxLayers: true as const } : {}),
        ...(p.odd ? { odd: true } : {}),
        ...(typeof def === "number" ? { default: def } : {}),
        description: p.description,
      };
    case "enum":
      return { kind: "enum", values: p.values ?? [], ...(typeof def === "string" ? { default: def } : {}), description: p.description };
    case "bool":
      return { kind: "bool", ...(typeof def === "boolean" ? { default: def } : {}), description: p.description };
    case "number":
      return {
        kind: "number",
        min: p.min ?? 0,
        max: typeof p.max === "number" ? p.max : 1,
        ...(p.minExclusive ? { minExclusive: true as const } : {}),
        ...(typeof def === "number" ? { default: def } : {}),
        description: p.description,
      };
  }
}

/** Parses `gem-runner --method-specs` output (also the hello's capabilities.methodSpecs). */
export function parseMethodSpecs(json: unknown): Map<string, MethodSpec> {
  const specs = z.array(RunnerSpec).parse(json);
  return new Map(
    specs.map((s) => [
      s.name,
      { name: s.name, description: s.description, params: Object.fromEntries(s.params.map((p) => [p.name, toParamSpec(p)])), rules: s.rules, paramSets: s.paramSets ?? {} },
    ]),
  );
}

let cached: Map<string, MethodSpec> | null = null;
/** The runner's method specs (asked once per process). */
export function methodSpecs(): Map<string, MethodSpec> {
  if (cached !== null) return cached;
  const bin = runnerPath();
  if (!existsSync(bin)) throw new Error(`the runner ${bin} is missing, and the methods' parameters are declared there: run npm run build:native`);
  let out: string;
  try {
    out = execFileSync(bin, ["--method-specs"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
  } catch (e) {
    throw new Error(`${bin} --method-specs failed: ${(e as Error).message.split("\n")[0] ?? ""} (rebuild it: npm run build:native)`);
  }
  cached = parseMethodSpecs(JSON.parse(out));
  return cached;
}

export function methodSpec(name: string): MethodSpec {
  const s = methodSpecs().get(name);
  if (s === undefined) throw new Error(`the runner ${runnerPath()} declares no method ${JSON.stringify(name)}: rebuild it (npm run build:native)`);
  return s;
}

export interface MethodAdapter {
  readonly name: string;
  /** Short display label, e.g. "gemfilter r=13 k=1024". */
  label(p: MethodParams): string;
  /** The `method` object of a runner `generate` request. */
  toRunner(p: MethodParams): RunnerMethod;
  /** Parameters added after results existed: at their runner default they are left out of the resolved parameters
   *  (so the cell keys, labels and resumable runs from before them stay what they were; the runner applies the
   *  same default). */
  readonly omitAtDefault?: readonly string[];
}

/** The rules of a method's spec that `p` breaks, as messages naming the parameters. */
export function ruleProblems(spec: MethodSpec, p: MethodParams): string[] {
  const out: string[] = [];
  for (const r of spec.rules) {
    const a = p[r.a];
    const b = p[r.b];
    if (r.kind === "oneOf") {
      if ((a === undefined) === (b === undefined)) out.push(`give exactly one of ${r.a} and ${r.b}${a !== undefined ? " (both given)" : ""}: ${r.hint}`);
      continue;
    }
    if (typeof a !== "number" || typeof b !== "number") continue;
    const ok = r.kind === "greater" ? a > b : a <= b;
    if (!ok) out.push(`${r.a} (${a}) must be ${r.kind === "greater" ? ">" : "≤"} ${r.b} (${b})`);
  }
  return out;
}

/** Model-dependent bounds (a 0-based layer index < layers) that `p` breaks for a model of `layers` layers. */
export function modelProblems(spec: MethodSpec, p: MethodParams, layers: number): string[] {
  const out: string[] = [];
  for (const [name, ps] of Object.entries(spec.params)) {
    const v = p[name];
    if (ps.kind === "int" && ps.maxLayers === true && typeof v === "number" && v > layers - 1)
      out.push(`${name} = ${v} is out of range for a model of ${layers} layers (0 ≤ ${name} ≤ ${layers - 1})`);
  }
  return out;
}

function specSchema(spec: ParamSpec): z.ZodType<Scalar> {
  const s = specSchemaKind(spec);
  return spec.optional ? (s.optional() as unknown as z.ZodType<Scalar>) : s;
}

function specSchemaKind(spec: ParamSpec): z.ZodType<Scalar> {
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
    case "number": {
      const s = (spec.minExclusive ? z.number().gt(spec.min) : z.number().min(spec.min)).max(spec.max);
      return spec.default === undefined ? s : s.default(spec.default);
    }
  }
}

/** The zod schema of a method's params from the runner's spec: strict (unknown names rejected), defaults filled,
 * cross-parameter rules applied (model-dependent bounds are checked per model: modelProblems). */
export function paramsSchema(m: MethodAdapter): z.ZodType<MethodParams> {
  const spec = methodSpec(m.name);
  const shape: Record<string, z.ZodType<Scalar>> = {};
  for (const [name, ps] of Object.entries(spec.params)) shape[name] = specSchema(ps);
  return z
    .strictObject(shape)
    .superRefine((p, ctx) => {
      for (const msg of ruleProblems(spec, p as MethodParams)) ctx.addIssue({ code: "custom", message: msg });
    }) as unknown as z.ZodType<MethodParams>;
}

/** Validated params with defaults filled in; throws a ZodError naming the bad parameter. */
export function resolveParams(m: MethodAdapter, raw: Record<string, unknown>): MethodParams {
  const spec = methodSpec(m.name);
  const p = paramsSchema(m).parse(expandParamSet(spec, raw));
  for (const name of m.omitAtDefault ?? []) if (p[name] !== undefined && p[name] === spec.params[name]?.default) delete p[name];
  return p;
}

/** `raw` with its paramSet's values under the explicit ones; throws when an explicit value contradicts the set. */
export function expandParamSet(spec: MethodSpec, raw: Record<string, unknown>): Record<string, unknown> {
  const name = raw.paramSet;
  if (name === undefined) return raw;
  const set = typeof name === "string" && Object.hasOwn(spec.paramSets, name) ? spec.paramSets[name] : undefined;
  if (set === undefined) throw new Error(`${spec.name}: paramSet ${JSON.stringify(name)} is unknown (one of ${Object.keys(spec.paramSets).join(", ") || "none"})`);
  for (const [k, v] of Object.entries(set))
    if (raw[k] !== undefined && raw[k] !== v) throw new Error(`${spec.name}: ${k} = ${JSON.stringify(raw[k])} contradicts paramSet "${name}" (${k} = ${JSON.stringify(v)})`);
  return { ...set, ...raw };
}

/** "k=1024 window=64" for the params that differ from their defaults (labels stay short). */
export function nonDefaultParams(m: MethodAdapter, p: MethodParams, skip: readonly string[]): string {
  const parts: string[] = [];
  for (const [name, spec] of Object.entries(methodSpec(m.name).params)) {
    if (skip.includes(name)) continue;
    const v = p[name];
    if (v === undefined || v === spec.default) continue;
    parts.push(`${name}=${String(v)}`);
  }
  return parts.join(" ");
}

/** The budget part of a label: "k=1024", or "ratio=0.25" for a budget given as a fraction of the prompt. */
export function budgetLabel(p: MethodParams): string {
  return p.ratio !== undefined ? `ratio=${String(p.ratio)}` : `k=${String(p.k)}`;
}

export function joinLabel(...parts: string[]): string {
  return parts.filter((s) => s !== "").join(" ");
}
