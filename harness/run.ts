// The execution loop: cells (model-major) → cases (built once per model × suite) → generate on the runner pool →
// cut at stop strings → score → one GemRecord per case appended to records.jsonl. Resumes from what is there.
// With a shard (i of N, harness/shards.ts) only that shard's cases run, into the shard's own records file.
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join, resolve } from "node:path";
import { getMethod } from "../engines/index.ts";
import { cellProblems } from "./preflight.ts";
import type { Engine, EngineFactory, EngineFailure, GenerateResult, LoadedModel, ModelSpec } from "../core/engine.ts";
import type { ResolvedConfig } from "./config.ts";
import { collectEnvironment } from "./environment.ts";
import { toError, UsageError } from "../core/errors.ts";
import { MAX_BYTES, readJsonFile } from "../core/files.ts";
import { Progress } from "./progress.ts";
import type { GemRecord, Timings } from "../core/records.ts";
import { keptForViewer } from "../core/selection.ts";
import { RECORD_SCHEMA_VERSION } from "../core/records.ts";
import { configHash, RunStore, writeFileAtomic, writeManifest, type ShardManifest, type ShardSpec } from "../core/results.ts";
import { median } from "../core/stats.ts";
import type { Suite, SuiteCase, SuiteRegistry } from "../core/suite.ts";
import { planShards, portionIndices, type CellPortion } from "./shards.ts";
import { expandSweep, type Cell } from "./sweep.ts";
import { loadTokenizer, type GemTokenizer } from "./tokenizer.ts";

export type FaultKind = "crash" | "hang" | "exit";
export interface FaultSpec {
  /** Matches a caseId or a recordKey. */
  match: string;
  kind: FaultKind;
}

/** GEMBENCH_FAULT_CASE="<caseId or recordKey>:<crash|hang|exit>[,…]" (tests only; needs --allow-faults). */
export function parseFaultSpec(s: string | undefined): FaultSpec[] {
  if (s === undefined || s.trim() === "") return [];
  return s.split(",").map((part) => {
    const i = part.lastIndexOf(":");
    const kind = part.slice(i + 1);
    if (i <= 0 || (kind !== "crash" && kind !== "hang" && kind !== "exit")) {
      throw new Error(`GEMBENCH_FAULT_CASE: expected "<caseId>:<crash|hang|exit>", got ${JSON.stringify(part)}`);
    }
    return { match: part.slice(0, i), kind };
  });
}

export interface RunParams {
  config: ResolvedConfig;
  outDir: string;
  /** Run id written into records; default: the run folder's name. */
  runId?: string;
  devices: string[];
  /** At most this many cases per cell (the first ones), or null for all. */
  limit: number | null;
  /** Run only shard i of N (its own records file, harness/shards.ts); null or absent: the whole run. */
  shard?: ShardSpec | null;
  engineFactory: EngineFactory;
  /** Builds the runner pool (runner-pool.ts); injected so this file stays free of process management. */
  makePool: (devices: string[], factory: EngineFactory, opts: { loadTimeoutMs: number; log: (m: string) => void }) => RunPoolLike;
  suites: SuiteRegistry;
  repoDir: string;
  log: (msg: string) => void;
  /** Progress display on stderr; null for none. */
  progress: { tty: boolean } | null;
  /** Fault injection for tests; honoured only when `allowFaults` (the runner got --allow-faults). */
  faults: FaultSpec[];
  allowFaults: boolean;
  signal?: AbortSignal;
}

/** The part of RunnerPool the loop uses. */
export interface RunPoolLike {
  start(): Promise<void>;
  firstEngine(): Engine | null;
  withModel<T>(spec: ModelSpec, fn: (engine: Engine, model: LoadedModel) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; failure: EngineFailure }>;
  modelInfo(spec: ModelSpec): Promise<{ ok: true; value: LoadedModel } | { ok: false; failure: EngineFailure }>;
  close(): Promise<void>;
}

export interface RunSummary {
  runId: string;
  runDir: string;
  cells: number;
  cases: number;
  /** Cases already finished in an earlier run of this folder (resumed past). */
  resumed: number;
  completed: number;
  errored: number;
  unsupported: number;
  interrupted: boolean;
  /** Models that could not be loaded (their cells have no records; the run exits 1). */
  modelErrors: string[];
  /** The config's cells in order (reports/aggregate.ts cellSummaries sums their records up). */
  cellList: { cellKey: string; model: string; suite: string; label: string }[];
}

