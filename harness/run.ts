// The run loop: cells (model-major) → each model described and its cells checked → cases planned once per model ×
// suite (ids first, each case built just before it runs: case-plan.ts) → each case run on the runner pool (case.ts) →
// one GemRecord per case appended to records.jsonl. Resumes from what is there. No aggregation here: the reports sum the records up (reports/aggregate.ts).
// With a shard (i of N, harness/shards.ts) only that shard's cases run, into the shard's own records file.
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join, resolve } from "node:path";
import type { EngineFactory, LoadedModel, ModelSpec } from "../core/engine.ts";
import { toError, UsageError } from "../core/errors.ts";
import { MAX_BYTES, readJsonFile } from "../core/files.ts";
import { RECORD_SCHEMA_VERSION } from "../core/records.ts";
import { configHash, RunStore, writeFileAtomic, writeManifest, type ShardManifest, type ShardSpec } from "../core/results.ts";
import type { CasePlan, SuiteCase, SuiteRegistry } from "../core/suite.ts";
import { modelSpecOf, runCase, type CaseContext, type CaseTask, type RunPoolLike } from "./case.ts";
import { buildCase, CaseCache, casePlanOf } from "./case-plan.ts";
import { resolveDtypes, type ResolvedConfig } from "./config.ts";
import type { FaultSpec } from "./faults.ts";
import { capabilityProblems, engineModelSpec, type EngineRegistry } from "./engines.ts";
import { cellProblems, idOutsideVocab } from "./preflight.ts";
import { promptProblem } from "./questions.ts";
import { Progress } from "./progress.ts";
import { checkShardCount, planShards, portionIndices, type CellPortion } from "./shards.ts";
import { expandSweep, type Cell } from "./sweep.ts";
import { loadTokenizer, type GemTokenizer } from "./tokenizer.ts";
import { FALLBACK_LOAD_TIMEOUT_MS } from "./runner-pool.ts";

