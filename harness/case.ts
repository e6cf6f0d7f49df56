// One case on the runner pool: borrow an engine with the cell's model, generate (warmups + repeats) with the cell's
// method, cut the output at the suite's stop strings, score it, and return the one GemRecord that says what happened.
import type { Engine, EngineFailure, GenerateResult, LoadedModel, ModelSpec } from "../core/engine.ts";
import { toError } from "../core/errors.ts";
import { RECORD_SCHEMA_VERSION, type GemRecord, type PhaseRates, type RecordTurn, type Timings } from "../core/records.ts";
import { keptForViewer } from "../core/selection.ts";
import { median } from "../core/stats.ts";
import type { Suite, SuiteCase } from "../core/suite.ts";
import { getMethod } from "../engines/index.ts";
import { bytesPerValue, modelShape, phaseRates, phaseWork } from "../engines/phase-work.ts";
import type { RunnerMethod } from "../core/engine.ts";
import type { ResolvedConfig } from "./config.ts";
import { collectEnvironment, loadAverageNow } from "./environment.ts";
import type { FaultSpec } from "./faults.ts";
import { contextTimes, planRequests, roundCaseIds, roundResult, type PlannedRound } from "./questions.ts";
import { isDefaultPrompt, type Cell } from "./sweep.ts";
import type { GemTokenizer } from "./tokenizer.ts";

/** The part of RunnerPool the loop uses. */
export interface RunPoolLike {
  start(): Promise<void>;
  firstEngine(): Engine | null;
  withModel<T>(spec: ModelSpec, fn: (engine: Engine, model: LoadedModel) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; failure: EngineFailure }>;
  modelInfo(spec: ModelSpec): Promise<{ ok: true; value: LoadedModel } | { ok: false; failure: EngineFailure }>;
  /** Stop the runners, keeping the pool usable (the next case starts new ones). */
  release(): Promise<void>;
  close(): Promise<void>;
}

export interface CaseTask {
  cell: Cell;
  c: SuiteCase;
  caseIndex: number;
  suite: Suite<unknown>;
  tokenizer: GemTokenizer;
  /** What the engine loads; default modelSpecOf(cell) (the transformers engine loads the model's exported folder instead). */
  spec?: ModelSpec;
}

/** What a case needs of its run. */
export interface CaseContext {
  pool: RunPoolLike;
  runId: string;
  run: ResolvedConfig["run"];
  repoDir: string;
  /** Injected faults (tests), already empty unless the runner allows them. */
  faults: readonly FaultSpec[];
  signal?: AbortSignal;
}

