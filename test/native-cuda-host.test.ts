// The CUDA backend's GPU-free checks (no GPU needed; they run in CI): the host test binary (cuBLASLt loader vs its
// header and a stand-in library, kernel index math), the ptxas budget guard on sample reports, and — where the
// build found nvcc — that every .cu file went through the guard for sm_90a, nothing links cuBLAS or libcuda, and the
// device-op test binary starts (and skips without a GPU).
import test from "ava";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const native = fileURLToPath(new URL("../engines/native/", import.meta.url));
const bin = path.join(native, "build", "gem-cuda-host-test");
const fake = path.join(native, "build", "libfake-cublaslt.so");
const guard = path.join(native, "cmake", "ptxas-guard.sh");

test("cuda host tests pass (cuBLASLt loader, index math)", (t) => {
  t.true(fs.existsSync(bin), `${bin} is missing: run npm run build:native`);
  const r = spawnSync(bin, [fake], { encoding: "utf8", timeout: 60_000 });
  t.is(r.status, 0, `gem-cuda-host-test failed:\n${r.stderr}\n${r.stdout}`);
  t.regex(r.stdout, /\d+ checks, 0 failures/);
});

function runGuard(report: string, env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ptxas-guard-"));
  const sample = path.join(dir, "report.txt");
  fs.writeFileSync(sample, report);
  const obj = path.join(dir, "k.cu.o");
  // The guard runs the compiler command it is given; here a "compiler" that prints the sample report on stderr.
  const r = spawnSync(guard, ["bash", "-c", `cat '${sample}' >&2`, "-o", obj], { encoding: "utf8", env: { ...process.env, ...env } });
  const kept = fs.existsSync(`${obj}.ptxas.txt`) ? fs.readFileSync(`${obj}.ptxas.txt`, "utf8") : "";
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...r, kept };
}

const ok = `ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function '_Z4goodPf' for 'sm_90a'
ptxas info    : Function properties for _Z4goodPf
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 168 registers, used 1 barriers, 40960 bytes smem
`;

test("ptxas guard passes a clean report, keeps it beside the object and out of the log", (t) => {
  const r = runGuard(ok);
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, "");
  t.is(r.kept, ok);
});

test("ptxas guard fails on spills", (t) => {
  const r = runGuard(ok.replace("0 bytes spill stores, 0 bytes spill loads", "24 bytes spill stores, 24 bytes spill loads"));
  t.is(r.status, 1);
  t.regex(r.stderr, /_Z4goodPf spills/);
  t.regex(r.stderr, /kernel budget exceeded/);
});

test("ptxas guard fails on shared memory over 227 KB and passes at exactly 227 KB", (t) => {
  t.is(runGuard(ok.replace("40960 bytes smem", "232448 bytes smem")).status, 0);
  const r = runGuard(ok.replace("40960 bytes smem", "232449 bytes smem"));
  t.is(r.status, 1);
  t.regex(r.stderr, /_Z4goodPf uses 232449 bytes of shared memory \(limit 232448\)/);
});

test("ptxas guard passes compiler errors through with the compiler's status", (t) => {
  const r = spawnSync(guard, ["bash", "-c", "echo 'k.cu(3): error: identifier \"x\" is undefined' >&2; exit 2"], { encoding: "utf8" });
  t.is(r.status, 2);
  t.regex(r.stderr, /identifier "x" is undefined/);
});

const cache = path.join(native, "build", "cmake", "CMakeCache.txt");
const cudaBuilt = fs.existsSync(cache) && /^CMAKE_CUDA_COMPILER:\w+=.*nvcc/m.test(fs.readFileSync(cache, "utf8"));

test("with nvcc: every .cu file was compiled for sm_90a through the guard; the runner links no cuBLAS or libcuda", (t) => {
  if (!cudaBuilt) {
    t.log("this build found no CUDA compiler: nothing to check");
    t.pass();
    return;
  }
  const src = path.join(native, "src", "cuda");
  // src/cuda/*.cu (the Hopper files under hopper/ have their own check, cmake/NvccPtxasCheck.cmake).
  const cu = fs.readdirSync(src).filter((f) => f.endsWith(".cu"));
  t.true(cu.length > 0);
  const reports = fs
    .readdirSync(path.join(native, "build", "cmake"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".cu.o.ptxas.txt"));
  for (const f of cu) {
    const rep = reports.find((r) => r.endsWith(`src/cuda/${f}.o.ptxas.txt`));
    t.truthy(rep, `no ptxas report for ${f}`);
    // Every kernel of the file appears in its report, compiled for sm_90a.
    const kernels = (fs.readFileSync(path.join(src, f), "utf8").match(/__global__/g) ?? []).length;
    const text = rep ? fs.readFileSync(path.join(native, "build", "cmake", rep), "utf8") : "";
    if (kernels > 0) t.regex(text, /Compiling entry function '[^']+' for 'sm_90a'/, f);
  }
  const ldd = spawnSync("ldd", [path.join(native, "build", "gem-runner")], { encoding: "utf8" });
  t.is(ldd.status, 0);
  t.notRegex(ldd.stdout, /libcublas|libcuda\.so|libcudart/);
});

test("with nvcc: gem-cuda-op-test runs (its checks on a GPU; skipped cleanly without one)", (t) => {
  if (!cudaBuilt) {
    t.log("this build found no CUDA compiler: nothing to check");
    t.pass();
    return;
  }
  const r = spawnSync(path.join(native, "build", "gem-cuda-op-test"), [], { encoding: "utf8", timeout: 60_000 });
  t.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
  t.regex(r.stdout, /^skipped: no usable GPU|\d+ checks, 0 failures/m);
});
