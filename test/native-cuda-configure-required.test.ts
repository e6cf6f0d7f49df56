// Asking for the CUDA backend (GEM_CUDA=ON, which build-native.mjs passes for GEMBENCH_CUDA=1) where it cannot be
// built fails the CMake configure loudly with the reason, instead of quietly building a CPU-only runner: a CUDA
// compiler that does not exist, and one older than the toolkit floor (CUDA 12.0). With GEM_CUDA=AUTO the same
// configure goes on with the CPU backend and says why. Only the configure runs (seconds), nothing is compiled.
import test from "ava";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("../engines/native/", import.meta.url));
const haveCmake = spawnSync("cmake", ["--version"]).status === 0;

function configure(dir: string, defs: string[]) {
  const r = spawnSync("cmake", ["-S", src, "-B", path.join(dir, "build"), "-DGEM_BUILD_TESTS=OFF", ...defs],
                      { encoding: "utf8", timeout: 120_000 });
  // CMake wraps long messages: compare with single spaces.
  return { status: r.status, stdout: r.stdout.replace(/\s+/g, " "), stderr: r.stderr.replace(/\s+/g, " ") };
}

(haveCmake ? test : test.skip)("GEM_CUDA=ON: a missing or too old CUDA compiler fails the configure with the reason", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gem-configure-"));
  try {
    const missing = configure(path.join(dir, "a"), ["-DGEM_CUDA=ON", `-DCMAKE_CUDA_COMPILER=${dir}/no-such-nvcc`]);
    t.not(missing.status, 0);
    t.regex(missing.stderr, /the CUDA backend was asked for \(GEM_CUDA=ON, GEMBENCH_CUDA=1\) but cannot be built: the CUDA compiler .*no-such-nvcc does not exist/);

    const old = path.join(dir, "nvcc");
    fs.writeFileSync(old, "#!/bin/sh\necho 'Cuda compilation tools, release 11.8, V11.8.89'\n", { mode: 0o755 });
    const tooOld = configure(path.join(dir, "b"), ["-DGEM_CUDA=ON", `-DCMAKE_CUDA_COMPILER=${old}`]);
    t.not(tooOld.status, 0);
    t.regex(tooOld.stderr, /cannot be built: CUDA 11\.8 \(.*nvcc\) is older than the floor 12\.0/);

    const auto = configure(path.join(dir, "c"), ["-DGEM_CUDA=AUTO", `-DCMAKE_CUDA_COMPILER=${old}`]);
    t.is(auto.status, 0, auto.stderr);
    t.regex(auto.stdout, /gem-runner: not building the CUDA backend: CUDA 11\.8 .* older than the floor 12\.0 \(sm_90a, wgmma, TMA\); building the CPU backend only/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
