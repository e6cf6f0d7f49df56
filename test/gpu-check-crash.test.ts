// A runner killed by a signal (a segfault, an abort) fails the GPU check as "crash" with the signal's number, and a
// plain non-zero exit as "fail".
import test from "ava";
import { fakeBinary, runGpuCheck, tempDir } from "./helpers/gpu-check.ts";

test("a crashing selftest runner: crash (signal 11), exit 1", (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const runner = fakeBinary(dir, "gem-runner", "echo 'ok    matmul: 0.001'\nkill -SEGV $$");
    const r = runGpuCheck(dir, ["--skip-build", "--runner", runner, "--steps", "selftest"]);
    t.is(r.status, 1);
    t.deepEqual(r.steps.map((s) => [s.step, s.status]), [["selftest", "crash"]]);
    t.regex(r.steps[0]?.detail ?? "", /^killed by signal 11/);
    t.regex(r.stderr, /did not pass: selftest: crash/);
  } finally {
    cleanup();
  }
});

test("a selftest that exits 1 with failures: fail, exit 1", (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const runner = fakeBinary(dir, "gem-runner", "echo 'FAIL  rope: 0.5'\necho '11 passed, 1 failed, 0 skipped'\nexit 1");
    const r = runGpuCheck(dir, ["--skip-build", "--runner", runner, "--steps", "selftest"]);
    t.is(r.status, 1);
    t.deepEqual(r.steps.map((s) => [s.step, s.status]), [["selftest", "fail"]]);
    t.regex(r.steps[0]?.detail ?? "", /FAIL {2}rope/);
  } finally {
    cleanup();
  }
});
