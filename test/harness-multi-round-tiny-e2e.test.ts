// configs/multi-round-tiny.json end to end against the real runner, reduced to one context (depth 20) and the
// protocols whose facts hold by the retrieval model's construction: dense answers every needle; per-question records
// (4 per context, rounds 1..4, one contextId); keep-filter-layers holds its layers 0..r cache (filterKv > 0, growing
// by exactly the round's tokens in multi-turn) while the single-selection variants hold none; a context compressed
// once to k = 64 with the cue still unseen loses needles that GemFilter's per-question selection keeps.
import test from "ava";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GemRecord } from "../core/records.ts";
import { gembenchRun, runRecords } from "./helpers/gembench-run.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const runner = process.env.GEMBENCH_RUNNER ?? join(root, "engines", "native", "build", "gem-runner");

test("multi-round-tiny (one context): per-question records, dense and multi-round GemFilter answer every needle", (t) => {
  if (!existsSync(runner)) {
    t.log(`SKIPPED: runner binary ${runner} absent (npm run build:native)`);
    return t.pass();
  }
  const config = JSON.parse(readFileSync(join(root, "configs", "multi-round-tiny.json"), "utf8")) as { engines: { method: string; params?: Record<string, unknown> }[]; suites: { options: Record<string, unknown> }[] };
  config.suites[0]!.options.depths = [20];
  // dense; snapkv (both compressions); gemfilter single selection (both); keep-filter-layers / rerun (both modes).
  config.engines = config.engines.filter((e) => e.params?.recompute === undefined);
  const dir = mkdtempSync(join(tmpdir(), "gembench-multi-round-"));
  const r = gembenchRun(config, dir, 110_000);
  t.is(r.status, 0, r.stderr.slice(-2000));
  const records = runRecords(r.out);
  const cells = new Map<string, GemRecord[]>();
  for (const rec of records) cells.set(rec.method.label, [...(cells.get(rec.method.label) ?? []), rec]);
  t.is(cells.size, 10);
  const em = (label: string) => (cells.get(label) ?? []).map((x) => x.scores.exactMatch);
  for (const [label, rs] of cells) {
    t.deepEqual(rs.map((x) => x.turn?.round), [1, 2, 3, 4], label);
    t.deepEqual(rs.map((x) => x.caseId), [1, 2, 3, 4].map((i) => `len1000-depth20#${i}`), label);
    t.true(rs.every((x) => x.turn?.contextId === "len1000-depth20" && x.turn.rounds === 4 && x.status === "completed"), label);
    t.is(new Set(rs.map((x) => x.references[0])).size, 4, `${label}: each round asks another needle`);
    const kfl = label.includes("keep-filter-layers");
    if (rs[0]!.turn?.compression === "context-only") t.true(rs.every((x) => kfl === (x.turn!.memory!.filterKv > 0)), `${label}: filterKv only for keep-filter-layers`);
  }
  t.deepEqual(em("dense · context-only · multi-request"), [1, 1, 1, 1]);
  t.deepEqual(em("dense · context-only · multi-turn"), [1, 1, 1, 1]);
  t.deepEqual(em("gemfilter r=2 k=64 rounds=keep-filter-layers · context-only · multi-request"), [1, 1, 1, 1]);
  // Same maths: the naive rerun answers what keep-filter-layers answers, round by round.
  for (const mode of ["multi-request", "multi-turn"])
    t.deepEqual(
      (cells.get(`gemfilter r=2 k=64 rounds=rerun · context-only · ${mode}`) ?? []).map((x) => x.output?.ids),
      (cells.get(`gemfilter r=2 k=64 rounds=keep-filter-layers · context-only · ${mode}`) ?? []).map((x) => x.output?.ids),
      mode,
    );
  // The multi-round variants decode each round over their own k = 64 selected rows; dense over the whole context.
  for (const [label, rs] of cells) if (label.includes("rounds=")) t.true(rs.every((x) => x.keptLength === 64), label);
  t.true(cells.get("dense · context-only · multi-request")!.every((x) => x.keptLength === x.turn!.context!.inputLength));
  // Multi-turn: layers 0..r's cache grows by exactly the previous round's question + answer.
  const mt = cells.get("gemfilter r=2 k=64 rounds=keep-filter-layers · context-only · multi-turn")!;
  for (let i = 1; i < mt.length; i++) {
    const prev = mt[i - 1]!;
    t.is(mt[i]!.turn!.cacheLength, prev.turn!.cacheLength! + prev.turn!.questionLength + prev.output!.ids.length);
  }
  // One selection of 64 of 946 context tokens before any question is asked: needles are lost.
  t.true(em("gemfilter r=2 k=64 · context-only · multi-request").some((v) => v === 0));
  t.true(em("snapkv k=64 gqa=mean · context-only · multi-request").some((v) => v === 0));
});
