// compare refuses to pair runs of different LongBench protocol profiles: their scores come from different pipelines
// (chat template or not, budgets, stop rules). Records from before profiles named their reference carry
// profile "longbench" but ran the chat template (today's "chat"): they pair with neither.
import test from "ava";
import { UsageError } from "../core/errors.ts";
import type { GemRecord } from "../core/records.ts";
import { compareRuns } from "../reports/compare.ts";
import { dense, makeRecord } from "./helpers/records.ts";

const THUDM = "THUDM/LongBench v1 LongBench/pred.py (build_chat, model2maxlen, model.generate)";
function rec(protocol: Record<string, string>): GemRecord {
  // the same cellKey on both sides: a config without an explicit profile, run before and after the default changed
  return makeRecord({ suite: "longbench", dataset: "hotpotqa", caseId: "hotpotqa-0", method: dense, scores: { qa_f1_score: 0.5 }, protocol });
}

test("the same profile and reference: compared", (t) => {
  const a = rec({ profile: "longbench", reference: THUDM });
  t.is(compareRuns([a], [a]).cells.length, 1);
});

test("a longbench record from before the profiles named their reference against today's longbench: refused, naming both", (t) => {
  const old = rec({ profile: "longbench", chatTemplateMode: "official" });
  const now = rec({ profile: "longbench", reference: THUDM });
  const e = t.throws(() => compareRuns([old], [now]), { instanceOf: UsageError });
  t.regex(e!.message, /different protocol profiles.*baseline longbench \(recorded before profiles named their reference\), candidate longbench\b/);
});

test("chat against longbench in one cell: refused", (t) => {
  t.throws(() => compareRuns([rec({ profile: "chat", reference: "none" })], [rec({ profile: "longbench", reference: THUDM })]), { instanceOf: UsageError, message: /baseline chat, candidate longbench/ });
});
