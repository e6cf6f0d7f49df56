// The transformers engine: PyTorch + Hugging Face transformers (server.py, methods/) on the same cells and weights as
// our runner (engines/transformers/README.md). server.py speaks the runner's protocol (engines/native/PROTOCOL.md:
// hello, load, generate, shutdown), so the one protocol client (native-engine.ts) drives it; this file knows how to
// find its Python (config, $GEMBENCH_TRANSFORMERS_PYTHON, or the one `gembench setup-transformers` recorded), how to
// check it up front, and how to start it.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EngineFactory } from "../../core/engine.ts";
import { UsageError } from "../../core/errors.ts";
import { MAX_BYTES, readJsonFile } from "../../core/files.ts";
import { NativeEngine } from "../native-engine.ts";

export const SERVER_SCRIPT = fileURLToPath(new URL("./server.py", import.meta.url));

/** Importing torch and transformers takes a while on a busy machine. */
const HELLO_TIMEOUT_MS = 300_000;

/** The small user config `gembench setup-transformers` writes: {"python": "<venv>/bin/python"}. */
export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== "" ? env.XDG_CONFIG_HOME : join(homedir(), ".config");
  return join(base, "gembench", "transformers.json");
}

const FIX =
  "run `gembench setup-transformers` (a venv with torch, transformers and safetensors), or point the config's " +
  "transformers.python or GEMBENCH_TRANSFORMERS_PYTHON at a Python that has them; or run those cells on \"native\"";

/** The recorded Python (setup-transformers), or null. */
function recordedPython(env: NodeJS.ProcessEnv): string | null {
  const p = userConfigPath(env);
  if (!existsSync(p)) return null;
  const got = readJsonFile(p, { maxBytes: MAX_BYTES.smallJson, what: "gembench user config" }) as { python?: unknown };
  return typeof got.python === "string" && got.python !== "" ? got.python : null;
}

/** The engine's Python: the config's, else $GEMBENCH_TRANSFORMERS_PYTHON, else the recorded one; a UsageError (exit
 *  2) with the fix when there is none. */
export function transformersPython(configured: string | null, env: NodeJS.ProcessEnv = process.env): string {
  const python = configured ?? (env.GEMBENCH_TRANSFORMERS_PYTHON !== undefined && env.GEMBENCH_TRANSFORMERS_PYTHON !== "" ? env.GEMBENCH_TRANSFORMERS_PYTHON : recordedPython(env)) ?? "";
  if (python.trim() === "") throw new UsageError(`no Python for the transformers engine was found: ${FIX}`);
  return python;
}

export interface TransformersCheck {
  python: string;
  torch: string;
  transformers: string;
  /** torch sees a CUDA device. */
  cuda: boolean;
  /** The methods and their parameter names the engine implements (as its hello says). */
  capabilities: { methods: string[]; methodParams: Record<string, string[]>; turns?: boolean };
}

/**
 * Runs `server.py --check` with `python` before the run starts: its versions and capabilities, or a UsageError (exit
 * 2) saying what is missing (no such program, no torch, no transformers, a transformers too old) and how to fix it.
 */
export function checkTransformersPython(python: string): TransformersCheck {
  let out: string;
  try {
    out = execFileSync(python, [SERVER_SCRIPT, "--check"], { timeout: HELLO_TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 20 }).toString();
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer; message: string };
    const why =
      err.code === "ENOENT"
        ? `${python}: no such program`
        : (err.stderr?.toString() ?? "")
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l !== "")
            .slice(-1)[0] ?? err.message;
    throw new UsageError(`the transformers engine cannot run with ${python} (${why}): ${FIX}`);
  }
  try {
    return JSON.parse(out) as TransformersCheck;
  } catch {
    throw new UsageError(`the transformers engine's check with ${python} printed ${JSON.stringify(out.slice(0, 200))}, not its versions: ${FIX}`);
  }
}

/** One server.py process per device ("cpu", or a GPU index: bf16 + SDPA on that GPU). */
export function createTransformersEngineFactory(opts: { python: string; log: (m: string) => void }): EngineFactory {
  return (device) =>
    NativeEngine.start(device, {
      args: [],
      log: opts.log,
      helloTimeoutMs: HELLO_TIMEOUT_MS,
      command: { bin: opts.python, args: [SERVER_SCRIPT, "--device", device === "cpu" ? "cpu" : "cuda"], kind: "transformers" },
    });
}
