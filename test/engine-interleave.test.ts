// run.interleaveEngines: a model's cells on two engines (ours and a stand-in transformers engine process,
// test/helpers/fake-engine.mjs) run case by case, one request at a time — ours, then the peer's, for each case in
// turn — with both engines' models loaded; without it each engine's cells run in a block.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runRecords } from "./helpers/gembench-run.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const fake = fileURLToPath(new URL("./helpers/fake-engine.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "gembench-interleave-"));

function run(name: string, interleave: boolean | undefined) {
  const cfg = join(dir, `${name}.json`);
  const run = { maxNewTokens: 2, ...(interleave === undefined ? {} : { interleaveEngines: interleave }) };
  writeFileSync(cfg, JSON.stringify({ name, models: ["synthetic:tiny-llama"], engines: [{ method: "dense", engine: ["native", "transformers"] }], suites: [{ name: "niah", options: { variant: "passkey", lengths: [300, 400], depths: [0, 50, 100] } }], run, transformers: { python: fake } }));
  const out = join(dir, name);
  const r = spawnSync(process.execPath, [bin, "run", cfg, "--out", out], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stderr: r.stderr, out };
}

const order = (out: string): string[] => runRecords(out).map((r) => `${r.engine ?? "native"} ${r.caseId}`);

test("interleaved: each case on ours then on the peer, one at a time; by default each engine's cells in a block", (t) => {
  const a = run("interleaved", true);
  t.is(a.code, 0, a.stderr);
  const cases = [...new Set(runRecords(a.out).map((r) => r.caseId))];
  t.true(cases.length >= 2, `several cases (${cases.length})`);
  t.regex(a.stderr, new RegExp(`interleaving ${2 * cases.length} case\\(s\\) of tiny-llama over 2 engines, one request at a time \\(run\\.interleaveEngines\\)`));
  t.deepEqual(order(a.out), cases.flatMap((c) => [`native ${c}`, `transformers ${c}`]));
  const records = runRecords(a.out);
  for (let i = 1; i < records.length; i++)
    t.true(records[i]!.startedAt >= records[i - 1]!.finishedAt, `request ${i} started after request ${i - 1} finished (one at a time)`);

  const b = run("blocks", undefined);
  t.is(b.code, 0, b.stderr);
  t.notRegex(b.stderr, /interleaving/);
  t.deepEqual(order(b.out), [...cases.map((c) => `native ${c}`), ...cases.map((c) => `transformers ${c}`)]);
});