const MODEL_INFO_FILE = "model-info.json";

function modelSpecOf(cell: Cell): ModelSpec {
  const m = cell.model;
  return { model: m.source, overrides: m.overrides, seed: m.seed, dtype: m.dtype, maxContext: m.maxContext };
}

/** Cut text at the first occurrence of any stop string. */
export function cutAtStop(text: string, stops: readonly string[]): string {
  let end = text.length;
  for (const s of stops) {
    if (s === "") continue;
    const i = text.indexOf(s);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}

/** Median timings over kept repeats, with the raw samples when there was more than one run. */
export function combineTimings(runs: readonly GenerateResult[], warmups: number): Timings {
  const last = runs[runs.length - 1];
  if (last === undefined) throw new Error("no timed runs");
  const col = (k: "filterMs" | "prefillMs" | "decodeMs" | "ttftMs" | "totalMs"): number[] => runs.map((r) => r.timings[k]);
  const t: Timings = {
    filterMs: median(col("filterMs")),
    prefillMs: median(col("prefillMs")),
    decodeMs: median(col("decodeMs")),
    decodeTokens: last.timings.decodeTokens,
    ttftMs: median(col("ttftMs")),
    totalMs: median(col("totalMs")),
  };
  if (runs.length > 1 || warmups > 0) {
    t.samples = { filterMs: col("filterMs"), prefillMs: col("prefillMs"), decodeMs: col("decodeMs"), ttftMs: col("ttftMs"), totalMs: col("totalMs") };
    t.warmups = warmups;
  }
  return t;
}

function failureRecordError(f: EngineFailure): { code: string; message: string; hint: string } {
  switch (f.kind) {
    case "error":
      return { code: f.code, message: f.message, hint: f.hint };
    case "crashed":
      return { code: "runner_crashed", message: f.message, hint: f.hint };
    case "timeout":
      return { code: "runner_timeout", message: f.message, hint: f.hint };
  }
}

function readModelInfoCache(runDir: string): Record<string, LoadedModel> {
  const p = join(runDir, MODEL_INFO_FILE);
  if (!existsSync(p)) return {};
  try {
    return readJsonFile(p, { maxBytes: MAX_BYTES.smallJson, what: "model info cache" }) as Record<string, LoadedModel>;
  } catch {
    return {};
  }
}

interface CaseTask {
  cell: Cell;
  c: SuiteCase;
  caseIndex: number;
  suite: Suite<unknown>;
  tokenizer: GemTokenizer;
}

/** What config.json holds: the resolved config and its expanded cells (every shard of a run writes the same). */
export function runConfigRecord(config: ResolvedConfig, cells: readonly Cell[]): unknown {
  return { ...config, cells: cells.map((c) => ({ cellKey: c.cellKey, model: c.model.id, modelHash: c.model.hash, suite: c.suite.name, method: c.method, sweep: c.sweep })) };
}

/**
 * Each shard's portions of the cells, balanced by the suites' cost estimates (a suite without one counts as the mean
 * of the others'); a pure function of the config, the suite registry and N.
 */
export function shardPlan(cells: readonly Cell[], suites: SuiteRegistry, count: number): CellPortion[][] {
  const est = cells.map((c) => {
    const suite = suites[c.suite.name];
    const v = suite?.estimateCost?.(c.suite.options);
    return v !== undefined && Number.isFinite(v) && v > 0 ? v : null;
  });
  const known = est.filter((v): v is number => v !== null);
  const fallback = known.length === 0 ? 1 : known.reduce((a, b) => a + b, 0) / known.length;
  return planShards(cells.map((c, i) => ({ cellKey: c.cellKey, modelIndex: c.modelIndex, cost: est[i] ?? fallback })), count);
}

export async function runExperiment(p: RunParams): Promise<RunSummary> {
  const runDir = resolve(p.outDir);
  const runId = p.runId ?? basename(runDir);
  const cells = expandSweep(p.config);
  const shard = p.shard ?? null;
  const portions = shard === null ? null : new Map(shardPlan(cells, p.suites, shard.count)[shard.index]!.map((x) => [x.cellKey, x]));
  const store = new RunStore(runDir, shard);
  try {
    const resolved = runConfigRecord(p.config, cells);
    store.writeConfig(resolved);
    let manifest: ShardManifest | null = null;
    if (shard !== null) {
      const env = process.env;
      manifest = {
        schema: RECORD_SCHEMA_VERSION,
        configHash: configHash(resolved),
        shard,
        limit: p.limit,
        host: hostname(),
        pid: process.pid,
        slurm: env.SLURM_JOB_ID ? { arrayJobId: env.SLURM_ARRAY_JOB_ID ?? env.SLURM_JOB_ID, taskId: env.SLURM_ARRAY_TASK_ID ?? "", jobId: env.SLURM_JOB_ID } : null,
        startedAt: new Date().toISOString(),
        finished: null,
      };
      writeManifest(runDir, manifest);
    }
    const summary = await runWithStore(p, portions === null ? cells : cells.filter((c) => portions.has(c.cellKey)), portions, store, runDir, runId);
    if (manifest !== null) {
      const s = summary;
      manifest.finished = { at: new Date().toISOString(), cases: s.cases, completed: s.completed, resumed: s.resumed, errored: s.errored, unsupported: s.unsupported, interrupted: s.interrupted, modelErrors: s.modelErrors.length };
      writeManifest(runDir, manifest);
    }
    return summary;
  } finally {
    store.close();
  }
}

async function runWithStore(p: RunParams, cells: Cell[], portions: Map<string, CellPortion> | null, store: RunStore, runDir: string, runId: string): Promise<RunSummary> {
  const { config } = p;
  if (store.truncatedBytes > 0) p.log(`${basename(store.recordsPath)} ended in a torn line (${store.truncatedBytes} bytes, from an interrupted write); cut it away`);
  const modelInfo = readModelInfoCache(runDir);

  const pool = p.makePool(p.devices, p.engineFactory, { loadTimeoutMs: config.run.loadTimeoutMs, log: p.log });
  const stopped = (): boolean => p.signal?.aborted === true;
  const cellList = cells.map((c) => ({ cellKey: c.cellKey, model: c.model.name, suite: c.suite.name, label: c.method.label }));
  const summary: RunSummary = { runId, runDir, cells: cells.length, cases: 0, resumed: 0, completed: 0, errored: 0, unsupported: 0, interrupted: false, modelErrors: [], cellList };

  try {
    await pool.start();
  } catch (e) {
    await pool.close();
    throw e;
  }
  const abortHandler = (): void => {
    void pool.close();
  };
  p.signal?.addEventListener("abort", abortHandler, { once: true });

  try {
    // Group cells by model (they are already model-major).
    const byModel = new Map<number, Cell[]>();
    for (const c of cells) {
      const g = byModel.get(c.modelIndex) ?? [];
      g.push(c);
      byModel.set(c.modelIndex, g);
    }
    // Every model described first (cached in the run folder), then every cell checked against its model, so that a
    // parameter out of range for a model (filterLayer ≥ layers) stops the run before any case, naming each cell.
    const infos = new Map<number, LoadedModel>();
    for (const group of byModel.values()) {
      if (stopped()) break;
      const first = group[0]!;
      const infoKey = `${first.model.hash}/${first.model.dtype}/${String(first.model.maxContext)}`;
      let loaded: LoadedModel | undefined = modelInfo[infoKey];
      if (loaded === undefined) {
        const got = await pool.modelInfo(modelSpecOf(first));
        if (!got.ok) {
          // The model cannot load: every case of its cells would fail the same way; say so once and move on.
          const msg = `model ${first.model.id}: ${got.failure.message}${got.failure.hint ? ` (hint: ${got.failure.hint})` : ""}`;
          p.log(msg);
          summary.modelErrors.push(msg);
          continue;
        }
        loaded = got.value;
        modelInfo[infoKey] = loaded;
        writeFileAtomic(join(runDir, MODEL_INFO_FILE), `${JSON.stringify(modelInfo, null, 2)}\n`);
      }
      infos.set(first.modelIndex, loaded);
    }
    const problems = cellProblems(cells, (c) => infos.get(c.modelIndex)?.layers ?? null);
    if (problems.length > 0) throw new UsageError(`${problems.length} cell(s) do not fit their model:\n  ${problems.join("\n  ")}`);
    for (const group of byModel.values()) {
      if (stopped()) break;
      const first = group[0]!;
      const loaded = infos.get(first.modelIndex);
      if (loaded === undefined) continue;
      const facts = loaded;
      let tokenizer: GemTokenizer;
      try {
        tokenizer = loadTokenizer(first.model.source, first.model.tokenizer);
      } catch (e) {
        // A broken tokenizer fails this model only, as a failed model load does: the other models still run.
        const msg = `model ${first.model.id}: ${toError(e).message}`;
        p.log(msg);
        summary.modelErrors.push(msg);
        continue;
      }
      const casesBySuite = new Map<string, SuiteCase[]>();
      const tasks: CaseTask[] = [];
      for (const cell of group) {
        const suite = p.suites[cell.suite.name];
        if (suite === undefined) throw new Error(`suite ${cell.suite.name} is not registered`);
        const casesKey = `${cell.suiteIndex}/${suite.casesVaryByMethod?.(cell.suite.options) === true ? cell.method.name : ""}`;
        let cases = casesBySuite.get(casesKey);
        if (cases === undefined) {
          cases = await suite.buildCases(cell.suite.options, {
            tokenizer,
            model: { id: cell.model.id, name: cell.model.name, maxPositions: facts.maxPositions, eosIds: facts.eosIds },
            method: cell.method.name,
            baseDir: config.baseDir,
            log: p.log,
          });
          casesBySuite.set(casesKey, cases);
        }
        const limited = p.limit === null ? cases : cases.slice(0, p.limit);
        const portion = portions?.get(cell.cellKey);
        // A shard's part of the cell: its cases by their real prompt + output lengths (caseIndex stays the cell's).
        const mine = portion === undefined ? limited.map((_, i) => i) : portionIndices(limited.map((c) => c.inputIds.length + (cell.suite.maxNewTokens ?? c.maxNewTokens)), portion);
        for (const caseIndex of mine) {
          const c = limited[caseIndex]!;
          const recordKey = `${cell.cellKey}/${c.caseId}`;
          summary.cases++;
          if (store.finished.has(recordKey)) {
            summary.resumed++;
            continue;
          }
          tasks.push({ cell, c, caseIndex, suite, tokenizer });
        }
      }

      const progress = p.progress === null ? null : new Progress(tasks.length, { tty: p.progress.tty });
      // The first exception (a harness bug, a full disk) stops the run: cases still queued are not started and
      // nothing is appended after it, then it is rethrown once every task has settled (so no write can follow the
      // store's close).
      let thrown: { error: unknown } | null = null;
      await Promise.all(
        tasks.map(async (t) => {
          if (stopped() || thrown !== null) return;
          try {
            const rec = await runCase(t, pool, p, runId, config.run);
            if (rec === null || stopped() || thrown !== null) return; // interrupted mid-case: not recorded, it reruns on resume
            store.append(rec);
            if (rec.status === "completed") summary.completed++;
            else if (rec.status === "errored") summary.errored++;
            else if (rec.status === "unsupported") summary.unsupported++;
            progress?.tick(`${t.cell.method.label} · ${t.c.caseId}`, rec.status === "errored");
          } catch (e) {
            if (thrown === null) {
              thrown = { error: e };
              void pool.close(); // queued cases answer "interrupted" instead of running
            }
          }
        }),
      );
      progress?.end();
      if (thrown !== null) throw (thrown as { error: unknown }).error;
    }
  } finally {
    p.signal?.removeEventListener("abort", abortHandler);
    await pool.close();
  }
  summary.interrupted = stopped();
  return summary;
}

async function runCase(t: CaseTask, pool: RunPoolLike, p: RunParams, runId: string, run: ResolvedConfig["run"]): Promise<GemRecord | null> {
  const { cell, c } = t;
  const startedAt = new Date().toISOString();
  const recordKey = `${cell.cellKey}/${c.caseId}`;
  const adapter = getMethod(cell.method.name);
  if (adapter === undefined) throw new Error(`unknown method ${cell.method.name}`);
  const runnerMethod = adapter.toRunner(cell.method.params);
  const viewer = t.caseIndex < run.viewerCases;
  const fault = p.allowFaults ? p.faults.find((f) => f.match === c.caseId || f.match === recordKey) : undefined;
  const warmups = cell.suite.warmups;
  const repeats = cell.suite.repeats;
  const maxNewTokens = cell.suite.maxNewTokens ?? c.maxNewTokens;

  type CaseResult = { kind: "ok"; runs: GenerateResult[]; model: LoadedModel; engine: Engine } | { kind: "failed"; failure: EngineFailure; engine: Engine | null };
  let engineUsed: Engine | null = null;
  const borrowed = await pool.withModel(modelSpecOf(cell), async (engine, model): Promise<CaseResult> => {
    engineUsed = engine;
    if (fault !== undefined && engine.fault !== undefined) {
      const out = await engine.fault(fault.kind, { timeoutMs: run.timeoutMs });
      const failure: EngineFailure = out.ok ? { kind: "error", code: "fault", message: `fault ${fault.kind} was answered`, hint: "" } : out.failure;
      return { kind: "failed", failure, engine };
    }
    const runs: GenerateResult[] = [];
    for (let i = 0; i < warmups + repeats; i++) {
      const out = await engine.generate(
        {
          inputIds: c.inputIds,
          method: runnerMethod,
          maxNewTokens,
          minNewTokens: Math.min(c.minNewTokens ?? 0, maxNewTokens),
          stopIds: c.stopIds,
          ...(c.eosIds === undefined ? {} : { eosIds: c.eosIds }),
          ...(c.stopCheckFrom === undefined ? {} : { stopCheckFrom: c.stopCheckFrom }),
          ignoreEos: cell.suite.ignoreEos,
          returnSelection: (run.returnSelection || viewer) && i === warmups + repeats - 1,
          allowLongInput: c.allowLongInput === true,
        },
        { timeoutMs: run.timeoutMs },
      );
      if (!out.ok) return { kind: "failed", failure: out.failure, engine };
      if (i >= warmups) runs.push(out.value);
    }
    return { kind: "ok", runs, model, engine };
  });
  if (p.signal?.aborted) return null;

  const engine: Engine | null = borrowed.ok ? borrowed.value.engine : engineUsed;
  const info = engine?.info ?? pool.firstEngine()?.info ?? { build: "unknown", backend: "unknown", device: "unknown" };
  const environment = collectEnvironment({ build: info.build, backend: info.backend, device: info.device }, p.repoDir);
  const base = {
    schema: RECORD_SCHEMA_VERSION,
    runId,
    cellKey: cell.cellKey,
    recordKey,
    suite: cell.suite.name,
    dataset: c.dataset,
    caseId: c.caseId,
    method: cell.method,
    sweep: cell.sweep,
    caseMeta: c.caseMeta,
    protocol: c.protocol,
    inputLength: c.inputIds.length,
    references: c.references,
    environment,
    startedAt,
  } as const;
  const modelRec = (m: LoadedModel | null): GemRecord["model"] => ({
    id: cell.model.id,
    name: cell.model.name,
    hash: cell.model.hash,
    family: m?.family ?? "unknown",
    layers: m?.layers ?? 0,
  });

  const result: CaseResult = borrowed.ok ? borrowed.value : { kind: "failed", failure: borrowed.failure, engine: null };
  if (result.kind === "failed") {
    const f = result.failure;
    return {
      ...base,
      model: modelRec(null),
      keptLength: null,
      output: null,
      scores: {},
      timings: null,
      memory: null,
      selection: null,
      viewer: null,
      status: f.kind === "error" && f.code === "unsupported" ? "unsupported" : "errored",
      error: failureRecordError(f),
      finishedAt: new Date().toISOString(),
    };
  }
  const last = result.runs[result.runs.length - 1]!;
  const rawText = t.tokenizer.decode(last.outputIds, { skipSpecialTokens: true });
  const text = cutAtStop(rawText, c.stopStrings);
  let scores: Record<string, number>;
  try {
    scores = t.suite.score(c, text);
  } catch (e) {
    return {
      ...base,
      model: modelRec(result.model),
      keptLength: last.keptLength,
      output: { ids: last.outputIds, text, stopReason: last.stopReason },
      scores: {},
      timings: combineTimings(result.runs, warmups),
      memory: last.memory,
      selection: null,
      viewer: null,
      status: "errored",
      error: { code: "score_error", message: toError(e).message, hint: `the ${cell.suite.name} scorer threw on this output` },
      finishedAt: new Date().toISOString(),
    };
  }
  const sel = last.selection ?? null;
  return {
    ...base,
    model: modelRec(result.model),
    keptLength: last.keptLength,
    output: { ids: last.outputIds, text, stopReason: last.stopReason },
    scores,
    timings: combineTimings(result.runs, warmups),
    memory: last.memory,
    selection: run.returnSelection ? sel : null,
    viewer: viewer && sel !== null ? { tokens: t.tokenizer.tokenStrings(c.inputIds), kept: keptForViewer(sel, c.inputIds.length), marks: c.marks } : null,
    status: "completed",
    error: null,
    finishedAt: new Date().toISOString(),
  };
}
