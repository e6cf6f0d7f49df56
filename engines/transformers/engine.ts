// The bench suite's speed peer: PyTorch + transformers (peer.py) on the same cells and the same weights as our
// runner, so reports show our/peer ratios measured in one run (engines/transformers/README.md). peer.py speaks the
// runner's protocol (engines/native/PROTOCOL.md: hello, load, generate, shutdown), so the one protocol client
// (native-engine.ts) drives it; this file only knows how to start it and how to check its Python up front.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { EngineFactory } from "../../core/engine.ts";
import { UsageError } from "../../core/errors.ts";
import { NativeEngine } from "../native-engine.ts";

/** The methods peer.py implements: the dense baseline, GemFilter, SnapKV and H2O; random has no peer. */
export const TRANSFORMERS_PEER_METHODS: readonly string[] = ["dense", "gemfilter", "snapkv", "h2o"];

/** Whether peer.py runs this cell's method and parameters: SnapKV and H2O only with one cache per KV head (gqa mean
 *  or max), H2O only with its one-shot eviction at prefill (no evictDuringDecode). */
export function transformersPeerRuns(method: { name: string; params: Readonly<Record<string, unknown>> }): boolean {
  if (!TRANSFORMERS_PEER_METHODS.includes(method.name)) return false;
  if ((method.name === "snapkv" || method.name === "h2o") && method.params.gqa === "per-query-head") return false;
  return !(method.name === "h2o" && method.params.evictDuringDecode === true);
}

export const PEER_SCRIPT = fileURLToPath(new URL("./peer.py", import.meta.url));

/** Importing torch and transformers takes a while on a busy machine. */
const HELLO_TIMEOUT_MS = 300_000;

const FIX =
  "point the config's peer.python (or GEMBENCH_TRANSFORMERS_PYTHON) at a Python with torch and transformers, e.g. " +
  "`python3 -m venv ~/hf && ~/hf/bin/pip install torch transformers` (CPU-only torch: `~/hf/bin/pip install torch " +
  "--index-url https://download.pytorch.org/whl/cpu` first), or remove \"peer\" from the config";

/** The peer's Python: the config's, else $GEMBENCH_TRANSFORMERS_PYTHON; a UsageError (exit 2) with the fix when neither is set. */
export function peerPython(configured: string | null, env: NodeJS.ProcessEnv = process.env): string {
  const python = configured ?? env.GEMBENCH_TRANSFORMERS_PYTHON ?? "";
  if (python.trim() === "") throw new UsageError(`the config asks for the transformers peer ("peer"), but no Python was given: ${FIX}`);
  return python;
}

export interface PeerVersions {
  python: string;
  torch: string;
  transformers: string;
  /** torch sees a CUDA device. */
  cuda: boolean;
}

/**
 * Runs `peer.py --check` with `python` before the run starts: its versions, or a UsageError (exit 2) saying what is
 * missing (no such program, no torch, no transformers, a transformers too old for the peer) and how to fix it.
 */
export function checkPeerPython(python: string): PeerVersions {
  let out: string;
  try {
    out = execFileSync(python, [PEER_SCRIPT, "--check"], { timeout: HELLO_TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 20 }).toString();
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
    throw new UsageError(`the transformers peer cannot run with ${python} (${why}): ${FIX}`);
  }
  try {
    return JSON.parse(out) as PeerVersions;
  } catch {
    throw new UsageError(`the transformers peer check with ${python} printed ${JSON.stringify(out.slice(0, 200))}, not its versions: ${FIX}`);
  }
}

/** One peer.py process per device ("cpu", or a GPU index: bf16 + SDPA on that GPU). */
export function createTransformersEngineFactory(opts: { python: string; log: (m: string) => void }): EngineFactory {
  return (device) =>
    NativeEngine.start(device, {
      args: [],
      log: opts.log,
      helloTimeoutMs: HELLO_TIMEOUT_MS,
      command: { bin: opts.python, args: [PEER_SCRIPT, "--device", device === "cpu" ? "cpu" : "cuda"], kind: "transformers" },
    });
}
