// scripts/gpu-check.sh (npm run gpu:check) on a machine without a GPU: argument handling, and the probe that stops
// the check at once, with its reason, where no driver answers (every later step recorded as not run).
import test from "ava";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../scripts/gpu-check.sh", import.meta.url));
const runner = fileURLToPath(new URL("../engines/native/build/gem-runner", import.meta.url));

function run(args: string[]) {
  return spawnSync("bash", [script, ...args], { encoding: "utf8", timeout: 120_000, env: { ...process.env, OUT: "" } });
}

test("unknown steps and arguments are refused with exit 2", (t) => {
  const bad = run(["--steps", "probe,warp"]);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /unknown step 'warp' \(steps: probe,build,selftest,selftest-mma,ops,hopper,memcheck,racecheck,synccheck,models,chunked,speed,peer\)/);
  const cap = run(["--max-step-seconds", "0"]);
  t.is(cap.status, 2);
  t.regex(cap.stderr, /--max-step-seconds needs a positive integer/);
  const arg = run(["--fast"]);
  t.is(arg.status, 2);
  t.regex(arg.stderr, /unknown argument '--fast'/);
  const help = run(["--help"]);
  t.is(help.status, 0);
  t.regex(help.stdout, /--steps/);
});

test("without a GPU: the probe fails with the reason and the check stops at once, every step named, exit 1", (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-check-"));
  try {
    const r = run(["--out", out, "--runner", runner, "--steps", "probe,build,selftest,ops,memcheck,models,speed"]);
    const doc = JSON.parse(fs.readFileSync(path.join(out, "gpu-check.json"), "utf8")) as {
      steps: { step: string; status: string; seconds: number; detail: string; toolkit?: string; cmake?: string }[];
      notPassed: string[];
      failed: number;
    };
    // The versions come first, on the first line.
    t.regex(r.stderr.split("\n")[0] ?? "", /^gpu-check: driver absent \(supports CUDA \?\), toolkit .* \(build stamp\), CMake /);
    t.deepEqual(doc.steps.map((s) => [s.step, s.status]), [["probe", "fail"], ["build", "not-run"], ["selftest", "not-run"],
      ["ops", "not-run"], ["memcheck", "not-run"], ["models", "not-run"], ["speed", "not-run"]]);
    t.regex(doc.steps[0]?.detail ?? "", /no NVIDIA driver answers/);
    t.regex(doc.steps[1]?.detail ?? "", /not run: the probe found that this machine cannot work/);
    t.is(doc.notPassed.length, 7);
    t.is(doc.failed, 1);
    t.is(r.status, 1);
    t.regex(r.stderr, /FAILED — 7 of 7 steps did not pass: probe: fail; build: not-run;/);
    t.regex(fs.readFileSync(path.join(out, "gpu-check.log"), "utf8"), /===== probe\nnvidia-smi: absent/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
