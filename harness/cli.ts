// gembench: the command line. Machine-readable results on stdout, progress and logs on stderr.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { suites as suiteRegistry } from "../datasets/index.ts";
import { getMethod, methods, resolveParams } from "../engines/index.ts";
import { loadConfig, type SuiteRegistry } from "./config.ts";
import { toError, UsageError } from "./errors.ts";
import { createNativeEngineFactory, runnerArgsFromEnv } from "../engines/native-engine.ts";
import { RunnerPool } from "./runner-pool.ts";
import { keptForViewer, parseFaultSpec, runExperiment, type CellSummary, type RunSummary } from "./run.ts";
import { compareCommand, type Thresholds } from "../reports/compare.ts";
import { requireRunDir, writeReports } from "../reports/index.ts";
import { loadRunRecords } from "./results.ts";
import { loadTokenizer } from "./tokenizer.ts";
import type { GemRecord, Scalar } from "./records.ts";

export const EXIT = { ok: 0, errored: 1, usage: 2, interrupted: 130 } as const;

const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const EXIT_HELP = `
Exit codes:
  0    success (every case completed, unsupported or skipped)
  1    the run finished but some cases errored (or a model failed to load); see records.jsonl
  2    bad usage or invalid config (the message names the JSON path and what was expected)
  130  interrupted (Ctrl-C or SIGTERM); re-run the same command to resume`;

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

export function parseDevices(s: string): string[] {
  const parts = s.split(",").map((x) => x.trim()).filter((x) => x !== "");
  if (parts.length === 0) throw new UsageError(`--devices: expected "cpu" or GPU indices like "0,1", got ${JSON.stringify(s)}`);
  for (const p of parts) {
    if (p !== "cpu" && !/^\d+$/.test(p)) throw new UsageError(`--devices: expected "cpu" or GPU indices like "0,1", got ${JSON.stringify(p)}`);
  }
  return parts;
}

