// A step skipped for a missing prerequisite fails the GPU check and is named in the summary: a test binary that says
// "skipped" (no GPU), skipped selftest rows, a test binary that was not built, a missing compute-sanitizer.
import test from "ava";
import { fakeBinary, runGpuCheck, tempDir } from "./helpers/gpu-check.ts";

test("skips fail the check, each named", (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const runner = fakeBinary(dir, "gem-runner", "echo 'skip  rope (not supported by this backend)'\necho '11 passed, 0 failed, 1 skipped'");
    fakeBinary(dir, "gem-cuda-op-test", "echo 'skipped: no usable GPU (0 devices)'");
    // gem-hopper-gpu-test is absent.
    const r = runGpuCheck(dir, ["--skip-build", "--runner", runner, "--steps", "selftest,ops,hopper"]);
    t.is(r.status, 1);
    t.deepEqual(r.steps.map((s) => [s.step, s.status]), [["selftest", "skip"], ["ops", "skip"], ["hopper", "skip"]]);
    t.regex(r.steps[1]?.detail ?? "", /skipped: no usable GPU/);
    t.regex(r.steps[2]?.detail ?? "", /gem-hopper-gpu-test is not built/);
    t.deepEqual(r.notPassed, ["selftest: skip", "ops: skip", "hopper: skip"]);
    t.regex(r.stderr, /3 of 3 steps did not pass: selftest: skip; ops: skip; hopper: skip/);
  } finally {
    cleanup();
  }
});

test("no compute-sanitizer: the sanitizer steps are skips that fail the check", (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const runner = fakeBinary(dir, "gem-runner", "echo '1 passed, 0 failed, 0 skipped'");
    const r = runGpuCheck(dir, ["--skip-build", "--runner", runner, "--steps", "memcheck"]);
    if (r.steps[0]?.detail !== "compute-sanitizer is not installed") {
      t.log("compute-sanitizer is installed here: this case needs a machine without it (skipped)");
      t.pass();
      return;
    }
    t.is(r.status, 1);
    t.deepEqual(r.steps.map((s) => [s.step, s.status]), [["memcheck", "skip"]]);
  } finally {
    cleanup();
  }
});
