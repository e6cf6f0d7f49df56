// Runs scripts/gpu-check.sh (npm run gpu:check) on this machine for the script's own tests, with fake GPU binaries
// written by the test into a temporary folder (passed as --runner; the script looks for gem-cuda-op-test and
// gem-hopper-gpu-test beside the runner).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const gpuCheckScript = fileURLToPath(new URL("../../scripts/gpu-check.sh", import.meta.url));

export interface CheckStep {
  step: string;
  status: string;
  seconds: number;
  limit: number;
  detail: string;
}
export interface CheckRun {
  status: number | null;
  stderr: string;
  stdout: string;
  ms: number;
  steps: CheckStep[];
  notPassed: string[];
  failed: number;
}

/** A temporary folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-check-"));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Writes an executable bash script NAME with BODY into DIR; returns its path. */
export function fakeBinary(dir: string, name: string, body: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
  return p;
}

/** Runs the script with ARGS and --out DIR/out; reads back its JSON (steps: [] when none was written). */
export function runGpuCheck(dir: string, args: string[], env: Record<string, string> = {}): CheckRun {
  const out = path.join(dir, "out");
  const t0 = Date.now();
  const r = spawnSync("bash", [gpuCheckScript, "--out", out, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, OUT: "", ...env },
  });
  const ms = Date.now() - t0;
  const jsonPath = path.join(out, "gpu-check.json");
  const doc = fs.existsSync(jsonPath)
    ? (JSON.parse(fs.readFileSync(jsonPath, "utf8")) as { steps: CheckStep[]; notPassed: string[]; failed: number })
    : { steps: [], notPassed: [], failed: -1 };
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, ms, ...doc };
}

export const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/**
 * The build stamp's source hash of engines/native, computed independently of the script and of CMake: SHA-256 of the
 * `sha256sum` lines of every file under CMakeLists.txt, src/, cmake/ and test/, sorted bytewise by path.
 */
export function sourceHash(): string {
  const nativeDir = fileURLToPath(new URL("../../engines/native/", import.meta.url));
  const files = ["CMakeLists.txt"];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(nativeDir, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  for (const d of ["src", "cmake", "test"]) walk(d);
  files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return sha(files.map((f) => `${sha(fs.readFileSync(path.join(nativeDir, f)))}  ${f}\n`).join(""));
}

/**
 * A simulated GPU machine in DIR: nvidia-smi (driver DRIVER supporting CUDA DRIVER_CUDA, an H100), compute-sanitizer
 * (runs the command, reports 0 errors), a libcublasLt stand-in, and in DIR/build the runner and GPU test binaries
 * (bash scripts printing their summary lines; the runner answers the speed step's cells) with a build stamp naming
 * this tree and CUDA TOOLKIT. Returns the environment and the runner path.
 */
export function simulatedGpuMachine(dir: string, opts: { driver: string; driverCuda: string; toolkit: string }) {
  const bin = path.join(dir, "bin"), build = path.join(dir, "build");
  fs.mkdirSync(bin);
  fs.mkdirSync(build);
  fakeBinary(bin, "nvidia-smi", [
    `if [ "$1" = "--query-gpu=name,driver_version,memory.total,memory.used,compute_cap" ]; then echo "NVIDIA H100 80GB HBM3, ${opts.driver}, 81559 MiB, 0 MiB, 9.0"; exit 0; fi`,
    `echo "| NVIDIA-SMI ${opts.driver}   Driver Version: ${opts.driver}   CUDA Version: ${opts.driverCuda}     |"`,
  ].join("\n"));
  fakeBinary(bin, "compute-sanitizer", 'while [[ "$1" == --* ]]; do shift 2; done\n"$@"; rc=$?\necho "========= ERROR SUMMARY: 0 errors"; exit $rc');
  const lt = path.join(dir, "libcublasLt.so.13");
  fs.writeFileSync(lt, "");
  const extra = '"memory":{"extra":{"arenaBytes":4e9,"arenaPeakBytes":3e9,"deviceUsedBytes":2e10}}';
  const cell = (id: number, filter: number, prefill: number, decode: number, steps: number) =>
    `echo '{"id":${id},"ok":true,"result":{"timings":{"filterMs":${filter},"prefillMs":${prefill},"decodeMs":${decode},"decodeTokens":${steps},"totalMs":${filter + prefill + decode + 1}},${extra}}}'`;
  const runner = fakeBinary(build, "gem-runner", [
    'if [ "$1" = selftest ]; then echo "ok    matmul"; echo "96 passed, 0 failed, 0 skipped"; exit 0; fi',
    "cat >/dev/null",
    `echo '{"backend":"cuda"}'`,
    `echo '{"id":0,"ok":true,"result":{}}'`,
    cell(100, 0, 50, 0, 0), cell(1, 0, 700, 0, 0), cell(2, 200, 260, 0, 0), cell(3, 0, 4100, 0, 0), cell(4, 800, 900, 0, 0),
    cell(5, 0, 700, 900, 49), cell(6, 200, 260, 600, 49),
  ].join("\n"));
  fakeBinary(build, "gem-cuda-op-test", 'echo "120 checks, 0 failures"');
  fakeBinary(build, "gem-hopper-gpu-test", 'echo "30 checks, 0 failures"');
  const bins = ["gem-runner", "gem-cuda-op-test", "gem-hopper-gpu-test"]
    .map((b) => `bin ${b} ${sha(fs.readFileSync(path.join(build, b)))}\n`).join("");
  fs.writeFileSync(path.join(build, "build-stamp.txt"), `sources ${sourceHash()}\ngit abc1234\ncuda 1 ${opts.toolkit}\ncmake 3.28.3\n${bins}`);
  return { runner, env: { PATH: `${bin}:${process.env.PATH ?? ""}`, GEMBENCH_CUBLASLT: lt } };
}