function parsePositiveInt(name: string) {
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

function collectKeyValue(name: string) {
  return (v: string, prev: Record<string, Scalar>): Record<string, Scalar> => {
    const i = v.indexOf("=");
    if (i <= 0) throw new UsageError(`${name}: expected name=value, got ${JSON.stringify(v)}`);
    return { ...prev, [v.slice(0, i)]: parseParamValue(v.slice(i + 1)) };
  };
}

/**
 * The score columns of a cell: its metric and mean when it has one dataset; when it spans several (LongBench), the
 * unweighted mean of the per-dataset means, labelled "avg of N datasets" — a mean over cases would mix metrics.
 */
function cellScore(c: CellSummary): { metric: string; mean: string } {
  const g = c.scores;
  if (g.length === 0) return { metric: "-", mean: "-" };
  const mean = (g.reduce((a, x) => a + x.mean, 0) / g.length).toFixed(3);
  if (g.length === 1) return { metric: g[0]!.metric, mean };
  const datasets = new Set(g.map((x) => x.dataset)).size;
  return { metric: `avg of ${g.length} ${datasets === g.length ? "datasets" : datasets === 1 ? "metrics" : "dataset/metric pairs"}`, mean };
}

/** The per-cell table printed at the end of `gembench run`. */
export function summaryTable(s: RunSummary): string {
  const header = ["model", "suite", "method", "cases", "done", "errored", "metric", "mean", "median total ms"];
  const rows = s.perCell.map((c) => {
    const score = cellScore(c);
    return [
      c.model,
      c.suite,
      c.label,
      String(c.cases),
      String(c.completed),
      String(c.errored),
      score.metric,
      score.mean,
      c.medianTotalMs === null ? "-" : c.medianTotalMs.toFixed(1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((x, i) => x.padEnd(widths[i]!)).join("  ").trimEnd();
  const lines = [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)];
  if (s.perCell.some((c) => c.scores.length > 1)) {
    lines.push("", "avg of N datasets: unweighted mean of each dataset's mean score (per-dataset scores in summary.md; LongBench there with its official rounding).");
  }
  return lines.join("\n");
}

/** Writes summary.csv, summary.md and report.html for a finished run; a report failure is logged, never fails the run. */
async function writeRunReports(runDir: string): Promise<string[]> {
  try {
    return await writeReports(runDir);
  } catch (e) {
    log(`reports: not written (${toError(e).message})`);
    return [];
  }
}

/** `gembench report <runDir>`: (re)writes every report format; prints the written paths on stdout. */
export async function reportCommand(runDir: string): Promise<number> {
  const dir = resolve(runDir);
  requireRunDir(dir);
  const paths = await writeReports(dir);
  process.stdout.write(`${paths.join("\n")}\n`);
  return EXIT.ok;
}

/** A threshold flag: a non-negative number, or "off" to turn the check off (kept as "off": commander turns null into ""). */
function parseThreshold(name: string, { positive }: { positive: boolean }) {
  return (v: string): number | "off" => {
    if (v === "off") return "off";
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < 0 || (positive && n === 0)) {
      throw new UsageError(`${name}: expected a ${positive ? "positive" : "non-negative"} number or "off", got ${JSON.stringify(v)}`);
    }
    return n;
  };
}

interface CompareFlags {
  thresholds?: string;
  maxAccuracyDrop?: number | "off";
  maxTimeRatio?: number | "off";
  maxMemoryRatio?: number | "off";
  minTimeMs?: number | "off";
}

/** `gembench compare`: markdown on stdout; exit 1 on a regression, 0 otherwise (2 for usage errors, thrown). */
export function compareCliCommand(baseline: string, candidate: string, o: CompareFlags): number {
  const flags: Partial<Thresholds> = {};
  const value = (v: number | "off"): number | null => (v === "off" ? null : v);
  if (o.maxAccuracyDrop !== undefined) flags.maxAccuracyDrop = value(o.maxAccuracyDrop);
  if (o.maxTimeRatio !== undefined) flags.maxTimeRatio = value(o.maxTimeRatio);
  if (o.maxMemoryRatio !== undefined) flags.maxMemoryRatio = value(o.maxMemoryRatio);
  if (o.minTimeMs !== undefined) flags.minTimeMs = value(o.minTimeMs);
  const { code, stdout, result } = compareCommand(baseline, candidate, { ...(o.thresholds !== undefined ? { thresholdsFile: o.thresholds } : {}), flags });
  process.stdout.write(stdout);
  const regressed = result.cells.filter((c) => c.regressions.length > 0).length;
  log(
    `compare: ${result.cells.length} cells matched, ${regressed} regressed, ${result.missingCells.length} missing from the candidate, ${result.addedCells.length} added`,
  );
  return code;
}

export interface RunCommandOptions {
  out?: string;
  devices: string;
  limit?: number;
  suites?: SuiteRegistry;
  /** Quiet: no summary table (quickstart prints its own). */
  quiet?: boolean;
}

/** `gembench run`: returns the exit code. */
export async function runCommand(configPath: string, o: RunCommandOptions): Promise<{ code: number; summary: RunSummary | null; reports: string[] }> {
  const registry = o.suites ?? suiteRegistry;
  const config = loadConfig(configPath, registry);
  const devices = parseDevices(o.devices);
  const outDir = resolve(o.out ?? join("results", config.name));
  const runnerArgs = [...config.run.runnerArgs, ...runnerArgsFromEnv()];
  const allowFaults = runnerArgs.includes("--allow-faults");
  const controller = new AbortController();
  // Ctrl-C (SIGINT) or SIGTERM (kill, a job scheduler's time limit): stop cleanly; a second signal quits at once.
  let interrupts = 0;
  const onInterrupt = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) {
      log(`\ninterrupted by ${signal}: finishing the record file and stopping the runners (Ctrl-C again to quit at once)`);
      controller.abort();
    } else process.exit(EXIT.interrupted);
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);
  let summary: RunSummary;
  try {
    summary = await runExperiment({
      config,
      outDir,
      devices,
      limit: o.limit ?? null,
      engineFactory: createNativeEngineFactory({ args: runnerArgs, log }),
      makePool: (d, f, po) => new RunnerPool(d, f, po),
      suites: registry,
      repoDir: REPO_DIR,
      log,
      progress: { tty: process.stderr.isTTY === true },
      faults: parseFaultSpec(process.env.GEMBENCH_FAULT_CASE),
      allowFaults,
      signal: controller.signal,
    });
  } finally {
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onInterrupt);
  }
  if (summary.interrupted) {
    log(`interrupted; records so far are in ${outDir}/records.jsonl — re-run the same command to resume`);
    process.stdout.write(`${JSON.stringify({ ...summary, perCell: undefined })}\n`);
    return { code: EXIT.interrupted, summary, reports: [] };
  }
  const reports = await writeRunReports(outDir);
  if (!o.quiet) {
    log("");
    log(summaryTable(summary));
    log("");
    log(`${summary.cases} cases: ${summary.completed} completed now, ${summary.resumed} already done, ${summary.errored} errored, ${summary.unsupported} unsupported`);
    log(`results: ${outDir}`);
    for (const r of reports) log(`  ${r}`);
  }
  process.stdout.write(`${JSON.stringify({ runDir: outDir, cells: summary.cells, cases: summary.cases, completed: summary.completed, resumed: summary.resumed, errored: summary.errored, unsupported: summary.unsupported, modelErrors: summary.modelErrors, reports })}\n`);
  const code = summary.errored > 0 || summary.modelErrors.length > 0 ? EXIT.errored : EXIT.ok;
  return { code, summary, reports };
}

