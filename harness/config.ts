// The experiment config (configs/*.json): schema, parsing, and error messages that name the JSON path and what
// was expected. Sweep axes are method parameters given as lists or range strings ("0..31", "0..31:4").
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { expandParamSet, getMethod, methodSpec, methods, paramsSchema } from "../engines/index.ts";
import type { MethodParams } from "../engines/index.ts";
import { COMPRESSIONS, QUESTION_MODES, type Compression, type QuestionMode, type Scalar } from "../core/records.ts";
import type { SuiteRegistry } from "../core/suite.ts";
import { UsageError } from "../core/errors.ts";
import { MAX_BYTES, readTextFile } from "../core/files.ts";

// ---------- schema ----------

const Json: z.ZodType<unknown> = z.unknown();

const RANGE_RE = /^(-?\d+)\.\.(-?\d+)(?::(\d+))?$/;

/** A scalar, a range string, or a non-empty list of either (ranges inside lists are expanded too). */
const ParamValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).min(1)]);

export const ModelEntry = z.strictObject({
  /** HF folder (relative paths resolve from the config's folder) or "synthetic:<preset>". */
  id: z.string().min(1),
  /** Short display name; default: the preset name or the folder's basename. */
  name: z.string().min(1).optional(),
  /** Synthetic only: config.json keys that replace the preset's. */
  overrides: z.record(z.string(), Json).default({}),
  /** Synthetic only: weight seed. */
  seed: z.number().int().min(0).default(0),
  /** Tokenizer folder (tokenizer.json + tokenizer_config.json); default: the model folder, or the built-in byte-level tokenizer for synthetic models. */
  tokenizer: z.string().min(1).nullable().default(null),
  /** "auto" (default): the backend's own — f32 on `--devices cpu`, bf16 on GPUs (resolveDtypes, when the run starts). */
  dtype: z.string().min(1).default("auto"),
  maxContext: z.number().int().positive().nullable().default(null),
});
export type ModelEntry = z.infer<typeof ModelEntry>;

/** The engines a cell can run on (engines/transformers/README.md): our runner, or PyTorch + transformers. */
export const ENGINE_NAMES = ["native", "transformers"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];
const EngineName = z.enum(ENGINE_NAMES);

export const EngineEntry = z.strictObject({
  method: z.string().min(1),
  params: z.record(z.string(), ParamValue).default({}),
  /** Which engine runs the entry's cells; a list sweeps it like a parameter (each engine its own cells). */
  engine: z.union([EngineName, z.array(EngineName).min(1)]).default("native"),
  /** What the method compresses (engines/README.md "Prompt protocols"); a list sweeps it. */
  compression: z.union([z.enum(COMPRESSIONS), z.array(z.enum(COMPRESSIONS)).min(1)]).default("with-question"),
  /** One question per context, or all of a context's questions as several requests / as accumulating turns; a list sweeps it. */
  questions: z.union([z.enum(QUESTION_MODES), z.array(z.enum(QUESTION_MODES)).min(1)]).default("single"),
});
export type EngineEntry = z.infer<typeof EngineEntry>;

export const SuiteEntry = z.strictObject({
  name: z.string().min(1),
  options: Json.default({}),
  /** Per-suite overrides of the run options (speed suites: repeats 3, warmups 1, ignoreEos true). */
  maxNewTokens: z.number().int().positive().optional(),
  ignoreEos: z.boolean().optional(),
  repeats: z.number().int().positive().optional(),
  warmups: z.number().int().min(0).optional(),
});
export type SuiteEntry = z.infer<typeof SuiteEntry>;