export interface RunParams {
  config: ResolvedConfig;
  outDir: string;
  /** Run id written into records; default: the run folder's name. */
  runId?: string;
  devices: string[];
  /** At most this many cases per cell (the first ones), or null for all. */
  limit: number | null;
  engineFactory: EngineFactory;
  /** Builds the runner pool (runner-pool.ts); injected so this file stays free of process management. */
  makePool: (devices: string[], factory: EngineFactory, opts: { loadTimeoutMs: number | null; log: (m: string) => void }) => RunPoolLike;
  suites: SuiteRegistry;
  repoDir: string;
  log: (msg: string) => void;
  /** Progress display on stderr; null for none. */
  progress: { tty: boolean } | null;
  /** Fault injection for tests; honoured only when `allowFaults` (the runner got --allow-faults). */
  faults: FaultSpec[];
  allowFaults: boolean;
  signal?: AbortSignal;
  /** Run only shard i of N (its own records file, harness/shards.ts); null or absent: the whole run. */
  shard?: ShardSpec | null;
  /** The engines other than the native runner (harness/engines.ts), for the config's cells on them. */
  engines?: EngineRegistry;
  /** `--extend`: the run folder may hold another config; this one replaces it (the old archived, core/results.ts). */
  extend?: boolean;
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

function readModelInfoCache(runDir: string): Record<string, LoadedModel> {
  const p = join(runDir, MODEL_INFO_FILE);
  if (!existsSync(p)) return {};
  try {
    return readJsonFile(p, { maxBytes: MAX_BYTES.smallJson, what: "model info cache" }) as Record<string, LoadedModel>;
  } catch {
    return {};
  }
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

/** Each cell's most cases (its suite's maxCases, capped by --limit), or null where the suite cannot tell. */
export function cellMaxCases(cells: readonly Cell[], suites: SuiteRegistry, limit: number | null): (number | null)[] {
  return cells.map((c) => {
    const n = suites[c.suite.name]?.maxCases?.(c.suite.options);
    if (n === undefined) return limit;
    return limit === null ? n : Math.min(n, limit);
  });
}

export async function runExperiment(params: RunParams): Promise<RunSummary> {
  // "auto" dtypes become the devices' own before any cell (and its key) is made.
  const p: RunParams = { ...params, config: resolveDtypes(params.config, params.devices) };
  const runDir = resolve(p.outDir);
  const runId = p.runId ?? basename(runDir);
  const cells = expandSweep(p.config);
  checkEngines(cells, p.engines ?? {});
  const shard = p.shard ?? null;
  if (shard !== null) checkShardCount("--shard", shard.count, cellMaxCases(cells, p.suites, p.limit));
  const portions = shard === null ? null : new Map(shardPlan(cells, p.suites, shard.count)[shard.index]!.map((x) => [x.cellKey, x]));
  const store = new RunStore(runDir, shard);
  try {
    const resolved = runConfigRecord(p.config, cells);
    store.writeConfig(resolved, { extend: p.extend === true });
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

/** Every cell's engine is set up and implements the cell's method and parameters: else a UsageError naming each
 *  unsupported method or parameter, before anything is written. */
function checkEngines(cells: readonly Cell[], engines: EngineRegistry): void {
  const problems: string[] = [];
  for (const name of new Set(cells.map((c) => c.engine))) {
    if (name === "native") continue;
    const setup = engines[name];
    if (setup === undefined) throw new Error(`the config has cells on the ${name} engine but the run was given no ${name} engine`);
    problems.push(...capabilityProblems(cells, name, setup.capabilities));
  }
  if (problems.length > 0) throw new UsageError(`${problems.length} method(s) or parameter(s) the engine does not implement:\n  ${problems.join("\n  ")}`);
}

/** What the loop's steps share: the params, the records file, the pool, the counts returned and what a case needs. */
interface Loop {
  p: RunParams;
  store: RunStore;
  pool: RunPoolLike;
  summary: RunSummary;
  cases: CaseContext;
  /** With a shard: its portion of each of its cells (which of the cell's cases it runs). */
  portions: Map<string, CellPortion> | null;
  /** The native pool is one cpu runner (no native cells): models are described in f32, the cpu backend's dtype. */
  nativeOnCpu: boolean;
  stopped: () => boolean;
}

async function runWithStore(p: RunParams, cells: Cell[], portions: Map<string, CellPortion> | null, store: RunStore, runDir: string, runId: string): Promise<RunSummary> {
  const { config } = p;
  if (store.truncatedBytes > 0) p.log(`${basename(store.recordsPath)} ended in a torn line (${store.truncatedBytes} bytes, from an interrupted write); cut it away`);
  // With no native cell (e.g. `--engine transformers` on GPUs) the native runner only describes the models and exports
  // the presets: one cpu runner, so a GPU machine needs no working CUDA backend of ours.
  const nativeOnCpu = !cells.some((c) => c.engine === "native");
  const pool = p.makePool(nativeOnCpu ? ["cpu"] : p.devices, p.engineFactory, { loadTimeoutMs: config.run.loadTimeoutMs, log: p.log });
  const cellList = cells.map((c) => ({ cellKey: c.cellKey, model: c.model.name, suite: c.suite.name, label: c.engine === "native" ? c.method.label : `${c.method.label} · ${c.engine}` }));
  const summary: RunSummary = { runId, runDir, cells: cells.length, cases: 0, resumed: 0, completed: 0, errored: 0, unsupported: 0, interrupted: false, modelErrors: [], cellList };
  const caseContext: CaseContext = { pool, runId, run: config.run, repoDir: p.repoDir, faults: p.allowFaults ? p.faults : [], ...(p.signal ? { signal: p.signal } : {}) };
  const loop: Loop = { p, store, pool, summary, cases: caseContext, portions, nativeOnCpu, stopped: () => p.signal?.aborted === true };

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
    const byModel = groupByModel(cells);
    // Every model described first (cached in the run folder), then every cell checked against its model, so that a
    // parameter out of range for a model (filterLayer ≥ layers) stops the run before any case, naming each cell.
    const infos = await describeModels(loop, byModel, runDir);
    const problems = cellProblems(cells, (c) => infos.get(c.modelIndex)?.layers ?? null);
    if (problems.length > 0) throw new UsageError(`${problems.length} cell(s) do not fit their model:\n  ${problems.join("\n  ")}`);
    for (const group of byModel.values()) {
      if (loop.stopped()) break;
      const info = infos.get(group[0]!.modelIndex);
      if (info === undefined) continue;
      const tasks = await modelTasks(loop, group, info);
      if (tasks === null) continue;
      if (config.run.interleaveEngines && tasks.some((t) => t.cell.engine !== "native")) {
        await runInterleaved(loop, tasks, runDir);
        continue;
      }
      await runTasks(loop, tasks.filter((t) => t.cell.engine === "native"));
      for (const engine of new Set(tasks.map((t) => t.cell.engine))) {
        if (engine === "native" || loop.stopped()) continue;
        await runEngineTasks(loop, engine, tasks.filter((t) => t.cell.engine === engine), runDir);
      }
    }
  } finally {
    p.signal?.removeEventListener("abort", abortHandler);
    await pool.close();
  }
  summary.interrupted = loop.stopped();
  return summary;
}

/** Cells grouped by model, in order (they are already model-major). */
function groupByModel(cells: readonly Cell[]): Map<number, Cell[]> {
  const byModel = new Map<number, Cell[]>();
  for (const c of cells) {
    const g = byModel.get(c.modelIndex) ?? [];
    g.push(c);
    byModel.set(c.modelIndex, g);
  }
  return byModel;
}

/** Each model's facts (layers, positions, EOS ids) by model index, from the run folder's cache or the runner; a model
 *  that cannot load is logged and left out (its cells get no records). */
async function describeModels(loop: Loop, byModel: ReadonlyMap<number, Cell[]>, runDir: string): Promise<Map<number, LoadedModel>> {
  const modelInfo = readModelInfoCache(runDir);
  const infos = new Map<number, LoadedModel>();
  for (const group of byModel.values()) {
    if (loop.stopped()) break;
    const first = group[0]!;
    const infoKey = `${first.model.hash}/${first.model.dtype}/${String(first.model.maxContext)}`;
    let loaded: LoadedModel | undefined = modelInfo[infoKey];
    if (loaded === undefined) {
      const spec = modelSpecOf(first);
      const got = await loop.pool.modelInfo(loop.nativeOnCpu ? { ...spec, dtype: "f32" } : spec);
      if (!got.ok) {
        // The model cannot load: every case of its cells would fail the same way; say so once and move on.
        modelError(loop, `model ${first.model.id}: ${got.failure.message}${got.failure.hint ? ` (hint: ${got.failure.hint})` : ""}`);
        continue;
      }
      loaded = got.value;
      modelInfo[infoKey] = loaded;
      writeFileAtomic(join(runDir, MODEL_INFO_FILE), `${JSON.stringify(modelInfo, null, 2)}\n`);
    }
    infos.set(first.modelIndex, loaded);
  }
  return infos;
}

function modelError(loop: Loop, msg: string): void {
  loop.p.log(msg);
  loop.summary.modelErrors.push(msg);
}

/** A case still to run, before its case is built (runTasks builds it just before it runs). */
type PlannedTask = Omit<CaseTask, "c"> & { plan: CasePlan; caseId: string };

/** The cases of one model's cells still to run (planned once per suite; finished ones counted as resumed), case by
 *  case with every cell running it next to each other, so each case is built once; null when the model's tokenizer
 *  cannot load. */
async function modelTasks(loop: Loop, group: readonly Cell[], facts: LoadedModel): Promise<PlannedTask[] | null> {
  const { p, summary } = loop;
  const first = group[0]!;
  let tokenizer: GemTokenizer;
  try {
    tokenizer = loadTokenizer(first.model.source, first.model.tokenizer);
  } catch (e) {
    // A broken tokenizer fails this model only, as a failed model load does: the other models still run.
    modelError(loop, `model ${first.model.id}: ${toError(e).message}`);
    return null;
  }
  const plans = new Map<string, CasePlan>();
  const uses: { cell: Cell; suite: NonNullable<SuiteRegistry[string]>; plan: CasePlan; count: number; mine: Set<number> | null }[] = [];
  for (const cell of group) {
    const suite = p.suites[cell.suite.name];
    if (suite === undefined) throw new Error(`suite ${cell.suite.name} is not registered`);
    const casesKey = `${cell.suiteIndex}/${suite.casesVaryByMethod?.(cell.suite.options) === true ? cell.method.name : ""}`;
    let plan = plans.get(casesKey);
    if (plan === undefined) {
      plan = await casePlanOf(suite, cell.suite.options, {
        tokenizer,
        model: { id: cell.model.id, name: cell.model.name, maxPositions: facts.maxPositions, eosIds: facts.eosIds },
        method: cell.method.name,
        baseDir: p.config.baseDir,
        log: p.log,
      });
      plans.set(casesKey, plan);
    }
    const limited = p.limit === null ? plan.cases : plan.cases.slice(0, p.limit);
    const portion = loop.portions?.get(cell.cellKey);
    // A shard's part of the cell: its cases by their prompt + output lengths (caseIndex stays the cell's).
    const mine = portion === undefined ? null : new Set(portionIndices(limited.map((c) => c.promptTokens + (cell.suite.maxNewTokens ?? c.maxNewTokens)), portion));
    uses.push({ cell, suite, plan, count: limited.length, mine });
  }
  const tasks: PlannedTask[] = [];
  for (const plan of plans.values()) {
    const cells = uses.filter((u) => u.plan === plan);
    const count = Math.max(...cells.map((u) => u.count));
    for (let caseIndex = 0; caseIndex < count; caseIndex++) {
      const caseId = plan.cases[caseIndex]!.caseId;
      for (const { cell, suite, mine, count: n } of cells) {
        if (caseIndex >= n || (mine !== null && !mine.has(caseIndex))) continue;
        // A context asked several questions has one record per question (`<case>#<round>`), all appended together:
        // its first round's record says it finished. Its count is known once it is built (runTasks adds the rest).
        const key = `${cell.cellKey}/${caseId}`;
        if (cell.prompt.questions === "single") {
          summary.cases++;
          if (loop.store.finished.has(key)) summary.resumed++;
          else tasks.push({ cell, plan, caseId, caseIndex, suite, tokenizer });
        } else {
          let rounds = 0;
          while (loop.store.finished.has(`${key}#${rounds + 1}`)) rounds++;
          summary.cases += Math.max(rounds, 1);
          if (rounds > 0) summary.resumed += rounds;
          else tasks.push({ cell, plan, caseId, caseIndex, suite, tokenizer });
        }
      }
    }
  }
  // Each plan's first case still to run, built now, stands for its cases in the checks a run must fail before any
  // record: the tokenizer against the model's vocabulary, each cell's prompt protocol against the case's parts. It is
  // handed to the task that runs it (not built twice).
  const firstBuilt = new Map<CasePlan, CasePlan>();
  for (const t of tasks) {
    if (firstBuilt.has(t.plan)) continue;
    const probe = buildCase(t);
    const bad = idOutsideVocab(probe, facts.vocabSize);
    if (bad !== null) {
      // The tokenizer does not fit the model: every case would be refused (or a stop never fire); one error instead.
      modelError(loop, `model ${first.model.id}: ${bad}; its tokenizer${first.model.tokenizer === null ? "" : ` (${first.model.tokenizer})`} is not this model's — give the model's own`);
      return null;
    }
    for (const u of tasks) if (u.plan === t.plan) promptCheck(u.cell, probe);
    firstBuilt.set(t.plan, builtOnce(t.plan, t.caseIndex, probe));
  }
  return tasks.map((t) => ({ ...t, plan: firstBuilt.get(t.plan) ?? t.plan }));
}

/** A cell's prompt protocol the case cannot give (e.g. context-only on a case without prompt parts): exit 2. */
function promptCheck(cell: Cell, c: SuiteCase): void {
  const problem = promptProblem(cell.prompt, c, cell.suite.name);
  if (problem !== null) throw new UsageError(`${cell.method.label} on ${cell.suite.name}: ${problem}`);
}

/** The plan with case `index` already built: handed out by its first build, then dropped. */
function builtOnce(plan: CasePlan, index: number, c: SuiteCase): CasePlan {
  let held: SuiteCase | null = c;
  return {
    cases: plan.cases,
    build(i) {
      if (i !== index || held === null) return plan.build(i);
      const out = held;
      held = null;
      return out;
    },
  };
}

/**
 * One model's cases on an engine other than the native runner (harness/engines.ts): our runners stopped first (the
 * devices to that engine alone), the model's folder for it (exported once), then the cases on a pool of its
 * processes (one per device), closed afterwards. An export that fails is a model error (those cells get no records),
 * as a model that cannot load is.
 */
type PeerEngine = Exclude<Cell["engine"], "native">;

/** A peer engine's pool for one model's tasks: the model exported for it (its spec) and the pool started; null (the
 *  model's error logged) when the export fails. The caller closes the pool; an abort closes it at once. */
async function openEnginePool(loop: Loop, engine: PeerEngine, tasks: readonly PlannedTask[], runDir: string): Promise<{ pool: RunPoolLike; spec: ModelSpec; detach: () => void } | null> {
  const { p } = loop;
  const setup = p.engines?.[engine];
  if (setup === undefined) throw new Error(`the config has ${engine} cells but the run was given no ${engine} engine`);
  const first = tasks[0]!.cell;
  let spec: ModelSpec;
  try {
    spec = await engineModelSpec(first, { modelDir: setup.modelDir ?? join(runDir, `${engine}-models`), runnerFactory: p.engineFactory, timeoutMs: p.config.run.loadTimeoutMs ?? FALLBACK_LOAD_TIMEOUT_MS, log: p.log });
  } catch (e) {
    modelError(loop, `model ${first.model.id}: ${toError(e).message}`);
    return null;
  }
  const pool = p.makePool(p.devices, setup.factory, { loadTimeoutMs: p.config.run.loadTimeoutMs, log: p.log });
  const onAbort = (): void => {
    void pool.close();
  };
  p.signal?.addEventListener("abort", onAbort, { once: true });
  const detach = (): void => p.signal?.removeEventListener("abort", onAbort);
  try {
    await pool.start();
  } catch (e) {
    detach();
    await pool.close();
    throw e;
  }
  p.log(`${engine}: ${tasks.length} case(s) of ${first.model.name} through ${pool.firstEngine()?.info.build ?? engine} (${pool.firstEngine()?.info.backend ?? "?"})`);
  return { pool, spec, detach };
}

/** One peer engine's tasks of a model, after ours have run and released the model (one engine's model loaded at a time). */
async function runEngineTasks(loop: Loop, engine: PeerEngine, tasks: readonly PlannedTask[], runDir: string): Promise<void> {
  await loop.pool.release();
  const opened = await openEnginePool(loop, engine, tasks, runDir);
  if (opened === null) return;
  try {
    await runTasks({ ...loop, pool: opened.pool, cases: { ...loop.cases, pool: opened.pool } }, tasks.map((t) => ({ ...t, spec: opened.spec })));
  } finally {
    opened.detach();
    await opened.pool.close();
  }
}

/** run.interleaveEngines: every engine of the model open at once and the model's tasks one at a time in their order
 *  (case by case, each case's cells next to each other: ours, then the peer's), each on its engine's pool. */
async function runInterleaved(loop: Loop, tasks: readonly PlannedTask[], runDir: string): Promise<void> {
  const opened = new Map<PeerEngine, { pool: RunPoolLike; spec: ModelSpec; detach: () => void }>();
  try {
    for (const engine of new Set(tasks.map((t) => t.cell.engine))) {
      if (engine === "native" || loop.stopped()) continue;
      const o = await openEnginePool(loop, engine, tasks.filter((t) => t.cell.engine === engine), runDir);
      if (o !== null) opened.set(engine, o);
    }
    if (loop.stopped()) return;
    const mine = tasks.flatMap((t) => {
      if (t.cell.engine === "native") return [t];
      const o = opened.get(t.cell.engine);
      return o === undefined ? [] : [{ ...t, spec: o.spec }];
    });
    loop.p.log(`interleaving ${mine.length} case(s) of ${tasks[0]!.cell.model.name} over ${opened.size + 1} engines, one request at a time (run.interleaveEngines)`);
    await runTasks(loop, mine, (t) => {
      const o = t.cell.engine === "native" ? undefined : opened.get(t.cell.engine);
      return o === undefined ? loop.cases : { ...loop.cases, pool: o.pool };
    });
  } finally {
    for (const o of opened.values()) {
      o.detach();
      await o.pool.close();
    }
  }
}


/**
 * Runs the tasks on the pool, appending each record as it comes: one more task in flight than there are devices
 * (the next case is built while the others run), each case built just before it runs and dropped after its last
 * cell's task. The first exception (a harness bug, a full disk, a case that cannot be built) stops the run: cases
 * still queued are not started and nothing is appended after it, then it is rethrown once every task has settled
 * (so no write can follow the store's close). With `contextOf` (interleaved engines) each task runs on the pool its
 * context names, one task at a time.
 */
async function runTasks(loop: Loop, tasks: readonly PlannedTask[], contextOf?: (t: PlannedTask) => CaseContext): Promise<void> {
  const { p, summary } = loop;
  const progress = p.progress === null ? null : new Progress(tasks.length, { tty: p.progress.tty });
  const cache = new CaseCache(tasks);
  let next = 0;
  let thrown: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const t = tasks[next++]!;
      if (loop.stopped() || thrown !== null) return;
      try {
        const c = cache.take(t);
        promptCheck(t.cell, c);
        const recs = await runCase({ ...t, c }, contextOf?.(t) ?? loop.cases).finally(() => cache.done(t));
        if (recs === null || loop.stopped() || thrown !== null) return; // interrupted mid-case: not recorded, it reruns on resume
        summary.cases += recs.length - 1; // a context's further questions (counted as one when planned)
        for (const rec of recs) {
          loop.store.append(rec);
          if (rec.status === "completed") summary.completed++;
          else if (rec.status === "errored") summary.errored++;
          else if (rec.status === "unsupported") summary.unsupported++;
        }
        progress?.tick(`${t.cell.method.label}${t.cell.engine === "native" ? "" : ` · ${t.cell.engine}`} · ${t.caseId}`, recs.some((r) => r.status === "errored"));
      } catch (e) {
        if (thrown === null) {
          thrown = { error: e };
          void loop.pool.close(); // queued cases answer "interrupted" instead of running
        }
      }
    }
  };
  await Promise.all(Array.from({ length: contextOf === undefined ? Math.min(tasks.length, p.devices.length + 1) : Math.min(tasks.length, 1) }, worker));
  progress?.end();
  if (thrown !== null) throw (thrown as { error: unknown }).error;
}
