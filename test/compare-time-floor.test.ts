// compare: a time ratio whose baseline and candidate medians are both below the floor (minTimeMs, default 5 ms) is
// noise on sub-millisecond CPU timings: it is shown as "below floor" and never regresses the cell. One side at or
// above the floor is judged as usual; the floor comes from the thresholds file or --min-time-ms ("off": no floor).
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compareCommand, compareRuns, DEFAULT_THRESHOLDS } from "../reports/compare.ts";
import { makeRecord, timingsOf, type MethodSpec } from "./helpers/records.ts";

const random: MethodSpec = { name: "random", params: { k: 256 } };
/** One case at context 1000: decode `decodeMs` over 10 tokens; the candidates' prefill is shortened by as much as
 *  their decode grows, so total time stays the same and only decode/token changes. */
const cell = (decodeMs: number, prefillMs = 60) => [
  makeRecord({
    suite: "niah",
    dataset: "niah-single",
    caseId: "len1000-depth0",
    method: random,
    caseMeta: { contextLength: 1000 },
    scores: { paperRecall: 0 },
    timings: timingsOf({ prefillMs: [prefillMs], decodeMs: [decodeMs], decodeTokens: 10 }),
  }),
];

test("×2.43 on 0.7 → 1.7 ms/token is below the floor: shown, not a regression", (t) => {
  const r = compareRuns(cell(7), cell(17, 50));
  const decode = r.cells[0]!.times.decodePerToken!;
  t.deepEqual(decode, { baseline: 0.7, candidate: 1.7, ratio: 1.7 / 0.7, at: 1000, belowFloor: true });
  t.deepEqual(r.cells[0]!.regressions, []);
  t.false(r.regressed);
  // with the floor off, the same ratio regresses
  const off = compareRuns(cell(7), cell(17, 50), { ...DEFAULT_THRESHOLDS, minTimeMs: null });
  t.deepEqual(off.cells[0]!.regressions, ["decode/token time ×2.429 at context 1000 (max ×1.1)"]);
});

test("one median at or above the floor is judged: 4 → 6 ms/token regresses", (t) => {
  const r = compareRuns(cell(40), cell(60, 40));
  t.is(r.cells[0]!.times.decodePerToken!.belowFloor, false);
  t.deepEqual(r.cells[0]!.regressions, ["decode/token time ×1.500 at context 1000 (max ×1.1)"]);
});

test("a judged group outranks a worse one below the floor", (t) => {
  // context 1000: 0.7 → 1.7 ms/token (below floor, ×2.43); context 2000: 10 → 10.5 ms/token (judged, ×1.05)
  const at = (len: number, decodeMs: number, prefillMs = 60) =>
    makeRecord({ suite: "niah", dataset: "niah-single", caseId: `len${len}`, method: random, caseMeta: { contextLength: len }, scores: { paperRecall: 0 }, timings: timingsOf({ prefillMs: [prefillMs], decodeMs: [decodeMs], decodeTokens: 10 }) });
  const r = compareRuns([at(1000, 7), at(2000, 100)], [at(1000, 17, 50), at(2000, 105, 55)]);
  t.deepEqual(r.cells[0]!.times.decodePerToken, { baseline: 10, candidate: 10.5, ratio: 1.05, at: 2000, belowFloor: false });
  t.false(r.regressed);
});

test("the markdown says below floor and the floor; the thresholds file and --min-time-ms set it (off: no floor)", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-cmp-floor-"));
  const write = (name: string, decodeMs: number, prefillMs?: number): string => {
    const p = join(dir, `${name}.jsonl`);
    writeFileSync(p, cell(decodeMs, prefillMs).map((r) => JSON.stringify(r)).join("\n") + "\n");
    return p;
  };
  const base = write("base", 7);
  const cand = write("cand", 17, 50);
  const r = compareCommand(base, cand);
  t.is(r.code, 0);
  t.true(r.stdout.includes("| ×2.43 below floor |"));
  t.true(r.stdout.includes("- Thresholds: accuracy drop ≤ 1 points · time ratio ≤ ×1.1 (not judged where both medians are below 5 ms) · memory ratio ≤ ×1.05"));
  const file = join(dir, "thresholds.json");
  writeFileSync(file, JSON.stringify({ minTimeMs: 0.5 }));
  t.is(compareCommand(base, cand, { thresholdsFile: file }).result.thresholds.minTimeMs, 0.5);
  t.is(compareCommand(base, cand, { thresholdsFile: file }).code, 1);
  t.is(compareCommand(base, cand, { thresholdsFile: file, flags: { minTimeMs: 2 } }).code, 0);
  const cli = (...args: string[]) => spawnSync(process.execPath, [fileURLToPath(new URL("../bin/gembench.js", import.meta.url)), "compare", base, cand, ...args], { encoding: "utf8" }).status;
  t.deepEqual([cli("--min-time-ms", "off"), cli("--thresholds", file, "--min-time-ms", "2"), cli("--min-time-ms", "-1")], [1, 0, 2]);
});