export const RunOptions = z.strictObject({
  /** Replaces every case's maxNewTokens when set. */
  maxNewTokens: z.number().int().positive().nullable().default(null),
  ignoreEos: z.boolean().default(false),
  /** Per generate request; a runner that does not answer in time is killed and restarted, the case errored. */
  timeoutMs: z.number().int().positive().default(600_000),
  /** Per model load; null (default): derived from the model's size, 2 min + 1 min per GiB of weights (harness/runner-pool.ts loadTimeoutFor). */
  loadTimeoutMs: z.number().int().positive().nullable().default(null),
  repeats: z.number().int().positive().default(1),
  warmups: z.number().int().min(0).default(0),
  /** Store the runner's selection in every record (large for per-head methods). */
  returnSelection: z.boolean().default(false),
  /** The first N cases of each cell also store tokens + kept indices for the kept-token viewer. */
  viewerCases: z.number().int().min(0).default(0),
  /** Extra gem-runner arguments (e.g. ["--threads", "2"]); GEMBENCH_RUNNER_ARGS adds more. */
  runnerArgs: z.array(z.string()).default([]),
  /** A model with cells on more than one engine: every engine keeps the model loaded and the cases run one at a time,
   *  each on every cell in turn (ours, then the peer's, request by request), so a shared machine's drift falls on both
   *  engines alike (the peer ratios of the bench suite). Default: each engine's cells in a block, one engine's model
   *  loaded at a time, and on GPUs several cases at once. */
  interleaveEngines: z.boolean().default(false),
});
export type RunOptions = z.infer<typeof RunOptions>;

/** Settings of the transformers engine (engines/transformers/), for configs with cells on it. */
export const TransformersEntry = z.strictObject({
  /** A Python with torch and transformers; default: $GEMBENCH_TRANSFORMERS_PYTHON, else the one
   *  `gembench setup-transformers` recorded (checked before the run starts). */
  python: z.string().min(1).optional(),
  /** Where each synthetic model is exported for it (one HF folder per model content hash and dtype, reused); default
   *  <run folder>/transformers-models. Relative paths resolve from the config's folder. */
  modelDir: z.string().min(1).optional(),
});

export const ConfigSchema = z.strictObject({
  // Not only dots: "." or ".." would make results/ itself (or its parent) the run folder.
  name: z.string().regex(/^(?!\.+$)[A-Za-z0-9._-]+$/, "expected a name of letters, digits, '.', '_' or '-', not only dots (it names the results folder results/<name>)"),
  description: z.string().default(""),
  models: z.array(z.union([z.string().min(1), ModelEntry])).min(1),
  engines: z.array(EngineEntry).min(1),
  suites: z.array(SuiteEntry).min(1),
  run: RunOptions.default(RunOptions.parse({})),
  transformers: TransformersEntry.default({}),
});
type RawConfig = z.infer<typeof ConfigSchema>;

// ---------- resolved config ----------

export interface ResolvedModel extends ModelEntry {
  name: string;
  /** Absolute folder for HF models; the id itself for synthetic ones. */
  source: string;
  /** Absolute tokenizer folder, or null (HF: the model folder; synthetic: byte-level). */
  tokenizer: string | null;
}

export interface ResolvedEngine {
  method: string;
  /** The engines that run this entry's cells, each its own cells (default ["native"]). */
  engine: EngineName[];
  /** Each parameter's list of values (scalars become one-element lists, ranges are expanded). */
  axes: Record<string, Scalar[]>;
  /** The entry's prompt protocols, each combination its own cells; absent: ["with-question"] and ["single"]. */
  compression?: Compression[];
  questions?: QuestionMode[];
}

export interface ResolvedSuite {
  name: string;
  options: unknown;
  maxNewTokens: number | null;
  ignoreEos: boolean;
  repeats: number;
  warmups: number;
}

export interface ResolvedTransformers {
  /** The configured Python, or null for $GEMBENCH_TRANSFORMERS_PYTHON / the recorded one (resolved when the run starts). */
  python: string | null;
  /** Absolute folder for exported models, or null for <run folder>/transformers-models. */
  modelDir: string | null;
}

export interface ResolvedConfig {
  name: string;
  description: string;
  /** Folder of the config file: relative data paths resolve from here. */
  baseDir: string;
  models: ResolvedModel[];
  engines: ResolvedEngine[];
  suites: ResolvedSuite[];
  run: RunOptions;
  /** The transformers engine's settings (used when a cell runs on it). */
  transformers: ResolvedTransformers;
}

// ---------- errors ----------

export type PathPart = string | number;

