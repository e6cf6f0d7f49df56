// A NIAH length whose prompt + output exceed the model's positions is skipped by default; with the suite option
// allowLongInput the case is kept AND runs (the harness passes allowLongInput to the runner, which would otherwise
// refuse it as bad_input).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import test from "ava";
import { GemRecord } from "../core/records.ts";

const REPO = resolve(import.meta.dirname, "..");
const CLI = join(REPO, "cli", "main.ts");

async function run(allowLongInput: boolean): Promise<{ code: number | null; records: GemRecord[]; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), "gembench-longinput-"));
  const config = join(dir, "config.json");
  // tiny-llama with max_position_embeddings 500: the 600-token case needs positions past it.
  writeFileSync(
    config,
    JSON.stringify({
      name: "long-input",
      models: [{ id: "synthetic:tiny-llama", overrides: { max_position_embeddings: 500 } }],
      engines: [{ method: "dense" }],
      suites: [{ name: "niah", options: { lengths: [400, 600], depths: [50], lengthSemantics: "prompt", allowLongInput } }],
      run: { maxNewTokens: 4 },
    }),
  );
  const out = join(dir, "out");
  return await new Promise((res, rej) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "run", config, "--out", out], { cwd: REPO });
    let se = "";
    child.stderr.on("data", (d: Buffer) => (se += d.toString()));
    child.stdout.resume();
    child.on("error", rej);
    child.on("exit", (code) => {
      const records = readFileSync(join(out, "records.jsonl"), "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => GemRecord.parse(JSON.parse(l)));
      res({ code, records, stderr: se });
    });
  });
}

test("allowLongInput: skipped by default, kept and run when asked", async (t) => {
  const off = await run(false);
  t.is(off.code, 0, off.stderr);
  t.deepEqual(off.records.map((r) => [r.caseMeta.contextLength, r.status]), [[400, "completed"]]);
  t.regex(off.stderr, /skipping length 600/);
  const on = await run(true);
  t.is(on.code, 0, on.stderr);
  t.deepEqual(on.records.map((r) => [r.caseMeta.contextLength, r.status]).sort(), [[400, "completed"], [600, "completed"]]);
  t.is(on.records.find((r) => r.caseMeta.contextLength === 600)?.inputLength, 600);
});
