// Runs scripts/gpu-check.sh (npm run gpu:check) on this machine for the script's own tests, with fake GPU binaries
// written by the test into a temporary folder (passed as --runner; the script looks for gem-cuda-op-test and
// gem-hopper-gpu-test beside the runner).
import { spawnSync } from "node:child_process";
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
export function runGpuCheck(dir: string, args: string[]): CheckRun {
  const out = path.join(dir, "out");
  const t0 = Date.now();
  const r = spawnSync("bash", [gpuCheckScript, "--out", out, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, OUT: "" },
  });
  const ms = Date.now() - t0;
  const jsonPath = path.join(out, "gpu-check.json");
  const doc = fs.existsSync(jsonPath)
    ? (JSON.parse(fs.readFileSync(jsonPath, "utf8")) as { steps: CheckStep[]; notPassed: string[]; failed: number })
    : { steps: [], notPassed: [], failed: -1 };
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, ms, ...doc };
}
