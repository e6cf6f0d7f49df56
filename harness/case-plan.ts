// Cases known by id before they are built, and built only when they run: a suite's plan (Suite.planCases), or its
// buildCases wrapped as one. The run keeps a built case only while one of its cells' tasks still needs it, so memory
// holds the cases in flight, not a suite's whole grid.
import { toError } from "../core/errors.ts";
import type { CasePlan, Suite, SuiteCase, SuiteContext } from "../core/suite.ts";

/** The suite's plan, or its eagerly built cases as a plan (their sizes exact). */
export async function casePlanOf(suite: Suite<unknown>, options: unknown, ctx: SuiteContext): Promise<CasePlan> {
  if (suite.planCases !== undefined) return suite.planCases(options, ctx);
  const cases = await suite.buildCases(options, ctx);
  return {
    cases: cases.map((c) => ({ caseId: c.caseId, promptTokens: c.inputIds.length, maxNewTokens: c.maxNewTokens })),
    build: (i) => cases[i] as SuiteCase,
  };
}

/** One use of a planned case: which plan and which of its cases. */
export interface CaseUse {
  plan: CasePlan;
  caseIndex: number;
}

/**
 * Builds each planned case on its first use and drops it after its last (uses counted up front): with the uses of a
 * case next to each other, at most the cases in flight are held.
 */
/** The case of a use, built now; a build that throws is named by its case id. */
export function buildCase(u: CaseUse): SuiteCase {
  try {
    return u.plan.build(u.caseIndex);
  } catch (e) {
    throw new Error(`building case ${u.plan.cases[u.caseIndex]?.caseId ?? u.caseIndex}: ${toError(e).message}`, { cause: e });
  }
}

export class CaseCache {
  private readonly left = new Map<CasePlan, Map<number, number>>();
  private readonly built = new Map<CasePlan, Map<number, SuiteCase>>();

  constructor(uses: readonly CaseUse[]) {
    for (const u of uses) {
      const m = this.left.get(u.plan) ?? new Map<number, number>();
      m.set(u.caseIndex, (m.get(u.caseIndex) ?? 0) + 1);
      this.left.set(u.plan, m);
    }
  }

  /** The case of a use, built now unless an earlier use of it is still running; `done` releases it. */
  take(u: CaseUse): SuiteCase {
    const m = this.built.get(u.plan) ?? new Map<number, SuiteCase>();
    this.built.set(u.plan, m);
    let c = m.get(u.caseIndex);
    if (c === undefined) {
      c = buildCase(u);
      m.set(u.caseIndex, c);
    }
    return c;
  }

  /** A use is over: the case is dropped once no use of it is left. */
  done(u: CaseUse): void {
    const left = this.left.get(u.plan);
    const n = (left?.get(u.caseIndex) ?? 1) - 1;
    if (n > 0) {
      left?.set(u.caseIndex, n);
      return;
    }
    left?.delete(u.caseIndex);
    this.built.get(u.plan)?.delete(u.caseIndex);
  }
}
