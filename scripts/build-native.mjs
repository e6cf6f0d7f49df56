#!/usr/bin/env node
// Builds the native runner (engines/native → engines/native/build/gem-runner) with CMake. Run by `npm install`
// (postinstall) and by `npm run build:native`. Incremental: a second run rebuilds only what changed.
//   GEMBENCH_SKIP_NATIVE=1     skip the build (e.g. a docs-only install); the harness then reports the missing runner
//   GEMBENCH_NATIVE_JOBS=N     parallel compile jobs (default: the CPU count)
//   GEMBENCH_BUILD_TYPE=Debug  CMake build type (default Release)
//   GEMBENCH_CUDA=1            build the CUDA backend even without a GPU driver (CI compile-checks it); the configure
//                              fails, with the reason, where it cannot be built
//   GEMBENCH_CUDA=0            never build the CUDA backend
// Without GEMBENCH_CUDA the CUDA backend is built only where it can run: an NVIDIA driver is present
// (/proc/driver/nvidia, or libcuda.so.1 known to the dynamic loader). A machine with nvcc but no GPU gets the CPU build.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "engines", "native");
const build = join(src, "build", "cmake");

function say(msg) {
  process.stderr.write(`gembench: ${msg}\n`);
}

if (process.env.GEMBENCH_SKIP_NATIVE === "1") {
  say("GEMBENCH_SKIP_NATIVE=1: not building the native runner");
  process.exit(0);
}

function have(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return r.error === undefined && r.status === 0;
}

const missing = [];
if (!have("cmake", ["--version"])) missing.push("CMake (≥ 3.16)");
const cxx = process.env.CXX ?? "c++";
if (!have(cxx, ["--version"]) && !have("g++", ["--version"]) && !have("clang++", ["--version"])) missing.push("a C++17 compiler (g++ or clang++)");
if (missing.length > 0) {
  say(`cannot build the native runner: ${missing.join(" and ")} not found.`);
  say("Install them and run `npm run build:native` (Debian/Ubuntu: `sudo apt-get install cmake g++`; macOS: `xcode-select --install && brew install cmake`).");
  process.exit(1);
}

function run(args) {
  const r = spawnSync("cmake", args, { stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) {
    say(`\`cmake ${args.join(" ")}\` failed (exit ${String(r.status)}); see the compiler output above.`);
    process.exit(1);
  }
}

/** An NVIDIA driver the CUDA backend could run on: the kernel module, or the driver library the loader knows. */
function nvidiaDriver() {
  if (existsSync("/proc/driver/nvidia/version")) return true;
  const ld = spawnSync("ldconfig", ["-p"], { encoding: "utf8" });
  if (ld.status === 0 && /\slibcuda\.so\.1\s/.test(ld.stdout)) return true;
  return existsSync("/usr/lib/wsl/lib") && readdirSync("/usr/lib/wsl/lib").includes("libcuda.so.1");
}

const cudaEnv = process.env.GEMBENCH_CUDA;
if (cudaEnv !== undefined && cudaEnv !== "" && cudaEnv !== "0" && cudaEnv !== "1") {
  say(`GEMBENCH_CUDA=${cudaEnv}: expected 1 (build the CUDA backend) or 0 (do not)`);
  process.exit(2);
}
const cuda = cudaEnv === "1" || ((cudaEnv === undefined || cudaEnv === "") && nvidiaDriver());
if (!cuda && (cudaEnv === undefined || cudaEnv === "")) say("no NVIDIA driver here: building the CPU backend only (GEMBENCH_CUDA=1 builds the CUDA backend too)");

const jobs = Number(process.env.GEMBENCH_NATIVE_JOBS ?? availableParallelism());
say(`building the native runner in ${build}`);
run(["-S", src, "-B", build, `-DCMAKE_BUILD_TYPE=${process.env.GEMBENCH_BUILD_TYPE ?? "Release"}`, `-DGEM_CUDA=${cudaEnv === "1" ? "ON" : cuda ? "AUTO" : "OFF"}`]);
run(["--build", build, "--parallel", String(Number.isInteger(jobs) && jobs > 0 ? jobs : 2)]);
const bin = join(src, "build", "gem-runner");
if (!existsSync(bin)) {
  say(`the build finished but ${bin} is missing`);
  process.exit(1);
}
say(`native runner ready: ${bin}`);
