// The prompt-protocol report (reports/rounds.ts): per round the mean score, median times and KV bytes of each method
// configuration; per context the sum of its rounds; with-question beside context-only; the markdown section and the
// HTML section (a score and a time chart over rounds) appear only for runs with rounds.
import test from "ava";
import { GemRecord, type RecordTurn } from "../core/records.ts";
import { renderHtml } from "../reports/html/index.ts";
import { markdownText } from "../reports/markdown.ts";
import { compressionPairs, contextTotals, roundRows } from "../reports/rounds.ts";
import { makeRecord, timingsOf } from "./helpers/records.ts";

const gf = { name: "gemfilter", params: { filterLayer: 2, k: 64 } };
function rec(label: string, compression: RecordTurn["compression"], ctx: string, round: number, em: number, totalMs: number, kv: number): GemRecord {
  const base = makeRecord({ suite: "niah", dataset: "niah-multikey", caseId: `${ctx}#${round}`, method: gf, scores: { exactMatch: em }, timings: { ...timingsOf({ prefillMs: [10] }), totalMs } });
  const turn: RecordTurn = { compression, questions: "multi-request", contextId: ctx, round, rounds: 2, questionId: `q${round}`, questionLength: 5, cacheLength: 100, context: null, memory: { kv, filterKv: 0, total: kv } };
  return GemRecord.parse({ ...base, method: { ...base.method, label }, turn });
}

const records = [
  rec("gemfilter · context-only · multi-request", "context-only", "a", 1, 1, 500, 2048),
  rec("gemfilter · context-only · multi-request", "context-only", "a", 2, 0, 30, 2048),
  rec("gemfilter · context-only · multi-request", "context-only", "b", 1, 1, 700, 4096),
  rec("gemfilter · context-only · multi-request", "context-only", "b", 2, 1, 50, 4096),
  rec("gemfilter · multi-request", "with-question", "a", 1, 1, 400, 1024),
  rec("gemfilter · multi-request", "with-question", "a", 2, 1, 420, 1024),
];

test("per round, per context, side by side: exact values", (t) => {
  const rows = roundRows(records, false);
  t.deepEqual(
    rows.map((r) => [r.variant, r.round, r.n, r.score, r.totalMs, r.kvBytes]),
    [
      ["gemfilter · context-only · multi-request", 1, 2, 1, 600, 3072],
      ["gemfilter · context-only · multi-request", 2, 2, 0.5, 40, 3072],
      ["gemfilter · multi-request", 1, 1, 1, 400, 1024],
      ["gemfilter · multi-request", 2, 1, 1, 420, 1024],
    ],
  );
  t.deepEqual(contextTotals(records, false).map((c) => [c.variant, c.contexts, c.rounds, c.totalMs, c.score]), [
    ["gemfilter · context-only · multi-request", 2, 2, 640, 0.75],
    ["gemfilter · multi-request", 1, 2, 820, 1],
  ]);
  t.deepEqual(compressionPairs(records, false).map((p) => [p.method, p.questions, p.withQuestion, p.contextOnly]), [["gemfilter", "multi-request", 1, 0.75]]);
});

test("summary.md and report.html carry the rounds section only when records have rounds", (t) => {
  t.regex(markdownText(records), /### Rounds and prompt protocols[\s\S]*\| gemfilter · context-only · multi-request \| 2 \| 2 \| 50\.0 \|/);
  const page = renderHtml(records, { config: null, generatedAt: "now" }, { inlineVega: false });
  t.true(page.sections.includes("rounds"));
  t.is(page.charts.filter((c) => c.id.includes("rounds")).length, 2);
  const plain = records.map(({ turn: _, ...r }) => GemRecord.parse(r));
  t.false(markdownText(plain).includes("Rounds and prompt protocols"));
  t.false(renderHtml(plain, { config: null, generatedAt: "now" }, { inlineVega: false }).sections.includes("rounds"));
});

test("summary.csv gains the turn columns only for runs with rounds", async (t) => {
  const { csvRows } = await import("../reports/csv.ts");
  const rows = csvRows(records);
  const h = rows[0]!;
  const at = (name: string) => h.indexOf(name);
  t.true(at("turn.round") > 0);
  t.deepEqual(rows.slice(1).map((r) => [r[at("turn.contextId")], r[at("turn.round")], r[at("turn.compression")], r[at("turn.kvBytes")]]), [
    ["a", 1, "context-only", 2048],
    ["a", 2, "context-only", 2048],
    ["b", 1, "context-only", 4096],
    ["b", 2, "context-only", 4096],
    ["a", 1, "with-question", 1024],
    ["a", 2, "with-question", 1024],
  ]);
  t.false(csvRows(records.map(({ turn: _, ...r }) => GemRecord.parse(r)))[0]!.some((c) => String(c).startsWith("turn.")));
});
