// A real `gembench run` (CLI → runExperiment → real gem-runner) killed with SIGKILL mid-run, then re-run with the same
// command: the finished cases are skipped, nothing is duplicated, lost or torn, and the final records equal those of
// an uninterrupted run (the runner is deterministic). A torn last line, as a kill in the middle of a write leaves it,
// is cut away on resume; the killed run's stale run.lock is taken over.
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import test from "ava";
import { GemRecord } from "../core/records.ts";

const REPO = resolve(import.meta.dirname, "..");
const CLI = join(REPO, "cli", "main.ts");

const CONFIG = {
  name: "resume-kill9",
  models: [{ id: "synthetic:small-llama" }],
  engines: [{ method: "dense" }, { method: "gemfilter", params: { filterLayer: 1, k: 64 } }],
  suites: [{ name: "niah", options: { lengths: [800, 1000], depths: [0, 25, 50, 75, 100] } }],
  run: { maxNewTokens: 6, timeoutMs: 60_000 },
};
const TOTAL = 2 * 2 * 5;

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `gembench run <config> --out <out>`; `killAfterRecords`: SIGKILL once records.jsonl holds that many lines. */
function gembenchRun(configPath: string, out: string, killAfterRecords?: number): Promise<Finished> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "run", configPath, "--out", out, "--devices", "cpu"], { cwd: REPO });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let poll: NodeJS.Timeout | undefined;
    if (killAfterRecords !== undefined) {
      const recordsPath = join(out, "records.jsonl");
      poll = setInterval(() => {
        if (!existsSync(recordsPath)) return;
        const lines = readFileSync(recordsPath, "utf8").split("\n").length - 1;
        if (lines >= killAfterRecords) {
          clearInterval(poll);
          child.kill("SIGKILL");
        }
      }, 10);
    }
    child.on("error", rej);
    child.on("exit", (code, signal) => {
      clearInterval(poll);
      res({ code, signal, stdout, stderr });
    });
  });
}

function recordLines(out: string): string[] {
  const text = readFileSync(join(out, "records.jsonl"), "utf8");
  return text.split("\n").slice(0, -1);
}

/** The last stdout line: the run's JSON summary. */
function summaryOf(f: Finished): { cases: number; completed: number; resumed: number; errored: number } {
  const last = f.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(last) as { cases: number; completed: number; resumed: number; errored: number };
}

test("kill -9 mid-run, re-run: finished cases skipped, no duplicate, lost or torn record, same records as an uninterrupted run", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-kill9-"));
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(CONFIG));
  const out = join(dir, "interrupted");

  const killed = await gembenchRun(configPath, out, 3);
  t.is(killed.signal, "SIGKILL", `the run finished before it could be killed: ${killed.stderr}`);
  const before = recordLines(out);
  t.true(before.length >= 3 && before.length < TOTAL, `${before.length} records when killed`);
  t.true(existsSync(join(out, "run.lock")), "a killed run leaves its lock behind");

  // A kill in the middle of a write leaves a fragment without a newline: simulate it with half of a real line.
  const fragment = before[0]!.slice(0, Math.floor(before[0]!.length / 2));
  appendFileSync(join(out, "records.jsonl"), fragment);

  const resumed = await gembenchRun(configPath, out);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stderr, new RegExp(`records\\.jsonl ended in a torn line \\(${Buffer.byteLength(fragment)} bytes`));
  const s = summaryOf(resumed);
  t.is(s.cases, TOTAL);
  t.is(s.resumed, before.length);
  t.is(s.completed, TOTAL - before.length);
  t.is(s.errored, 0);
  t.false(existsSync(join(out, "run.lock")));

  const after = recordLines(out);
  t.true(readFileSync(join(out, "records.jsonl"), "utf8").endsWith("\n"));
  t.deepEqual(after.slice(0, before.length), before, "records written before the kill are kept byte for byte");
  t.is(after.length, TOTAL);
  const records = after.map((l) => GemRecord.parse(JSON.parse(l)));
  const keys = records.map((r) => r.recordKey);
  t.is(new Set(keys).size, TOTAL, "no recordKey twice");
  t.true(records.every((r) => r.status === "completed"));

  const reference = await gembenchRun(configPath, join(dir, "reference"));
  t.is(reference.code, 0, reference.stderr);
  const refRecords = recordLines(join(dir, "reference")).map((l) => GemRecord.parse(JSON.parse(l)));
  const byKey = new Map(refRecords.map((r) => [r.recordKey, r]));
  t.deepEqual([...byKey.keys()].sort(), [...keys].sort());
  for (const r of records) {
    const ref = byKey.get(r.recordKey)!;
    t.deepEqual(r.output, ref.output, r.recordKey);
    t.deepEqual(r.scores, ref.scores, r.recordKey);
    t.is(r.keptLength, ref.keptLength, r.recordKey);
    t.is(r.inputLength, ref.inputLength, r.recordKey);
  }
});
