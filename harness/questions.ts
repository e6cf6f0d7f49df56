// Prompt protocols (engines/README.md "Prompt protocols"): what the method compresses (the whole prompt, or the
// context alone with the question prefilled after) and how many questions a context gets. Pure functions: which
// requests a case's cell sends, and which rounds (records) each request's answers become; case.ts runs them.
import type { GenerateRequest, GenerateResult, RunnerMethod } from "../core/engine.ts";
import type { CaseQuestion, SuiteCase } from "../core/suite.ts";
import type { Cell, CellPrompt } from "./sweep.ts";
import { isDefaultPrompt } from "./sweep.ts";

/** One round of a context: its question and where its answer comes from (the request, and the turn within it). */
export interface PlannedRound {
  round: number;
  question: CaseQuestion | null;
  /** Index into the request's result `turns`; null: the request's top-level answer (with-question). */
  turn: number | null;
}

export interface PlannedRequest {
  request: Omit<GenerateRequest, "returnSelection">;
  rounds: PlannedRound[];
}

/** Why the cell's protocol does not apply to the case (a usage error), or null. */
export function promptProblem(prompt: CellPrompt, c: SuiteCase, suite: string): string | null {
  if (isDefaultPrompt(prompt)) return null;
  if (c.parts === undefined)
    return `suite ${suite} (dataset ${c.dataset}, case ${c.caseId}) has no context/question split; compression "${prompt.compression}" with questions "${prompt.questions}" needs one (engines/README.md "Prompt protocols" lists the suites that have it)`;
  if (prompt.questions !== "single" && c.parts.questions.length < 2)
    return `case ${c.caseId} of suite ${suite} (dataset ${c.dataset}) asks one question about its context; questions "${prompt.questions}" needs several (NIAH variant multikey or multi, RULER niah_multiquery, LongBench groupQuestions)`;
  return null;
}

/** The case's questions the protocol asks: the first one (single), or all of them. */
function asked(prompt: CellPrompt, c: SuiteCase): CaseQuestion[] {
  const parts = c.parts;
  if (parts === undefined) return [];
  if (prompt.questions !== "single") return parts.questions;
  return parts.own !== undefined ? [parts.own] : parts.questions.slice(0, 1);
}

/** The record ids (caseIds) a case's cell writes: the caseId alone for one question, "<caseId>#<round>" per question otherwise. */
export function roundCaseIds(prompt: CellPrompt, c: SuiteCase): string[] {
  if (prompt.questions === "single") return [c.caseId];
  return asked(prompt, c).map((_, i) => `${c.caseId}#${i + 1}`);
}

/**
 * The requests of one case: with-question single is the case's own prompt; with-question multi-request is one request
 * per question (context ids ++ that question's ids; the method sees each question); context-only is one request whose
 * inputIds are the context and whose turns are the questions (turnMode "multi-turn" for questions multi-turn).
 */
export function planRequests(cell: Pick<Cell, "prompt" | "suite">, c: SuiteCase, method: RunnerMethod): PlannedRequest[] {
  const maxNewTokens = cell.suite.maxNewTokens ?? c.maxNewTokens;
  const common = {
    method,
    maxNewTokens,
    minNewTokens: Math.min(c.minNewTokens ?? 0, maxNewTokens),
    stopIds: c.stopIds,
    ...(c.eosIds === undefined ? {} : { eosIds: c.eosIds }),
    ...(c.stopCheckFrom === undefined ? {} : { stopCheckFrom: c.stopCheckFrom }),
    ignoreEos: cell.suite.ignoreEos,
    allowLongInput: c.allowLongInput === true,
  };
  const { prompt } = cell;
  if (isDefaultPrompt(prompt)) return [{ request: { inputIds: c.inputIds, ...common }, rounds: [{ round: 1, question: null, turn: null }] }];
  const parts = c.parts;
  if (parts === undefined) throw new Error(`case ${c.caseId} has no prompt parts`);
  const qs = asked(prompt, c);
  if (prompt.compression === "with-question")
    return qs.map((q, i) => ({ request: { inputIds: [...parts.contextIds, ...q.inputIds], ...common }, rounds: [{ round: i + 1, question: q, turn: null }] }));
  return [
    {
      request: {
        inputIds: parts.contextIds,
        ...common,
        turns: qs.map((q) => ({ inputIds: q.inputIds })),
        turnMode: prompt.questions === "multi-turn" ? "multi-turn" : "multi-request",
      },
      rounds: qs.map((q, i) => ({ round: i + 1, question: q, turn: i })),
    },
  ];
}

/**
 * One run's answer for a round, as a plain GenerateResult (output, timings, kept length): the top-level answer, or
 * the turn's with round 1 also paying for the context's compression (its filter and prefill added to the turn's, its
 * time to the turn's ttft and total), so that a context-only record's time is the whole request's as with-question's
 * is, and a context's rounds sum to its request.
 */
export function roundResult(r: GenerateResult, pr: PlannedRound): GenerateResult {
  if (pr.turn === null) return r;
  const t = r.turns?.[pr.turn];
  if (t === undefined) throw new Error(`the engine answered ${r.turns?.length ?? 0} turn(s), turn ${pr.turn + 1} was asked`);
  const ctx = pr.round === 1 ? contextTimes(r) : { filterMs: 0, prefillMs: 0, totalMs: 0 };
  return {
    ...r,
    outputIds: t.outputIds,
    stopReason: t.stopReason,
    keptLength: t.keptLength ?? r.keptLength,
    timings: {
      filterMs: t.timings.filterMs + ctx.filterMs,
      prefillMs: t.timings.prefillMs + ctx.prefillMs,
      decodeMs: t.timings.decodeMs,
      decodeTokens: t.timings.decodeTokens,
      ttftMs: t.timings.ttftMs + ctx.totalMs,
      totalMs: t.timings.totalMs + ctx.totalMs,
    },
    ...(t.selection !== undefined ? { selection: t.selection } : pr.round === 1 && r.selection !== undefined ? { selection: r.selection } : {}),
  };
}

/** The context's compression in a turns result: its filter and prefill, and their sum as its wall time. */
export function contextTimes(r: GenerateResult): { filterMs: number; prefillMs: number; totalMs: number } {
  return { filterMs: r.timings.filterMs, prefillMs: r.timings.prefillMs, totalMs: r.timings.filterMs + r.timings.prefillMs };
}
