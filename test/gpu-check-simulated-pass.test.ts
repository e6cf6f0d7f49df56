// On a simulated GPU machine whose every tool reports success (test/helpers/gpu-check.ts: nvidia-smi, a
// compute-sanitizer, a cuBLASLt stand-in, runner and test binaries with a build stamp of this tree), the check passes
// every GPU-side step with exit 0: the failure rules of the other gpu-check tests do not fail everything.
import test from "ava";
import { runGpuCheck, simulatedGpuMachine, tempDir } from "./helpers/gpu-check.ts";

test("every step that reports success passes, exit 0", (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const m = simulatedGpuMachine(dir, { driver: "580.65.06", driverCuda: "13.0", toolkit: "13.0.88" });
    const steps = ["probe", "build", "selftest", "selftest-mma", "ops", "hopper", "memcheck", "racecheck", "synccheck", "speed"];
    const r = runGpuCheck(dir, ["--runner", m.runner, "--steps", steps.join(",")], m.env);
    t.deepEqual(r.steps.map((s) => [s.step, s.status]), steps.map((s) => [s, "pass"]), r.stderr);
    t.is(r.status, 0);
    t.deepEqual(r.notPassed, []);
    t.regex(r.stderr.split("\n")[0] ?? "", /^gpu-check: driver 580\.65\.06 \(supports CUDA 13\.0\), toolkit 13\.0\.88 \(build stamp\), CMake /);
    t.regex(r.stderr, /all 10 steps passed/);
  } finally {
    cleanup();
  }
});