export function modelSpecOf(cell: Cell): ModelSpec {
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

/** Achieved TFLOP/s and GB/s per phase from the loaded model's shape and dtype (the engine's answer, else the
 *  cell's) and the median times; null when the shape, the dtype's size or the method's work is unknown, or no phase
 *  has both work and time. */
export function ratesOf(
  model: LoadedModel,
  cell: { method: Pick<Cell["method"], "name" | "params">; model: Pick<Cell["model"], "dtype"> },
  last: Pick<GenerateResult, "inputLength" | "keptLength" | "params">,
  t: Timings,
): PhaseRates | null {
  const shape = modelShape(model);
  const b = bytesPerValue(model.dtype ?? cell.model.dtype);
  if (shape === null || b === null || last.keptLength === null) return null;
  const bw = model.weightDtype === undefined ? null : bytesPerValue(model.weightDtype);
  const facts = {
    method: cell.method.name,
    params: { ...cell.method.params, ...last.params },
    inputLength: last.inputLength,
    keptLength: last.keptLength,
    decodeTokens: t.decodeTokens,
    bytesPerValue: b,
    ...(bw === null ? {} : { weightBytesPerValue: bw }),
  };
  const work = phaseWork(shape, facts);
  if (work === null) return null;
  const rates = phaseRates(work, t);
  return Object.keys(rates).length > 0 ? rates : null;
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

/** A case's first generation when a follow-up came after it (SuiteCase.followUp, default protocol only): its kept
 *  runs and the last one's text, and the follow-up prompt's length. */
interface FirstStep {
  runs: GenerateResult[];
  text: string;
  followUpInputLength: number;
}

type Attempt = { kind: "ok"; runs: GenerateResult[][]; first: FirstStep | null; model: LoadedModel; engine: Engine } | { kind: "failed"; failure: EngineFailure; engine: Engine | null };

const recordKeyOf = (t: CaseTask): string => `${t.cell.cellKey}/${t.c.caseId}`;
const isViewerCase = (t: CaseTask, x: CaseContext): boolean => t.caseIndex < x.run.viewerCases;

/** The case on a borrowed engine: an injected fault (tests), or warmups + repeats of generate; the first failure ends it. */
async function attempt(engine: Engine, model: LoadedModel, method: RunnerMethod, t: CaseTask, x: CaseContext): Promise<Attempt> {
  const { cell, c } = t;
  const fault = x.faults.find((f) => f.match === c.caseId || f.match === recordKeyOf(t));
  if (fault !== undefined && engine.fault !== undefined) {
    const out = await engine.fault(fault.kind, { timeoutMs: x.run.timeoutMs });
    const failure: EngineFailure = out.ok ? { kind: "error", code: "fault", message: `fault ${fault.kind} was answered`, hint: "" } : out.failure;
    return { kind: "failed", failure, engine };
  }
  const { warmups, repeats } = cell.suite;
  const runs: GenerateResult[][] = [];
  let first: FirstStep | null = null;
  for (const planned of planRequests(cell, c, method)) {
    const mode = planned.request.turnMode;
    // A runner without turns would answer the context alone as a with-question prompt: refuse instead.
    if (mode !== undefined && !(engine.info.turnModes ?? []).includes(mode)) {
      const message = `the ${engine.info.kind} engine (${engine.info.build}) does not implement turnMode ${JSON.stringify(mode)} (its hello lists ${JSON.stringify(engine.info.turnModes ?? [])})`;
      return { kind: "failed", failure: { kind: "error", code: "unsupported", message, hint: "rebuild the native runner (npm run build:native); context-only compression and several questions per context need its turns" }, engine };
    }
    // A follow-up (e.g. LongBench v2's answer after its chain of thought) is built from the request's output and
    // generated on the same engine; it is what the case scores. Cases with one have no prompt parts, so no turns.
    const followUp = planned.request.turns === undefined ? c.followUp : undefined;
    const kept: GenerateResult[] = [];
    for (let i = 0; i < warmups + repeats; i++) {
      const selection = (x.run.returnSelection || isViewerCase(t, x)) && i === warmups + repeats - 1;
      const out = await engine.generate({ ...planned.request, returnSelection: selection && followUp === undefined }, { timeoutMs: x.run.timeoutMs });
      if (!out.ok) return { kind: "failed", failure: out.failure, engine };
      let result = out.value;
      const text = followUp === undefined ? "" : cutAtStop(t.tokenizer.decode(result.outputIds, { skipSpecialTokens: true }), c.stopStrings);
      const next = followUp?.(text) ?? null;
      if (next !== null) {
        const maxNewTokens = next.maxNewTokens;
        const request = { ...planned.request, inputIds: next.inputIds, maxNewTokens, minNewTokens: Math.min(c.minNewTokens ?? 0, maxNewTokens), returnSelection: selection };
        const second = await engine.generate(request, { timeoutMs: x.run.timeoutMs });
        if (!second.ok) return { kind: "failed", failure: second.failure, engine };
        if (i >= warmups) {
          first ??= { runs: [], text, followUpInputLength: next.inputIds.length };
          first.runs.push(result);
          first.text = text;
        }
        result = second.value;
      }
      if (i >= warmups) kept.push(result);
    }
    runs.push(kept);
  }
  return { kind: "ok", runs, first, model, engine };
}

/** One record's place in its case: the round's record id (caseId), question and, with turns, its request's results. */
interface RoundSlot {
  caseId: string;
  planned: PlannedRound;
  questionLength: number;
  inputLength: number;
}

/** The rounds of the case's cell in request order (one for the default protocol). */
function roundSlots(t: CaseTask, method: RunnerMethod): { slot: RoundSlot; request: number }[] {
  const ids = roundCaseIds(t.cell.prompt, t.c);
  const out: { slot: RoundSlot; request: number }[] = [];
  planRequests(t.cell, t.c, method).forEach((p, request) => {
    for (const r of p.rounds) {
      const q = r.question?.inputIds.length ?? 0;
      const inputLength = p.request.turns === undefined ? p.request.inputIds.length : p.request.inputIds.length + q;
      out.push({ slot: { caseId: ids[out.length] ?? t.c.caseId, planned: r, questionLength: q, inputLength }, request });
    }
  });
  return out;
}

/** The fields every record of this case has, whatever happened. */
function recordBase(t: CaseTask, x: CaseContext, engine: Engine | null, startedAt: string, loadAtStart: number[], slot: RoundSlot) {
  const { cell, c } = t;
  const info = engine?.info ?? x.pool.firstEngine()?.info ?? { build: "unknown", backend: "unknown", device: "unknown", timer: "unknown" };
  return {
    schema: RECORD_SCHEMA_VERSION,
    runId: x.runId,
    ...(cell.engine === "native" ? {} : { engine: cell.engine }),
    cellKey: cell.cellKey,
    recordKey: `${cell.cellKey}/${slot.caseId}`,
    suite: cell.suite.name,
    dataset: c.dataset,
    caseId: slot.caseId,
    method: cell.method,
    sweep: cell.sweep,
    caseMeta: c.caseMeta,
    protocol: isDefaultPrompt(cell.prompt) || c.parts === undefined ? c.protocol : { ...c.protocol, promptSplit: c.parts.rule },
    inputLength: slot.inputLength,
    references: slot.planned.question?.references ?? c.references,
    environment: collectEnvironment({ build: info.build, backend: info.backend, device: info.device, timer: info.timer }, x.repoDir, loadAtStart),
    startedAt,
  } as const;
}
type RecordBase = ReturnType<typeof recordBase>;

/** The record's `turn` (absent for the default protocol): which question, what the method saw, the round's memory. */
function recordTurn(t: CaseTask, slot: RoundSlot, plannedRounds: number, last: GenerateResult | null): RecordTurn | undefined {
  const { prompt } = t.cell;
  if (isDefaultPrompt(prompt)) return undefined;
  const turn = slot.planned.turn === null ? undefined : last?.turns?.[slot.planned.turn];
  const ctx = last === null || slot.planned.turn === null ? null : contextTimes(last);
  return {
    compression: prompt.compression,
    questions: prompt.questions,
    contextId: t.c.caseId,
    round: slot.planned.round,
    rounds: plannedRounds,
    questionId: slot.planned.question?.id ?? "",
    questionLength: slot.questionLength,
    cacheLength: turn?.cacheLength ?? null,
    context: ctx === null || last === null ? null : { inputLength: last.inputLength, keptLength: last.keptLength, ...ctx },
    memory: turn?.memory ?? null,
  };
}

function modelRecord(cell: Cell, m: LoadedModel | null): GemRecord["model"] {
  return {
    id: cell.model.id,
    name: cell.model.name,
    hash: cell.model.hash,
    family: m?.family ?? "unknown",
    layers: m?.layers ?? 0,
    ...(m?.dtype === undefined ? {} : { dtype: m.dtype }),
    ...(m?.weightDtype === undefined ? {} : { weightDtype: m.weightDtype }),
  };
}

/** The runner failed the case (or does not support it): no output, the failure as the record's error. */
function failedRecord(base: RecordBase, cell: Cell, f: EngineFailure, turn: RecordTurn | undefined): GemRecord {
  return {
    ...base,
    model: modelRecord(cell, null),
    keptLength: null,
    ...(turn === undefined ? {} : { turn }),
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

/** The runner answered: the round's answer of the last repeat cut at the stop strings and scored against the round's
 *  question (a scorer that throws errors the record). */
function outputRecord(base: RecordBase, t: CaseTask, x: CaseContext, model: LoadedModel, requestRuns: readonly GenerateResult[], first: FirstStep | null, slot: RoundSlot, turn: RecordTurn | undefined): GemRecord {
  const { cell, c } = t;
  const runs = requestRuns.map((r) => roundResult(r, slot.planned));
  const last = runs[runs.length - 1]!;
  const text = cutAtStop(t.tokenizer.decode(last.outputIds, { skipSpecialTokens: true }), c.stopStrings);
  const timings = combineTimings(runs, cell.suite.warmups);
  // The phase-work model knows one prompt compressed and decoded; a turn's prefill over a kept cache is not in it.
  const rates = slot.planned.turn === null ? ratesOf(model, cell, last, timings) : null;
  if (rates !== null) timings.rates = rates;
  const answered = {
    ...base,
    ...(first === null
      ? {}
      : {
          inputLength: first.followUpInputLength,
          steps: [{ inputLength: c.inputIds.length, output: { ids: first.runs[first.runs.length - 1]!.outputIds, text: first.text, stopReason: first.runs[first.runs.length - 1]!.stopReason }, timings: combineTimings(first.runs, cell.suite.warmups) }],
        }),
    model: modelRecord(cell, model),
    keptLength: last.keptLength,
    ...(turn === undefined ? {} : { turn }),
    ...(last.params !== undefined ? { resolvedParams: last.params } : {}),
    output: { ids: last.outputIds, text, stopReason: last.stopReason },
    timings,
    memory: last.memory,
  };
  let scores: Record<string, number>;
  try {
    const q = slot.planned.question;
    scores = t.suite.score(q === null ? c : { ...c, references: q.references }, text);
  } catch (e) {
    return {
      ...answered,
      scores: {},
      selection: null,
      viewer: null,
      status: "errored",
      error: { code: "score_error", message: toError(e).message, hint: `the ${cell.suite.name} scorer threw on this output` },
      finishedAt: new Date().toISOString(),
    };
  }
  const sel = last.selection ?? null;
  // The viewer shows what the method chose from: the whole prompt, or the context alone (context-only).
  const seen = slot.planned.turn === null ? c.inputIds : (c.parts?.contextIds ?? c.inputIds);
  return {
    ...answered,
    scores,
    selection: x.run.returnSelection ? sel : null,
    viewer:
      isViewerCase(t, x) && sel !== null && slot.planned.round === 1 && first === null
        ? { tokens: t.tokenizer.tokenStrings(seen), kept: keptForViewer(sel, seen.length), marks: c.marks.filter((m) => m.end <= seen.length) }
        : null,
    status: "completed",
    error: null,
    finishedAt: new Date().toISOString(),
  };
}

/** Runs one case: one record per round of its cell's protocol (one for the default); null when the run was
 *  interrupted meanwhile (nothing is recorded: the case reruns on resume). */
export async function runCase(t: CaseTask, x: CaseContext): Promise<GemRecord[] | null> {
  const startedAt = new Date().toISOString();
  let loadAtStart = loadAverageNow();
  const adapter = getMethod(t.cell.method.name);
  if (adapter === undefined) throw new Error(`unknown method ${t.cell.method.name}`);
  const method = adapter.toRunner(t.cell.method.params);
  let engineUsed: Engine | null = null;
  const borrowed = await x.pool.withModel(t.spec ?? modelSpecOf(t.cell), async (engine, model): Promise<Attempt> => {
    engineUsed = engine;
    loadAtStart = loadAverageNow();  // when the case gets its engine (cases queue for engines)
    return attempt(engine, model, method, t, x);
  });
  if (x.signal?.aborted) return null;
  const engine: Engine | null = borrowed.ok ? borrowed.value.engine : engineUsed;
  const result: Attempt = borrowed.ok ? borrowed.value : { kind: "failed", failure: borrowed.failure, engine: null };
  const slots = roundSlots(t, method);
  return slots.map(({ slot, request }) => {
    const base = recordBase(t, x, engine, startedAt, loadAtStart, slot);
    if (result.kind === "failed") return failedRecord(base, t.cell, result.failure, recordTurn(t, slot, slots.length, null));
    const runs = result.runs[request]!;
    return outputRecord(base, t, x, result.model, runs, result.first, slot, recordTurn(t, slot, slots.length, runs[runs.length - 1]!));
  });
}
