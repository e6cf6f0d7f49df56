// Ctrl-C in a terminal signals the whole foreground process group; a scheduler or `kill` sends SIGTERM to the process.
// A real `gembench run` interrupted either way stops cleanly: exit 130, only complete records of finished cases (none
// errored by the interruption: the runners live in their own process group and are stopped by the harness), the lock
// released; the same command then resumes.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import test from "ava";
import { GemRecord } from "../core/records.ts";

const REPO = resolve(import.meta.dirname, "..");
const CLI = join(REPO, "cli", "main.ts");

const CONFIG = {
  name: "ctrl-c",
  models: [{ id: "synthetic:small-llama" }],
  engines: [{ method: "dense" }],
  suites: [{ name: "niah", options: { lengths: [800, 1000], depths: [0, 25, 50, 75, 100] } }],
  run: { maxNewTokens: 6, timeoutMs: 60_000 },
};
const TOTAL = 10;

interface Interrupt {
  after: number;
  signal: "SIGINT" | "SIGTERM";
  /** The whole process group (a terminal's Ctrl-C) or the gembench process alone (kill, a job scheduler). */
  group: boolean;
}

/** Runs `gembench run` as the leader of its own process group; `interrupt`: signal it at that many records. */
function gembenchRun(configPath: string, out: string, interrupt?: Interrupt): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "run", configPath, "--out", out], { cwd: REPO, detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let poll: NodeJS.Timeout | undefined;
    if (interrupt !== undefined) {
      const path = join(out, "records.jsonl");
      poll = setInterval(() => {
        if (!existsSync(path) || readFileSync(path, "utf8").split("\n").length - 1 < interrupt.after) return;
        clearInterval(poll);
        process.kill(interrupt.group ? -child.pid! : child.pid!, interrupt.signal);
      }, 10);
    }
    child.on("error", rej);
    child.on("exit", (code) => {
      clearInterval(poll);
      res({ code, stdout, stderr });
    });
  });
}

function records(out: string): GemRecord[] {
  return readFileSync(join(out, "records.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => GemRecord.parse(JSON.parse(l)));
}

const interrupts: [string, Interrupt][] = [
  ["SIGINT to the process group", { after: 2, signal: "SIGINT", group: true }],
  ["SIGTERM to the gembench process", { after: 2, signal: "SIGTERM", group: false }],
];
for (const [label, interrupt] of interrupts) {
  test.serial(`${label}: exit 130, finished cases recorded, none errored, lock released; re-run completes the rest`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "gembench-ctrlc-"));
    const configPath = join(dir, "config.json");
    writeFileSync(configPath, JSON.stringify(CONFIG));
    const out = join(dir, "run");

    const stopped = await gembenchRun(configPath, out, interrupt);
    t.is(stopped.code, 130, stopped.stderr);
    t.regex(stopped.stderr, new RegExp(`${interrupt.signal}: finishing the record file and stopping the runners`));
    const partial = records(out);
    t.true(partial.length >= 2 && partial.length < TOTAL, `${partial.length} records`);
    t.deepEqual(
      partial.filter((r) => r.status !== "completed").map((r) => `${r.caseId}: ${r.error?.message ?? ""}`),
      [],
    );
    t.false(existsSync(join(out, "run.lock")));
    const summary = JSON.parse(stopped.stdout.trim().split("\n").pop() ?? "") as { interrupted: boolean };
    t.true(summary.interrupted);

    const resumed = await gembenchRun(configPath, out);
    t.is(resumed.code, 0, resumed.stderr);
    const all = records(out);
    t.is(all.length, TOTAL);
    t.is(new Set(all.map((r) => r.recordKey)).size, TOTAL);
    t.true(all.every((r) => r.status === "completed"));
  });
}
