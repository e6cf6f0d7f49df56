// Opt-in parity with Hugging Face transformers (fp32, CPU, eager attention) through test/helpers/transformers_peer.py.
// Enabled by GEMBENCH_TRANSFORMERS_PYTHON = a Python that has torch and transformers; skipped (with a message)
// otherwise, so `npm test` never needs them.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ExecutionContext } from "ava";
import type { RunnerHandle } from "./native.ts";

export const peerPython = process.env.GEMBENCH_TRANSFORMERS_PYTHON ?? "";
const peerScript = fileURLToPath(new URL("./transformers_peer.py", import.meta.url));

export function skipMessage(what: string): string | null {
  return peerPython
    ? null
    : `skipping ${what}: set GEMBENCH_TRANSFORMERS_PYTHON to a Python with torch and transformers (see engines/native/README.md)`;
}

/** One request to a Python peer (default transformers_peer.py); its stderr (warnings, progress bars) is dropped
 * unless it fails. */
export function peer<T>(req: Record<string, unknown>, script = peerScript): T {
  try {
    return JSON.parse(
      execFileSync(peerPython, [script], { input: JSON.stringify(req), maxBuffer: 1 << 28, stdio: ["pipe", "pipe", "pipe"] }).toString(),
    ) as T;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`${script} (${peerPython}) failed: ${err.stderr?.toString().slice(-3000) ?? err.message}`);
  }
}

/** The four tiny family presets: llama (llama3 RoPE), mistral (explicit head_dim, 1 KV head), qwen2 (q/k/v biases,
 * tied embeddings), phi3 (fused qkv/gate_up, longrope with original_max_position_embeddings 64). */
export const familyPresets = ["tiny-llama", "tiny-mistral", "tiny-qwen2", "tiny-phi3"] as const;

/** Prompts: 60 tokens (for tiny-phi3, decoding crosses its 64-position short/long RoPE switch) and 300 tokens (past
 * tiny-llama's 256 original positions and in phi3's long-factor range from the start). */
const parityPrompts = [
  [1, ...Array.from({ length: 59 }, (_, i) => 3 + ((i * 37) % 256))],
  [1, ...Array.from({ length: 299 }, (_, i) => 3 + ((i * 11 + 5) % 256))],
];
const parityNewTokens = 8;

/** Largest |ours − theirs| over the vocabulary, relative to max(1, max |theirs|). */
function relMaxDiff(ours: number[], theirs: number[]): number {
  if (ours.length !== theirs.length) return Infinity;
  let d = 0;
  let m = 1;
  ours.forEach((v, i) => {
    d = Math.max(d, Math.abs(v - (theirs[i] ?? NaN)));
    m = Math.max(m, Math.abs(theirs[i] ?? 0));
  });
  return d / m;
}

interface PeerLogits {
  transformers: string;
  torch: string;
  results: { lastLogits: number[]; greedy: number[] }[];
}

/** Our side: dense greedy with the first step's logits for each parity prompt, on the loaded model. */
async function ourLogits(r: RunnerHandle): Promise<{ firstLogits: number[]; outputIds: number[] }[]> {
  const out = [];
  for (const inputIds of parityPrompts) {
    const res = await r.ok({
      op: "generate",
      inputIds,
      method: { name: "dense", params: {} },
      maxNewTokens: parityNewTokens,
      ignoreEos: true,
      returnLogits: true,
    });
    out.push({ firstLogits: res.firstLogits as number[], outputIds: res.outputIds as number[] });
  }
  return out;
}

/**
 * The parity check on the runner's loaded model against transformers on folder `dir` (the same weights): for each
 * parity prompt, last-position logits within a relative max difference of 1e-4 and the same greedy tokens.
 */
export async function assertTransformersParity(t: ExecutionContext, r: RunnerHandle, dir: string, label: string): Promise<void> {
  const ours = await ourLogits(r);
  const theirs = peer<PeerLogits>({ op: "logits", dir, prompts: parityPrompts, newTokens: parityNewTokens });
  parityPrompts.forEach((p, i) => {
    const diff = relMaxDiff(ours[i]!.firstLogits, theirs.results[i]!.lastLogits);
    t.log(`${label} n=${p.length}: relative max logit difference ${diff.toExponential(2)}`);
    t.true(diff <= 1e-4, `${label} n=${p.length}: logits differ by ${diff}`);
    t.deepEqual(ours[i]!.outputIds, theirs.results[i]!.greedy, `${label} n=${p.length}: greedy tokens`);
  });
}
