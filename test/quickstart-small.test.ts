// The quick start end to end at test size: `gembench quickstart --config configs/quickstart-test.json` (the command
// `npm run quickstart` runs, on a 1 length × 2 depths grid × all five methods) exits 0, writes a completed record for
// every cell × case, summary.csv and summary.md, and its output ends by saying where the results are.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import test from "ava";
import { GemRecord } from "../core/records.ts";

const REPO = resolve(import.meta.dirname, "..");
const CLI = join(REPO, "cli", "main.ts");
const CONFIG = join(REPO, "configs", "quickstart-test.json");

test("quickstart at test size: exit 0, every cell × case recorded, summaries written, ends with where results are", async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), "gembench-quickstart-")), "quickstart");
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res, rej) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "quickstart", "--config", CONFIG, "--out", out], { cwd: REPO });
    let so = "";
    let se = "";
    child.stdout.on("data", (d: Buffer) => (so += d.toString()));
    child.stderr.on("data", (d: Buffer) => (se += d.toString()));
    child.on("error", rej);
    child.on("exit", (c) => res({ code: c, stdout: so, stderr: se }));
  });
  t.is(code, 0, stderr);

  // Every cell of the resolved config × both cases, completed, once.
  const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as { name: string; cells: { cellKey: string; method: { label: string } }[] };
  t.is(config.name, "quickstart-test");
  t.deepEqual(
    config.cells.map((c) => c.method.label),
    ["dense", "gemfilter r=2 k=64", "snapkv k=64 gqa=mean", "h2o k=64 gqa=mean", "random k=64"],
  );
  const records = readFileSync(join(out, "records.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => GemRecord.parse(JSON.parse(l)));
  const expectedKeys = config.cells.flatMap((c) => ["len300-depth0", "len300-depth100"].map((id) => `${c.cellKey}/${id}`)).sort();
  t.deepEqual(records.map((r) => r.recordKey).sort(), expectedKeys);
  for (const r of records) {
    t.is(r.status, "completed", r.recordKey);
    t.is(r.inputLength, 300);
    const n = r.output?.ids.length ?? 0;
    t.true(r.output?.stopReason === "length" ? n === 7 : n >= 1 && n <= 7, `run.maxNewTokens 7: ${n} tokens, ${r.output?.stopReason}`);
    t.deepEqual(Object.keys(r.scores), ["exactMatch", "substring"]);
    // The written-weights model retrieves: dense answers every case.
    if (r.method.name === "dense") t.is(r.scores.exactMatch, 1, r.recordKey);
    t.true(r.timings !== null && r.timings.totalMs > 0);
    t.true(r.memory !== null && r.memory.peak.total > 0);
  }
  // keptLength: the whole prompt for dense, k = 64 for the selection methods.
  t.deepEqual([...new Set(records.filter((r) => r.method.name !== "dense").map((r) => r.keptLength))], [64]);

  const csv = readFileSync(join(out, "summary.csv"), "utf8").trim().split("\n");
  t.is(csv.length, 1 + 10);
  const md = readFileSync(join(out, "summary.md"), "utf8");
  for (const label of ["gemfilter", "snapkv", "h2o", "random", "dense"]) t.true(md.includes(label), label);

  const lines = stdout.trimEnd().split("\n");
  t.true(lines.includes("Quick start done: 10 cases (10 run now, 0 from an earlier run, 0 errored)."), stdout);
  // The per-method table: dense covers the whole needle; each other method is compared with dense on both cases.
  t.true(lines.some((l) => /1st token = dense\s+output = dense\s+needle kept/.test(l)), stdout);
  t.regex(lines.find((l) => l.trimStart().startsWith("dense ")) ?? "", /\sexactMatch 1\.000\s+-\s+-\s+100%\s+\d+$/);
  for (const label of ["gemfilter r=2 k=64", "snapkv k=64 gqa=mean", "h2o k=64 gqa=mean", "random k=64"]) {
    t.regex(lines.find((l) => l.trimStart().startsWith(label)) ?? "", /\s[0-2]\/2\s+[0-2]\/2\s+\d+%\s+\d+$/, label);
  }
  t.regex(lines.find((l) => l.trimStart().startsWith("snapkv k=64 gqa=mean")) ?? "", /\s2\/2\s+[0-2]\/2/, "snapkv's first token is dense's");
  // the closing hint is a command a clone can run as printed (gembench is not on its PATH)
  t.true(lines.some((l) => l.startsWith("Re-running resumes; `npx gembench run ")), stdout);
  const at = lines.indexOf(`Results: ${out}`);
  t.true(at >= 0 && at >= lines.length - 8, `"Results: ${out}" among the last lines:\n${stdout}`);
  const tail = lines.slice(at).join("\n");
  for (const f of ["summary.csv", "summary.md"]) {
    t.true(tail.includes(join(out, f)), f);
    t.true(existsSync(join(out, f)));
  }
});
