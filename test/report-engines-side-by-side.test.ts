// Where the native runner and another engine ran the same cells, the reports set them side by side: per method
// variant, each engine's mean headline score over the cases both completed and the share of those cases with
// identical generated tokens (summary.md "Engines side by side", report.html's "engines" section). Cases only one
// engine completed are left out of both means; a run with one engine has no such table.
import test from "ava";
import type { GemRecord } from "../core/records.ts";
import { engineAgreement } from "../reports/aggregate.ts";
import { renderHtml } from "../reports/html/index.ts";
import { markdownText } from "../reports/markdown.ts";
import { gemfilter, makeRecord } from "./helpers/records.ts";

function rec(o: { engine?: string; caseId: string; score: number; ids: number[]; status?: GemRecord["status"]; method?: ReturnType<typeof gemfilter> }): GemRecord {
  const r = makeRecord({ suite: "niah", dataset: "niah-passkey", caseId: o.caseId, method: o.method ?? gemfilter(2, 256), scores: { exactMatch: o.score }, status: o.status, ...(o.engine ? { engine: o.engine } : {}) });
  return r.output === null ? r : { ...r, output: { ...r.output, ids: o.ids } };
}

const records = [
  rec({ caseId: "a", score: 1, ids: [5, 6] }),
  rec({ caseId: "b", score: 1, ids: [7] }),
  rec({ caseId: "c", score: 0, ids: [9] }),
  rec({ caseId: "d", score: 1, ids: [1] }),
  rec({ engine: "transformers", caseId: "a", score: 1, ids: [5, 6] }),
  rec({ engine: "transformers", caseId: "b", score: 0, ids: [7, 8] }),
  rec({ engine: "transformers", caseId: "c", score: 0, ids: [9] }),
  rec({ engine: "transformers", caseId: "d", score: 0, ids: [], status: "errored" }),
];

test("per variant: both engines' means over the cases both completed, and the share with identical tokens", (t) => {
  t.deepEqual(engineAgreement(records, { withModel: false }), [
    { suite: "niah", variant: "gemfilter filterLayer=2 k=256", engine: "transformers", metric: "exactMatch", paired: 3, native: 2 / 3, other: 1 / 3, agreement: 2 / 3 },
  ]);
});

test("one engine only: no rows, no table, no section", (t) => {
  const native = records.filter((r) => r.engine === undefined);
  t.deepEqual(engineAgreement(native, { withModel: false }), []);
  t.false(markdownText(native).includes("Engines side by side"));
  t.false(renderHtml(native, { config: null, generatedAt: "2026-12-05" }, { inlineVega: false }).sections.includes("engines"));
});

test("summary.md and report.html show the table", (t) => {
  t.true(markdownText(records).includes("| gemfilter filterLayer=2 k=256 | transformers | 3 | exactMatch | 0.667 | 0.333 | 0.667 |"));
  const html = renderHtml(records, { config: null, generatedAt: "2026-12-05" }, { inlineVega: false });
  t.true(html.sections.includes("engines"));
  t.regex(html.html, /<td>gemfilter filterLayer=2 k=256<\/td><td>transformers<\/td><td class="num">3<\/td><td>exactMatch<\/td><td class="num">0\.667<\/td><td class="num">0\.333<\/td><td class="num">0\.667<\/td>/);
});

test("datasets scored under different metrics (LongBench): each case's own headline, the metrics named", (t) => {
  const lb = (engine: string | undefined, caseId: string, scores: Record<string, number>) =>
    makeRecord({ suite: "longbench", dataset: caseId.split("/")[0]!, caseId, method: gemfilter(2, 64), scores, ...(engine ? { engine } : {}) });
  const rows = engineAgreement(
    [lb(undefined, "a/1", { rouge_score: 0.5 }), lb(undefined, "b/1", { qa_f1_score: 0.25 }), lb("transformers", "a/1", { rouge_score: 0.5 }), lb("transformers", "b/1", { qa_f1_score: 0 })],
    { withModel: false },
  );
  t.deepEqual(rows.map((r) => [r.metric, r.native, r.other, r.paired]), [["rouge_score / qa_f1_score", 0.375, 0.25, 2]]);
});