/** `engines[1].params.k` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (typeof p === "string" && /^[A-Za-z_$][\w$]*$/.test(p)) out += out === "" ? p : `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out === "" ? "(root)" : out;
}

/** One line per zod issue: "<path>: <what was expected>". */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.map((i) => {
    const path = formatPath([...prefix, ...i.path]);
    if (i.code === "unrecognized_keys") return `${path}: unknown key${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    if (i.code === "invalid_union") return `${path}: ${i.message}`;
    return `${path}: ${i.message}`;
  });
}

export class ConfigError extends UsageError {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

// ---------- ranges ----------

/** The most values one parameter axis may hold (a range "1..100000000" is a typo, not a sweep). */
export const MAX_AXIS_VALUES = 10_000;
/** The most parameter combinations one engine entry may expand to (each is validated, then becomes a cell per model × suite). */
export const MAX_ENGINE_COMBINATIONS = 100_000;
/** Grids with more cells than this need `gembench run --allow-large-grid`: a grid this size is days of work. */
export const LARGE_GRID_CELLS = 1_000;

/** "0..31" → 0,1,…,31; "0..31:4" → 0,4,…,28 (inclusive ends, positive step); null when not a range string. */
export function parseRange(s: string): number[] | null {
  const m = RANGE_RE.exec(s.trim());
  if (m === null) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  const step = m[3] === undefined ? 1 : Number(m[3]);
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || !Number.isSafeInteger(step)) throw new Error(`range "${s}": the numbers must be integers below 2^53`);
  if (step <= 0) throw new Error(`range "${s}": the step must be ≥ 1`);
  if (b < a) throw new Error(`range "${s}": the end must be ≥ the start`);
  const count = Math.floor((b - a) / step) + 1;
  if (count > MAX_AXIS_VALUES) throw new Error(`range "${s}" has ${count} values; at most ${MAX_AXIS_VALUES} per parameter (a typo?)`);
  const out: number[] = [];
  for (let v = a; v <= b; v += step) out.push(v);
  return out;
}

function expandValue(v: Scalar | Scalar[]): Scalar[] {
  const items = Array.isArray(v) ? v : [v];
  const out: Scalar[] = [];
  for (const item of items) {
    const r = typeof item === "string" ? parseRange(item) : null;
    if (r === null) out.push(item);
    else for (const x of r) out.push(x);
    if (out.length > MAX_AXIS_VALUES) throw new Error(`${out.length}+ values; at most ${MAX_AXIS_VALUES} per parameter (a typo?)`);
  }
  return out;
}

/** An entry's `engine` as a list without repeats, in the order given. */
function uniqueEngines(e: EngineName | EngineName[]): EngineName[] {
  return [...new Set(Array.isArray(e) ? e : [e])];
}

/** `gembench run --engine native,transformers`: every engine entry on these engines instead of its own. */
export function withEngines(config: ResolvedConfig, list: string): ResolvedConfig {
  const names = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const bad = names.filter((n) => !(ENGINE_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || bad.length > 0)
    throw new UsageError(`--engine: expected a comma-separated list of ${ENGINE_NAMES.join(", ")}, got ${JSON.stringify(list)}`);
  return { ...config, engines: config.engines.map((e) => ({ ...e, engine: uniqueEngines(names as EngineName[]) })) };
}

/** The engines any cell of the config runs on. */
export function enginesOf(config: Pick<ResolvedConfig, "engines">): EngineName[] {
  return [...new Set(config.engines.flatMap((e) => e.engine))];
}

/** How many combinations the axes expand to (their product), without building them. */
export function combinationCount(axes: Record<string, readonly unknown[]>): number {
  return Object.values(axes).reduce((n, vs) => n * vs.length, 1);
}

/** The config with every "auto" dtype replaced by the backend's own for these devices: f32 for the cpu runner, bf16
 * for GPU runners (the cuda backend holds bf16 only). The cell keys then name the dtype the cells really ran in. */
export function resolveDtypes(config: ResolvedConfig, devices: string[]): ResolvedConfig {
  const cpu = devices.filter((d) => d === "cpu").length;
  if (!config.models.some((m) => m.dtype === "auto")) return config;
  if (cpu > 0 && cpu < devices.length)
    throw new UsageError(
      `--devices ${devices.join(",")} mixes the cpu (f32) and GPUs (bf16): give each model a dtype in the config, or run cpu and GPUs separately`,
    );
  const dtype = cpu > 0 ? "f32" : "bf16";
  return { ...config, models: config.models.map((m) => (m.dtype === "auto" ? { ...m, dtype } : m)) };
}

/** The number of cells a resolved config expands to (models × suites × parameter combinations), without building them. */
export function gridSize(config: Pick<ResolvedConfig, "models" | "suites" | "engines">): number {
  return config.models.length * config.suites.length * config.engines.reduce((n, e) => n + e.engine.length * combinationCount(e.axes) * (e.compression?.length ?? 1) * (e.questions?.length ?? 1), 0);
}

/** Refuse a grid of more than LARGE_GRID_CELLS cells unless --allow-large-grid was given (run and slurm alike). */
export function checkGridSize(configPath: string, config: Pick<ResolvedConfig, "models" | "suites" | "engines">, allowLargeGrid: boolean): void {
  const cells = gridSize(config);
  if (cells > LARGE_GRID_CELLS && !allowLargeGrid) {
    throw new UsageError(
      `${configPath}: the grid has ${cells} cells (models × suites × parameter combinations), more than ${LARGE_GRID_CELLS}; ` +
        `every cell runs every case of its suites, which at this size is days of work. Re-run with --allow-large-grid if that is intended.`,
    );
  }
}

/** Every combination of the axes' values, the first axis varying slowest (cartesian product in key order). */
export function cartesian(axes: Record<string, Scalar[]>): MethodParams[] {
  let combos: MethodParams[] = [{}];
  for (const [name, values] of Object.entries(axes)) {
    const next: MethodParams[] = [];
    for (const c of combos) for (const v of values) next.push({ ...c, [name]: v });
    combos = next;
  }
  return combos;
}

// ---------- parsing ----------

function modelDisplayName(id: string): string {
  if (id.startsWith("synthetic:")) return id.slice("synthetic:".length);
  const parts = id.split(/[\\/]/).filter((p) => p !== "");
  return parts[parts.length - 1] ?? id;
}

function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/**
 * Validate a parsed JSON value as a config. `baseDir` is where relative paths resolve from. Throws ConfigError
 * listing every problem as "<json path>: <expected>".
 */
export function parseConfig(value: unknown, opts: { source: string; baseDir: string; suites: SuiteRegistry }): ResolvedConfig {
  const parsed = ConfigSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(opts.source, formatIssues(parsed.error.issues));
  const raw: RawConfig = parsed.data;
  const problems: string[] = [];

  const models: ResolvedModel[] = raw.models.map((m) => {
    const e = typeof m === "string" ? ModelEntry.parse({ id: m }) : m;
    const synthetic = e.id.startsWith("synthetic:");
    return {
      ...e,
      name: e.name ?? modelDisplayName(e.id),
      source: synthetic ? e.id : resolvePath(opts.baseDir, e.id),
      tokenizer: e.tokenizer === null ? null : resolvePath(opts.baseDir, e.tokenizer),
    };
  });
  models.forEach((m, i) => {
    const synthetic = m.id.startsWith("synthetic:");
    if (synthetic && m.id.length === "synthetic:".length) problems.push(`models[${i}].id: expected "synthetic:<preset>"`);
    if (!synthetic && Object.keys(m.overrides).length > 0) problems.push(`models[${i}].overrides: only synthetic models take overrides`);
    // The seed as written (the parsed entry has its default): a folder's weights are its files, a seed changes nothing.
    const written = (value as { models: unknown[] }).models[i];
    if (!synthetic && typeof written === "object" && written !== null && "seed" in written)
      problems.push(`models[${i}].seed: only synthetic models take a weight seed (a folder's weights are its files)`);
  });

  const engines: ResolvedEngine[] = [];
  raw.engines.forEach((e, i) => {
    const adapter = getMethod(e.method);
    if (adapter === undefined) {
      problems.push(`engines[${i}].method: unknown method ${JSON.stringify(e.method)}; expected one of ${Object.keys(methods).join(", ")}`);
      return;
    }
    const axes: Record<string, Scalar[]> = {};
    let expanded = true;
    for (const [name, v] of Object.entries(e.params)) {
      try {
        axes[name] = expandValue(v);
      } catch (err) {
        problems.push(`engines[${i}].params.${name}: ${(err as Error).message}`);
        expanded = false;
      }
    }
    if (!expanded) return;
    const combos = combinationCount(axes);
    if (combos > MAX_ENGINE_COMBINATIONS) {
      problems.push(`engines[${i}].params: ${combos} parameter combinations; at most ${MAX_ENGINE_COMBINATIONS} per engine entry`);
      return;
    }
    const schema = paramsSchema(adapter);
    const seen = new Set<string>();
    for (const combo of cartesian(axes)) {
      let withSet: Record<string, unknown>;
      try {
        withSet = expandParamSet(methodSpec(adapter.name), combo);
      } catch (err) {
        const line = `engines[${i}].params.paramSet: ${(err as Error).message}`;
        if (!seen.has(line)) problems.push(line);
        seen.add(line);
        continue;
      }
      const r = schema.safeParse(withSet);
      if (r.success) continue;
      for (const line of formatIssues(r.error.issues, [`engines`, i, `params`])) {
        if (seen.has(line)) continue;
        seen.add(line);
        const values = Object.entries(combo).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ");
        problems.push(`${line}${values === "" ? "" : ` (with ${values})`}`);
      }
    }
    const compression = [...new Set(Array.isArray(e.compression) ? e.compression : [e.compression])];
    const questions = [...new Set(Array.isArray(e.questions) ? e.questions : [e.questions])];
    problems.push(...protocolProblems(i, axes, compression, questions));
    engines.push({ method: e.method, engine: uniqueEngines(e.engine), axes, compression, questions });
  });

  const suites: ResolvedSuite[] = [];
  raw.suites.forEach((s, i) => {
    const suite = Object.hasOwn(opts.suites, s.name) ? opts.suites[s.name] : undefined;
    if (suite === undefined) {
      const known = Object.keys(opts.suites);
      problems.push(`suites[${i}].name: unknown suite ${JSON.stringify(s.name)}; expected one of ${known.length === 0 ? "(none registered)" : known.join(", ")}`);
      return;
    }
    const r = suite.options.safeParse(s.options);
    if (!r.success) {
      problems.push(...formatIssues(r.error.issues, ["suites", i, "options"]));
      return;
    }
    suites.push({
      name: s.name,
      options: r.data,
      maxNewTokens: s.maxNewTokens ?? raw.run.maxNewTokens,
      ignoreEos: s.ignoreEos ?? raw.run.ignoreEos,
      repeats: s.repeats ?? raw.run.repeats,
      warmups: s.warmups ?? raw.run.warmups,
    });
  });

  const transformers: ResolvedTransformers = {
    python: raw.transformers.python ?? null,
    modelDir: raw.transformers.modelDir === undefined ? null : resolvePath(opts.baseDir, raw.transformers.modelDir),
  };

  if (problems.length > 0) throw new ConfigError(opts.source, problems);
  return { name: raw.name, description: raw.description, baseDir: opts.baseDir, models, engines, suites, run: raw.run, transformers };
}

