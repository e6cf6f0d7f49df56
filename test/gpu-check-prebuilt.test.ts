// The `build` step's default (--prebuilt) trusts a runner built on another machine only when its build stamp
// (build/build-stamp.txt, written by every CMake build: cmake/BuildStamp.cmake) names this tree's engines/native
// sources, a CUDA backend and the binaries' SHA-256; otherwise it fails with the reason and the check stops there.
import test from "ava";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fakeBinary, runGpuCheck, sha, sourceHash, tempDir } from "./helpers/gpu-check.ts";

const nativeDir = fileURLToPath(new URL("../engines/native/", import.meta.url));

function stamp(dir: string, sources: string, cuda: string, runner: string): void {
  fs.writeFileSync(path.join(dir, "build-stamp.txt"),
    `sources ${sources}\ngit abc1234\ncuda ${cuda}\ncmake 3.28.3\nbin gem-runner ${sha(fs.readFileSync(runner))}\n`);
}

test("a stamp of this tree with a CUDA backend passes; other sources, no CUDA or another binary fail and stop the check", (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const runner = fakeBinary(dir, "gem-runner", "echo '3 passed, 0 failed, 0 skipped'");
    const args = ["--prebuilt", "--runner", runner, "--steps", "build,selftest"];
    stamp(dir, sourceHash(), "1 12.4.131", runner);
    const ok = runGpuCheck(dir, args);
    t.deepEqual(ok.steps.map((s) => [s.step, s.status]), [["build", "pass"], ["selftest", "pass"]]);
    t.regex(ok.steps[0]?.detail ?? "", /build abc1234, CUDA 12\.4\.131, sources [0-9a-f]{12} = this tree/);
    t.is(ok.status, 0);

    stamp(dir, "0".repeat(64), "1 12.4.131", runner);
    const other = runGpuCheck(dir, args);
    t.deepEqual(other.steps.map((s) => [s.step, s.status]), [["build", "fail"], ["selftest", "not-run"]]);
    t.regex(other.steps[0]?.detail ?? "", /of other sources than this tree's engines\/native .*built from abc1234.*rebuild/);
    t.is(other.status, 1);

    stamp(dir, sourceHash(), "0 ", runner);
    const cpu = runGpuCheck(dir, args);
    t.regex(cpu.steps[0]?.detail ?? "", /has no CUDA backend/);
    t.is(cpu.status, 1);

    stamp(dir, sourceHash(), "1 13.0.88", runner);
    fs.appendFileSync(runner, "# changed after the build\n");
    const bin = runGpuCheck(dir, args);
    t.regex(bin.steps[0]?.detail ?? "", /gem-runner is not the binary the stamp names/);
    t.is(bin.status, 1);

    fs.rmSync(path.join(dir, "build-stamp.txt"));
    const none = runGpuCheck(dir, args);
    t.regex(none.steps[0]?.detail ?? "", /no build stamp at .*GEMBENCH_CUDA=1 npm run build:native/);
    t.is(none.status, 1);
  } finally {
    cleanup();
  }
});

test("the build's own stamp names the same sources hash", (t) => {
  const real = path.join(nativeDir, "build", "build-stamp.txt");
  if (!fs.existsSync(real)) {
    t.log(`skipped: ${real} is absent (a runner built before build stamps existed: npm run build:native)`);
    t.pass();
    return;
  }
  const line = fs.readFileSync(real, "utf8").split("\n").find((l) => l.startsWith("sources "));
  t.is(line, `sources ${sourceHash()}`, "the runner was built from other sources: npm run build:native");
});
