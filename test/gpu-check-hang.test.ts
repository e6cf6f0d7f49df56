// A hang fails the GPU check: a selftest runner that never answers (and ignores SIGTERM, as a process stuck in a
// kernel launch may) is killed at the step's limit, recorded as "timeout", named in the summary, and the exit status
// is 1 — promptly, not after the runner's own time.
import test from "ava";
import { fakeBinary, runGpuCheck, tempDir } from "./helpers/gpu-check.ts";

test("a hanging selftest runner: timeout, named in the summary, exit 1 within the limit", (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const runner = fakeBinary(dir, "gem-runner", "trap '' TERM\necho 'loading the cuda backend'\nsleep 300");
    const r = runGpuCheck(dir, ["--skip-build", "--runner", runner, "--steps", "selftest", "--max-step-seconds", "2"]);
    t.is(r.status, 1);
    t.deepEqual(r.steps.map((s) => [s.step, s.status]), [["selftest", "timeout"]]);
    t.regex(r.steps[0]?.detail ?? "", /no answer within 2s \(hang\?\)/);
    t.deepEqual(r.notPassed, ["selftest: timeout"]);
    t.is(r.failed, 1);
    t.regex(r.stderr, /FAILED — 1 of 1 steps did not pass: selftest: timeout/);
    // 2 s limit + 2 s before SIGKILL, plus the script's own start.
    t.true(r.ms < 20_000, `took ${r.ms} ms`);
  } finally {
    cleanup();
  }
});
