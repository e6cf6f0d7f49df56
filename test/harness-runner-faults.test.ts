// A real `gembench run` whose runner (started with --allow-faults) crashes, exits and hangs on chosen cases
// (GEMBENCH_FAULT_CASE → the runner's `fault` op): each faulted case is recorded `errored` with a message and a hint,
// the per-request timeout turns the hang into an errored case, the runner is restarted, and the other cases complete
// with the same outputs as a run without faults.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import test from "ava";
import { GemRecord } from "../core/records.ts";

const REPO = resolve(import.meta.dirname, "..");
const CLI = join(REPO, "cli", "main.ts");
const TIMEOUT_MS = 3000;

const CONFIG = {
  name: "runner-faults",
  models: [{ id: "synthetic:tiny-llama" }],
  engines: [{ method: "dense" }],
  suites: [{ name: "niah", options: { lengths: [800], depths: [0, 25, 50, 75, 100] } }],
  run: { maxNewTokens: 6, timeoutMs: TIMEOUT_MS, runnerArgs: ["--allow-faults"] },
};

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  records: GemRecord[];
}

function gembenchRun(configPath: string, out: string, env: Record<string, string>): Promise<Finished> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "run", configPath, "--out", out], { cwd: REPO, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", rej);
    child.on("exit", (code) => {
      const path = join(out, "records.jsonl");
      const lines = existsSync(path) ? readFileSync(path, "utf8").split("\n").filter((l) => l !== "") : [];
      res({ code, stdout, stderr, records: lines.map((l) => GemRecord.parse(JSON.parse(l))) });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "gembench-faults-"));
const configPath = join(dir, "config.json");
writeFileSync(configPath, JSON.stringify(CONFIG));
// Both runs start at once (they write different folders); the tests below share their results.
const faulted = gembenchRun(configPath, join(dir, "faulted"), {
  GEMBENCH_FAULT_CASE: "len800-depth25:crash,len800-depth50:hang,len800-depth75:exit",
});
const clean = gembenchRun(configPath, join(dir, "clean"), { GEMBENCH_FAULT_CASE: "" });

function caseRecord(f: Finished, depth: number): GemRecord {
  const r = f.records.find((x) => x.caseId === `len800-depth${depth}`);
  if (r === undefined) throw new Error(`no record for depth ${depth}`);
  return r;
}

test("the run finishes every case, exits 1 (some errored) and restarts the runner after each fault", async (t) => {
  const f = await faulted;
  t.is(f.code, 1, f.stderr);
  t.is(f.records.length, 5);
  t.is(new Set(f.records.map((r) => r.recordKey)).size, 5);
  t.is(f.stderr.match(/runner on cpu died; restarting it/g)?.length, 3, f.stderr);
  const summary = JSON.parse(f.stdout.trim().split("\n").pop() ?? "") as { completed: number; errored: number };
  t.is(summary.completed, 2);
  t.is(summary.errored, 3);
});

test("crash (abort): errored as runner_crashed, with the signal, the runner's last stderr line and a hint", async (t) => {
  const r = caseRecord(await faulted, 25);
  t.is(r.status, "errored");
  t.is(r.output, null);
  t.is(r.error?.code, "runner_crashed");
  t.regex(r.error?.message ?? "", /^runner on cpu exited \(code null, signal SIGABRT\); stderr: .*fault injection: crash/);
  t.regex(r.error?.hint ?? "", /restarted/);
});

test("exit without answering: errored as runner_crashed with the exit code", async (t) => {
  const r = caseRecord(await faulted, 75);
  t.is(r.status, "errored");
  t.is(r.error?.code, "runner_crashed");
  t.regex(r.error?.message ?? "", /^runner on cpu exited \(code 3, signal null\)/);
  t.not(r.error?.hint ?? "", "");
});

test("hang: the per-request timeout kills the runner and records runner_timeout", async (t) => {
  const r = caseRecord(await faulted, 50);
  t.is(r.status, "errored");
  t.is(r.error?.code, "runner_timeout");
  t.regex(r.error?.message ?? "", new RegExp(`^runner on cpu gave no answer to fault within ${TIMEOUT_MS} ms; killed`));
  t.regex(r.error?.hint ?? "", /run\.timeoutMs/);
  const took = Date.parse(r.finishedAt) - Date.parse(r.startedAt);
  t.true(took >= TIMEOUT_MS && took < TIMEOUT_MS + 5000, `${took} ms`);
});

test("the cases around the faults complete on the restarted runners with the outputs of a run without faults", async (t) => {
  const [f, c] = await Promise.all([faulted, clean]);
  t.is(c.code, 0, c.stderr);
  t.is(c.records.length, 5);
  for (const depth of [0, 100]) {
    const r = caseRecord(f, depth);
    t.is(r.status, "completed");
    t.is(r.error, null);
    t.deepEqual(r.output, caseRecord(c, depth).output);
  }
});
