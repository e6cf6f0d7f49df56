// `gembench setup-transformers`: the transformers engine's Python in one command — a venv with torch, transformers and
// safetensors installed by pip as configured on this machine (pip.conf, PIP_INDEX_URL, …), checked with server.py
// --check, and its path recorded in the user config (engines/transformers/engine.ts userConfigPath) where `gembench
// run` finds it. The native engine never needs any of this.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/results.ts";
import { checkTransformersPython, userConfigPath } from "../engines/transformers/engine.ts";
import { EXIT, log } from "./process.ts";

export interface SetupTransformersOpts {
  /** The venv's folder; default $XDG_DATA_HOME/gembench/transformers-venv (~/.local/share/…). */
  venv?: string;
  /** The Python that creates the venv; default python3. */
  python: string;
}

function defaultVenv(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_DATA_HOME !== undefined && env.XDG_DATA_HOME !== "" ? env.XDG_DATA_HOME : join(homedir(), ".local", "share");
  return join(base, "gembench", "transformers-venv");
}

function step(what: string, bin: string, args: string[]): void {
  log(`setup-transformers: ${what}: ${[bin, ...args].join(" ")}`);
  const r = spawnSync(bin, args, { stdio: ["ignore", "inherit", "inherit"] });
  if (r.error !== undefined) throw new UsageError(`setup-transformers: ${what} failed: ${bin}: ${(r.error as NodeJS.ErrnoException).code === "ENOENT" ? "no such program" : r.error.message}`);
  if (r.status !== 0) throw new UsageError(`setup-transformers: ${what} failed (exit ${String(r.status)}); see pip's output above`);
}

export function setupTransformersCommand(o: SetupTransformersOpts, env: NodeJS.ProcessEnv = process.env): number {
  const venv = resolve(o.venv ?? defaultVenv(env));
  const python = join(venv, "bin", "python");
  if (!existsSync(python)) step("creating the venv", o.python, ["-m", "venv", venv]);
  else log(`setup-transformers: reusing the venv ${venv}`);
  step("installing torch, transformers and safetensors", python, ["-m", "pip", "install", "--upgrade", "torch", "transformers", "safetensors"]);
  const v = checkTransformersPython(python);
  const cfg = userConfigPath(env);
  mkdirSync(dirname(cfg), { recursive: true });
  writeFileAtomic(cfg, `${JSON.stringify({ python }, null, 2)}\n`);
  log(`setup-transformers: transformers ${v.transformers}, torch ${v.torch} (${v.cuda ? "CUDA available" : "no CUDA: the engine runs fp32 on the CPU"}), python ${v.python}`);
  log(`setup-transformers: recorded ${python} in ${cfg}; \`gembench run\` uses it (GEMBENCH_TRANSFORMERS_PYTHON or a config's transformers.python take precedence)`);
  process.stdout.write(`${JSON.stringify({ ...v, pythonVersion: v.python, python, userConfig: cfg })}\n`);
  return EXIT.ok;
}
