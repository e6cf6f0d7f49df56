// Fault injection for tests: GEMBENCH_FAULT_CASE names cases whose runner crashes, hangs or exits (honoured only when
// the runner got --allow-faults).

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
