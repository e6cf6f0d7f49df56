// scripts/gpu-check.sh (npm run gpu:check) on a machine without a GPU: argument handling, one JSON document written
// step by step (valid JSON whatever the steps printed), skips with their reasons, and the exit status when a step
// fails (here the selftest: no GPU). The build step is left out (--skip-build): CI already built the runner.
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
  t.regex(bad.stderr, /unknown step 'warp' \(steps: probe,build,selftest,ops,hopper,sanitizer,models,chunked,speed,peer\)/);
  const arg = run(["--fast"]);
  t.is(arg.status, 2);
  t.regex(arg.stderr, /unknown argument '--fast'/);
  const help = run(["--help"]);
  t.is(help.status, 0);
  t.regex(help.stdout, /--steps/);
});

test("without a GPU: JSON per step, skips with reasons, the selftest fails, exit 1", (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-check-"));
  try {
    const r = run(["--out", out, "--skip-build", "--runner", runner, "--shared", path.join(out, "no-shared"),
                   "--steps", "probe,build,selftest,ops,sanitizer,models,chunked,speed"]);
    const doc = JSON.parse(fs.readFileSync(path.join(out, "gpu-check.json"), "utf8")) as {
      steps: { step: string; status: string; seconds: number; detail: string }[];
      failed: number;
    };
    const by = new Map(doc.steps.map((s) => [s.step, s]));
    t.deepEqual(doc.steps.map((s) => s.step), ["probe", "build", "selftest", "selftest-mma", "ops", "sanitizer", "models", "chunked", "speed"]);
    t.is(by.get("ops")?.status, "skip");
    t.is(by.get("probe")?.status, "pass");
    t.is(by.get("build")?.status, "skip");
    // No GPU here: the runner answers exit 2 with a clear message (no usable GPU, or cuda not built in).
    t.is(by.get("selftest")?.status, "fail");
    t.regex(by.get("selftest")?.detail ?? "", /no usable GPU|not built into this runner/);
    t.is(by.get("models")?.status, "skip");
    t.regex(by.get("models")?.detail ?? "", /no-shared\/models\/stories260K is absent/);
    t.is(by.get("chunked")?.status, "skip");
    t.regex(by.get("chunked")?.detail ?? "", /needs .*stories260K and Node\.js/);
    t.is(by.get("speed")?.status, "skip");
    t.regex(by.get("speed")?.detail ?? "", /the cuda backend cannot load a model/);
    if (!fs.existsSync("/usr/local/cuda/bin/compute-sanitizer")) t.is(by.get("sanitizer")?.status, "skip");
    t.is(doc.failed, 1);
    t.is(r.status, 1);
    t.regex(fs.readFileSync(path.join(out, "gpu-check.log"), "utf8"), /===== selftest: .*gem-runner selftest --backend cuda/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
