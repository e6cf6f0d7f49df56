// The probe stops the check at once, with the reason, where the driver cannot run the runner's statically linked CUDA
// runtime (a CUDA 13 build on a driver that supports CUDA 12.4), before any GPU step runs; a CUDA 12.4 build on the
// same driver goes on.
import test from "ava";
import { runGpuCheck, simulatedGpuMachine, tempDir } from "./helpers/gpu-check.ts";

test("a driver older than the runtime's CUDA major version stops the check after the probe", (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const m = simulatedGpuMachine(dir, { driver: "550.54.15", driverCuda: "12.4", toolkit: "13.0.88" });
    const r = runGpuCheck(dir, ["--runner", m.runner, "--steps", "probe,build,selftest"], m.env);
    t.is(r.status, 1);
    t.deepEqual(r.steps.map((s) => [s.step, s.status]), [["probe", "fail"], ["build", "not-run"], ["selftest", "not-run"]]);
    t.regex(r.steps[0]?.detail ?? "", /driver 550\.54\.15 supports CUDA 12\.4, but the runner's statically linked CUDA 13\.0\.88 runtime needs a driver for CUDA 13\.x/);
  } finally {
    cleanup();
  }
});

test("the same driver with a CUDA 12.4 build goes on", (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const m = simulatedGpuMachine(dir, { driver: "550.54.15", driverCuda: "12.4", toolkit: "12.4.131" });
    const r = runGpuCheck(dir, ["--runner", m.runner, "--steps", "probe,build,selftest"], m.env);
    t.deepEqual(r.steps.map((s) => [s.step, s.status]), [["probe", "pass"], ["build", "pass"], ["selftest", "pass"]], r.stderr);
    t.is(r.status, 0);
  } finally {
    cleanup();
  }
});