/** The protocol combinations that cannot run whatever the suite: with-question over accumulating turns (the question
 *  of round 1 would be compressed, the later ones not), and GemFilter's multi-round `rounds` with the question compressed. */
function protocolProblems(i: number, axes: Record<string, Scalar[]>, compression: Compression[], questions: QuestionMode[]): string[] {
  const out: string[] = [];
  if (compression.includes("with-question") && questions.includes("multi-turn"))
    out.push(`engines[${i}]: questions "multi-turn" needs compression "context-only" (with-question compresses the prompt with its one question; turns come after a context compressed alone)`);
  const rounds = (axes.rounds ?? []).filter((v) => v !== "single");
  if (rounds.length > 0 && compression.includes("with-question"))
    out.push(`engines[${i}].params.rounds: ${rounds.map((v) => JSON.stringify(v)).join(", ")} needs compression "context-only" (the selection is redone per question over a context compressed alone)`);
  return out;
}

/** Read and validate a config file (JSON syntax errors are reported with the file name). */
export function loadConfig(path: string, suites: SuiteRegistry): ResolvedConfig {
  let text: string;
  try {
    text = readTextFile(path, { maxBytes: MAX_BYTES.smallJson, what: "config" });
  } catch (e) {
    throw new ConfigError(path, [`cannot read the file: ${(e as Error).message}`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(path, [`not valid JSON: ${(e as Error).message}`]);
  }
  return parseConfig(value, { source: path, baseDir: dirname(resolve(path)), suites });
}
