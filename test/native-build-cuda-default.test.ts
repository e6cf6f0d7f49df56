// scripts/build-native.mjs (npm install's postinstall) builds the CUDA backend only where it can run — an NVIDIA
// driver is present — or when asked (GEMBENCH_CUDA=1, which CI sets); GEMBENCH_CUDA=0 never; any other value is an
// error. Checked with a stand-in `cmake` on the PATH that records the arguments it was given (nothing is built).
import test from "ava";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../scripts/build-native.mjs", import.meta.url));
const runner = fileURLToPath(new URL("../engines/native/build/gem-runner", import.meta.url));

function build(cuda: string | undefined): { code: number | null; cmakeArgs: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "gembench-build-"));
  const log = join(dir, "cmake.log");
  writeFileSync(join(dir, "cmake"), `#!/bin/sh\necho "$@" >> '${log}'\n`);
  chmodSync(join(dir, "cmake"), 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}` };
  delete env.GEMBENCH_CUDA;
  delete env.GEMBENCH_SKIP_NATIVE;
  if (cuda !== undefined) env.GEMBENCH_CUDA = cuda;
  const r = spawnSync(process.execPath, [script], { env, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, cmakeArgs: existsSync(log) ? readFileSync(log, "utf8") : "", stderr: r.stderr };
}

const ldconfig = spawnSync("ldconfig", ["-p"], { encoding: "utf8" });
const driver = existsSync("/proc/driver/nvidia/version") || /\slibcuda\.so\.1\s/.test(ldconfig.stdout ?? "");

test("GEMBENCH_CUDA=1 asks for the CUDA backend, 0 refuses it, anything else is exit 2; unset follows the driver", (t) => {
  if (!existsSync(runner)) return t.fail(`${runner} is missing: run npm run build:native`);
  t.regex(build("1").cmakeArgs, /-DGEM_CUDA=ON/);
  t.regex(build("0").cmakeArgs, /-DGEM_CUDA=OFF/);
  const bad = build("yes");
  t.is(bad.code, 2);
  t.regex(bad.stderr, /GEMBENCH_CUDA=yes: expected 1 .* or 0/);
  t.is(bad.cmakeArgs.includes("-S"), false);
  const plain = build(undefined);
  t.is(plain.code, 0, plain.stderr);
  t.regex(plain.cmakeArgs, driver ? /-DGEM_CUDA=ON/ : /-DGEM_CUDA=OFF/);
  if (!driver) t.regex(plain.stderr, /no NVIDIA driver here: building the CPU backend only/);
});
