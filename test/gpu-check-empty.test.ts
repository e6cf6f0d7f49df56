// A runner that exits 0 having printed nothing, or without its summary line, fails the GPU check ("empty",
// "no-summary"): exit 0 alone proves nothing.
import test from "ava";
import { fakeBinary, runGpuCheck, tempDir } from "./helpers/gpu-check.ts";

test("exit 0 with no output: empty, exit 1", (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const runner = fakeBinary(dir, "gem-runner", "exit 0");
    const r = runGpuCheck(dir, ["--skip-build", "--runner", runner, "--steps", "selftest"]);
    t.is(r.status, 1);
    t.deepEqual(r.steps.map((s) => [s.step, s.status, s.detail]), [["selftest", "empty", "exit 0 with no output at all"]]);
    t.regex(r.stderr, /did not pass: selftest: empty/);
  } finally {
    cleanup();
  }
});

test("exit 0 without the summary line: no-summary, exit 1", (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const runner = fakeBinary(dir, "gem-runner", "echo 'ok    matmul: 0.001'");
    const r = runGpuCheck(dir, ["--skip-build", "--runner", runner, "--steps", "selftest"]);
    t.is(r.status, 1);
    t.deepEqual(r.steps.map((s) => [s.step, s.status]), [["selftest", "no-summary"]]);
    t.regex(r.steps[0]?.detail ?? "", /without its summary line: ok {4}matmul/);
  } finally {
    cleanup();
  }
});

test("the real summary line with no failures and no skips passes", (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const runner = fakeBinary(dir, "gem-runner", "echo 'ok    matmul: 0.001'\necho '12 passed, 0 failed, 0 skipped'");
    const r = runGpuCheck(dir, ["--skip-build", "--runner", runner, "--steps", "selftest"]);
    t.is(r.status, 0, r.stderr);
    t.deepEqual(r.steps.map((s) => [s.step, s.status]), [["selftest", "pass"]]);
    t.regex(r.stderr, /all 1 steps passed/);
  } finally {
    cleanup();
  }
});