interface GenerateOpts {
  model: string;
  method: string;
  param: Record<string, Scalar>;
  override: Record<string, Scalar>;
  seed: number;
  tokenizer?: string;
  prompt?: string;
  ids?: string;
  maxNewTokens: number;
  ignoreEos?: boolean;
  returnSelection?: boolean;
  allowLongInput?: boolean;
  json?: boolean;
  device: string;
  timeoutMs: number;
}

async function generateCommand(o: GenerateOpts): Promise<number> {
  const adapter = getMethod(o.method);
  if (adapter === undefined) throw new UsageError(`--method: unknown method ${JSON.stringify(o.method)}; expected one of ${Object.keys(methods).join(", ")}`);
  let params;
  try {
    params = resolveParams(adapter, o.param);
  } catch (e) {
    const issues = (e as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
    throw new UsageError(`--param: ${issues ? issues.map((i) => `${i.path.join(".") || "(params)"}: ${i.message}`).join("; ") : toError(e).message}`);
  }
  if ((o.prompt === undefined) === (o.ids === undefined)) throw new UsageError("give exactly one of --prompt TEXT or --ids 1,2,3");
  const synthetic = o.model.startsWith("synthetic:");
  const modelSource = synthetic ? o.model : resolve(o.model);
  const tokenizer = (() => {
    try {
      return loadTokenizer(modelSource, o.tokenizer === undefined ? null : resolve(o.tokenizer));
    } catch (e) {
      if (o.ids !== undefined) return null;
      throw new UsageError(toError(e).message);
    }
  })();
  let inputIds: number[];
  if (o.ids !== undefined) {
    inputIds = o.ids.split(",").map((x) => {
      const n = Number(x.trim());
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--ids: expected comma-separated token ids, got ${JSON.stringify(x)}`);
      return n;
    });
  } else {
    if (tokenizer === null) throw new UsageError("--prompt needs a tokenizer");
    inputIds = tokenizer.encode(o.prompt ?? "", { addSpecialTokens: true });
  }
  const devices = parseDevices(o.device);
  const factory = createNativeEngineFactory({ args: runnerArgsFromEnv(), log });
  const engine = await factory(devices[0]!);
  try {
    const loaded = await engine.load({ model: modelSource, overrides: o.override, seed: o.seed, dtype: "f32", maxContext: null }, { timeoutMs: o.timeoutMs });
    if (!loaded.ok) {
      log(`load failed: ${loaded.failure.message}${loaded.failure.hint ? `\nhint: ${loaded.failure.hint}` : ""}`);
      process.stdout.write(`${JSON.stringify({ ok: false, error: loaded.failure })}\n`);
      return EXIT.errored;
    }
    const out = await engine.generate(
      { inputIds, method: adapter.toRunner(params), maxNewTokens: o.maxNewTokens, minNewTokens: 0, stopIds: [], ignoreEos: o.ignoreEos === true, returnSelection: o.returnSelection === true, allowLongInput: o.allowLongInput === true },
      { timeoutMs: o.timeoutMs },
    );
    if (!out.ok) {
      log(`generate failed: ${out.failure.message}${out.failure.hint ? `\nhint: ${out.failure.hint}` : ""}`);
      process.stdout.write(`${JSON.stringify({ ok: false, error: out.failure })}\n`);
      return EXIT.errored;
    }
    const r = out.value;
    const result = {
      ok: true,
      model: o.model,
      method: { name: adapter.name, params, label: adapter.label(params) },
      inputIds,
      inputLength: r.inputLength,
      outputIds: r.outputIds,
      outputText: tokenizer === null ? null : tokenizer.decode(r.outputIds, { skipSpecialTokens: true }),
      stopReason: r.stopReason,
      keptLength: r.keptLength,
      selection: r.selection ?? null,
      timings: r.timings,
      memory: r.memory,
    };
    if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(`${result.outputText ?? JSON.stringify(result.outputIds)}\n`);
      log(`${adapter.label(params)}: input ${r.inputLength} tokens, kept ${String(r.keptLength)}, ${r.outputIds.length} new tokens (${r.stopReason}), total ${r.timings.totalMs.toFixed(1)} ms`);
    }
    return EXIT.ok;
  } finally {
    await engine.close();
  }
}

async function listCommand(o: { json?: boolean }): Promise<number> {
  const methodList = Object.values(methods).map((m) => ({
    name: m.name,
    description: m.description,
    params: Object.entries(m.params).map(([name, spec]) => ({
      name,
      kind: spec.kind,
      required: spec.default === undefined,
      default: spec.default ?? null,
      ...(spec.kind === "enum" ? { values: spec.values } : {}),
      ...(spec.kind === "int" ? { min: spec.min, ...(spec.max !== undefined ? { max: spec.max } : {}), ...(spec.odd ? { odd: true } : {}) } : {}),
      description: spec.description,
    })),
  }));
  const suiteList = Object.values(suiteRegistry).map((s) => ({ name: s.name, description: s.description, datasets: s.datasets() }));
  let presets: string[] | null = null;
  let runner: { build: string; backend: string; device: string } | null = null;
  let runnerError: string | null = null;
  try {
    const engine = await createNativeEngineFactory({ args: runnerArgsFromEnv(), log: () => undefined })("cpu");
    presets = engine.info.presets;
    runner = { build: engine.info.build, backend: engine.info.backend, device: engine.info.device };
    await engine.close();
  } catch (e) {
    runnerError = toError(e).message;
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ methods: methodList, suites: suiteList, presets, runner, runnerError })}\n`);
    return EXIT.ok;
  }
  const lines: string[] = ["Methods:"];
  for (const m of methodList) {
    lines.push(`  ${m.name} — ${m.description}`);
    for (const p of m.params) {
      const kind = p.kind === "enum" ? (p.values ?? []).join("|") : p.kind;
      lines.push(`      ${p.name} (${kind}${p.required ? ", required" : `, default ${JSON.stringify(p.default)}`}): ${p.description}`);
    }
  }
  lines.push("", "Suites:");
  for (const s of suiteList) {
    lines.push(`  ${s.name} — ${s.description}`);
    lines.push(`      datasets: ${s.datasets.join(", ")}`);
  }
  lines.push("", "Synthetic model presets (from the runner):");
  if (presets !== null) lines.push(`  ${presets.map((p) => `synthetic:${p}`).join(", ")}`, `  runner: ${runner?.build ?? "?"} (${runner?.backend ?? "?"}, ${runner?.device ?? "?"})`);
  else lines.push(`  unavailable: ${runnerError ?? "unknown"}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.ok;
}

export const QUICKSTART_CONFIG = join(REPO_DIR, "configs", "quickstart.json");

/**
 * The quick start's per-method table from its records: headline score, agreement with dense on the same case (same
 * first token; same whole output), the needle positions covered by the kept tokens (per-head methods: positions kept by at least half
 * of the layer × head sets, as the viewer shows them), and the median time per case.
 */
export function quickstartTable(records: readonly GemRecord[]): string[] {
  const done = records.filter((r) => r.status === "completed");
  const denseOut = new Map(done.filter((r) => r.method.name === "dense").map((r) => [`${r.model.id}/${r.dataset}/${r.caseId}`, r.output?.ids ?? []]));
  const rows: string[][] = [["method", "score", "1st token = dense", "output = dense", "needle kept", "median ms/case"]];
  const byLabel = new Map<string, GemRecord[]>();
  for (const r of done) byLabel.set(r.method.label, [...(byLabel.get(r.method.label) ?? []), r]);
  for (const [label, rs] of byLabel) {
    const metric = Object.keys(rs[0]?.scores ?? {})[0];
    const score = metric === undefined ? "-" : `${metric} ${(rs.reduce((s, r) => s + (r.scores[metric] ?? 0), 0) / rs.length).toFixed(3)}`;
    let same = 0;
    let sameFirst = 0;
    let paired = 0;
    for (const r of rs) {
      const d = denseOut.get(`${r.model.id}/${r.dataset}/${r.caseId}`);
      if (d === undefined || r.method.name === "dense") continue;
      const ids = r.output?.ids ?? [];
      paired++;
      if (ids[0] !== undefined && ids[0] === d[0]) sameFirst++;
      if (JSON.stringify(d) === JSON.stringify(ids)) same++;
    }
    const kept: number[] = [];
    for (const r of rs) {
      const start = r.caseMeta.needleStart, end = r.caseMeta.needleEnd;
      if (r.selection === null || typeof start !== "number" || typeof end !== "number" || end <= start) continue;
      const k = new Set(keptForViewer(r.selection, r.inputLength));
      let n = 0;
      for (let i = start; i < end; i++) if (k.has(i)) n++;
      kept.push(n / (end - start));
    }
    const totals = rs.flatMap((r) => (r.timings === null ? [] : [r.timings.totalMs])).sort((a, b) => a - b);
    rows.push([
      label,
      score,
      paired === 0 ? "-" : `${sameFirst}/${paired}`,
      paired === 0 ? "-" : `${same}/${paired}`,
      kept.length === 0 ? "-" : `${((100 * kept.reduce((a, b) => a + b, 0)) / kept.length).toFixed(0)}%`,
      totals.length === 0 ? "-" : (totals[Math.floor((totals.length - 1) / 2)] ?? 0).toFixed(0),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join("   ")}`);
}

/** `gembench quickstart`: the small NIAH grid × all methods on the CPU, then where the results are and what they show. */
export async function quickstartCommand(o: { config?: string; out?: string; devices: string }): Promise<number> {
  const configPath = o.config ?? QUICKSTART_CONFIG;
  const out = o.out ?? join(REPO_DIR, "results", "quickstart");
  log(`gembench quickstart: ${configPath} → ${out}`);
  const { code, summary, reports } = await runCommand(configPath, { out, devices: o.devices, quiet: true });
  if (summary === null || summary.interrupted) return code;
  const cellKeys = new Set(summary.perCell.map((c) => c.cellKey));
  const lines = [
    "",
    `Quick start done: ${summary.cases} cases (${summary.completed} run now, ${summary.resumed} from an earlier run, ${summary.errored} errored).`,
    "",
    "Needle-in-a-haystack on a synthetic model with random weights, per method (mean over the grid):",
    ...quickstartTable(loadRunRecords(out).filter((r) => cellKeys.has(r.cellKey))),
    "",
    "The weights are random, so no method retrieves the needle (every recall is 0): what the run shows is each method's",
    "cost and how far it departs from dense attention — how often it still produces dense's tokens, and how much",
    "of the needle its kept tokens cover (random keeps about k/n of it). SnapKV and H2O compress after a full prefill,",
    "so their first token is always dense's. Point a config at a real HF model folder to measure retrieval.",
    "",
    `Re-running resumes; \`gembench run ${configPath} --out ${out}\` does the same with a full summary table.`,
    "",
    `Results: ${out}`,
    `  records.jsonl   one JSON record per case (scores, kept tokens, timings, memory, environment)`,
    ...reports.map((r) => `  ${r}`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return code;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name("gembench")
    .description("Benchmark harness for long-context LLM inference methods (dense, SnapKV, H2O, GemFilter, random)")
    .addHelpText("after", EXIT_HELP)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command("run")
    .description("run an experiment config; re-running with the same --out resumes")
    .argument("<config>", "configs/*.json")
    .option("--out <dir>", "run folder (default results/<config name>)")
    .option("--devices <list>", 'one runner per entry: "cpu" or GPU indices "0,1"', "cpu")
    .option("--limit <n>", "at most n cases per cell (the first ones)", parsePositiveInt("--limit"))
    .addHelpText("after", EXIT_HELP)
    .action(async (config: string, o: { out?: string; devices: string; limit?: number }) => {
      setExit((await runCommand(config, o)).code);
    });

  program
    .command("generate")
    .description("one prompt through one method; --json prints one object (outputIds, outputText, keptLength, selection, timings, memory)")
    .requiredOption("--model <model>", 'HF folder or "synthetic:<preset>"')
    .requiredOption("--method <name>", Object.keys(methods).join(" | "))
    .option("--param <name=value>", "method parameter (repeatable)", collectKeyValue("--param"), {})
    .option("--override <key=value>", "synthetic model config override (repeatable)", collectKeyValue("--override"), {})
    .option("--seed <n>", "synthetic weight seed", (v) => Number(v), 0)
    .option("--tokenizer <dir>", "tokenizer folder (default: the model's, or byte-level for synthetic)")
    .option("--prompt <text>", "prompt text (BOS added as the tokenizer does)")
    .option("--ids <list>", "prompt token ids, comma-separated")
    .option("--max-new-tokens <n>", "tokens to generate", parsePositiveInt("--max-new-tokens"), 32)
    .option("--ignore-eos", "do not stop at EOS")
    .option("--return-selection", "include the kept prompt positions")
    .option("--allow-long-input", "run past the model's max_position_embeddings")
    .option("--json", "print one JSON object on stdout")
    .addOption(new Option("--device <d>", 'runner device: "cpu" or a GPU index').default("cpu"))
    .option("--timeout-ms <n>", "per request", parsePositiveInt("--timeout-ms"), 600_000)
    .action(async (o: GenerateOpts) => {
      setExit(await generateCommand(o));
    });

  program
    .command("list")
    .description("methods with their parameters and defaults, suites with their datasets, synthetic presets")
    .option("--json", "one JSON object on stdout")
    .action(async (o: { json?: boolean }) => {
      setExit(await listCommand(o));
    });

  program
    .command("score")
    .description("score predictions made elsewhere")
    .command("longbench")
    .description("score a LongBench prediction file (JSONL: pred, answers, all_classes, optional length) exactly as the official eval.py; prints JSON")
    .requiredOption("--dataset <name>", "LongBench dataset, e.g. hotpotqa (a name ending in _e implies --e)")
    .requiredOption("--predictions <file>", "the prediction file")
    .option("--e", "LongBench-E: also the 0-4k / 4-8k / 8k+ buckets (every line needs length)")
    .option("--scoring <mode>", 'official, or corrected (recursion failures, classification list mutation, per-line all_classes fixed)', "official")
    .option("--code-sim-variant <v>", "code_sim's fuzz.ratio: levenshtein (python-Levenshtein >= 0.13), levenshtein-0.12, or difflib", "levenshtein")
    .action(async (o: { dataset: string; predictions: string; e?: boolean; scoring: string; codeSimVariant: string }) => {
      const { scoreLongbenchCli } = await import("../datasets/longbench/score-cli.ts");
      setExit(await scoreLongbenchCli(o));
    });

  program
    .command("quickstart")
    .description("a small NIAH grid × all methods on the CPU with a synthetic model (about two minutes), then where the results are")
    .option("--config <file>", "another quickstart config", undefined)
    .option("--out <dir>", "run folder (default results/quickstart)")
    .option("--devices <list>", "as for run", "cpu")
    .action(async (o: { config?: string; out?: string; devices: string }) => {
      setExit(await quickstartCommand(o));
    });

  program
    .command("report")
    .description("write summary.csv, summary.md and report.html (self-contained, opens offline) into a run folder")
    .argument("<runDir>", "a run folder (results/<name>) with records.jsonl")
    .action(async (runDir: string) => {
      setExit(await reportCommand(runDir));
    });

  program
    .command("compare")
    .description("CI regression gate: match cells by cellKey, print a markdown table of accuracy deltas and speed/memory ratios")
    .argument("<baseline>", "baseline run folder (or its records.jsonl)")
    .argument("<candidate>", "candidate run folder (or its records.jsonl)")
    .option("--thresholds <file>", 'JSON: {"maxAccuracyDrop": 1, "maxTimeRatio": 1.1, "maxMemoryRatio": 1.05, "minTimeMs": 5} (null = not gated / no floor); flags override it')
    .option("--max-accuracy-drop <points>", 'largest allowed score drop, points ×100 (default 1; "off")', parseThreshold("--max-accuracy-drop", { positive: false }))
    .option("--max-time-ratio <r>", 'largest allowed candidate/baseline median time ratio (default 1.1; "off")', parseThreshold("--max-time-ratio", { positive: true }))
    .option("--max-memory-ratio <r>", 'largest allowed candidate/baseline peak memory ratio (default 1.05; "off")', parseThreshold("--max-memory-ratio", { positive: true }))
    .option("--min-time-ms <ms>", 'time floor: a time ratio whose two medians are both below it is shown "below floor", not judged (default 5; "off" judges all)', parseThreshold("--min-time-ms", { positive: false }))
    .addHelpText(
      "after",
      `
Exit codes:
  0    no regression (cells only in one run are listed, not failed)
  1    a regression: a metric dropped, a time or memory ratio exceeded its threshold, or a case newly errored
  2    bad usage: a missing folder, no records.jsonl, a bad thresholds file, or no cells in common`,
    )
    .action((baseline: string, candidate: string, o: CompareFlags) => {
      setExit(compareCliCommand(baseline, candidate, o));
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.code === "commander.version") return EXIT.ok;
      return EXIT.usage;
    }
    if (e instanceof UsageError) {
      log(e.message);
      return EXIT.usage;
    }
    const err = toError(e);
    log(process.env.GEMBENCH_DEBUG === "1" ? `gembench: ${err.stack ?? err.message}` : `gembench: ${err.message}\n(GEMBENCH_DEBUG=1 shows where it happened)`);
    return EXIT.errored;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

