// engines/native/BENCHMARKS.md's FLOP and byte tables are what engines/phase-work.ts gives for the presets' shapes as
// the runner describes them (the `describe` op reads the config alone: nothing is allocated, so the full-size presets
// work on any machine). A wrong or stale number in the page fails here; so does a parameter count of ours that
// disagrees with the runner's.
import test from "ava";
import { readFileSync } from "node:fs";
import { LoadedModel } from "../core/engine.ts";
import { linearParamsPerLayer, modelShape, parameterCount, phaseWork, type ModelShape } from "../engines/phase-work.ts";
import { openRunner } from "./helpers/native.ts";

const page = readFileSync(new URL("../engines/native/BENCHMARKS.md", import.meta.url), "utf8");
const GiB = 2 ** 30;
const K128 = 131072;
const bf16 = 2;
// The page's models, their presets, and GemFilter's filter layer in the paper-speed configs (none for Qwen2.5).
const MODELS = [
  { row: "Llama-3.1-8B", preset: "llama-3.1-8b", r: 13 },
  { row: "Mistral-Nemo-12B", preset: "mistral-nemo-12b", r: 19 },
  { row: "Phi-3.5-mini", preset: "phi-3.5-mini", r: 19 },
  { row: "Qwen2.5-7B", preset: "qwen2.5-7b", r: null },
] as const;

interface Described {
  shape: ModelShape;
  parameters: number;
  tiedEmbeddings: boolean;
  qkvBias: boolean;
}

async function describeAll(): Promise<Map<string, Described>> {
  const rn = await openRunner();
  try {
    const out = new Map<string, Described>();
    for (const m of MODELS) {
      const res = await rn.ok({ op: "describe", model: `synthetic:${m.preset}` });
      const shape = modelShape(LoadedModel.parse(res));
      if (shape === null) throw new Error(`describe of ${m.preset} lacks a shape field`);
      out.set(m.preset, { shape, parameters: res.parameterCount as number, tiedEmbeddings: res.tiedEmbeddings as boolean, qkvBias: res.qkvBias as boolean });
    }
    return out;
  } finally {
    await rn.close();
  }
}
const described = describeAll();

/** The rows of the page's table whose header starts with `header`, as cells keyed by their first cell. */
function tableRows(header: string): Map<string, string[]> {
  const lines = page.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`| ${header}`));
  if (start < 0) throw new Error(`BENCHMARKS.md has no table headed "${header}"`);
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    rows.set(cells[0]!, cells.slice(1));
  }
  return rows;
}

const exp = (x: number): string => x.toExponential(2).replace("e+", "e");
const gib = (bytes: number, digits: number): string => `${(bytes / GiB).toFixed(digits)} GiB`;
const secs = (flops: number): string => `${(flops / 989e12).toFixed(1)} s / ${(flops / 790e12).toFixed(1)} s`;
const ms = (bytes: number): string => `${(bytes / 3.35e9).toFixed(1)} / ${(bytes / 4.8e9).toFixed(1)}`;

test("the runner's parameter count is ours (embeddings, output head, norms, q/k/v biases)", async (t) => {
  for (const [preset, d] of await described) t.is(parameterCount(d.shape, d), d.parameters, preset);
});

test("prefill table: weights, dense FLOPs at 8K/32K/128K, attention's share, compute floors, GemFilter and H2O at 128K, KV cache", async (t) => {
  const rows = tableRows("model (synthetic preset) | weights (bf16) |");
  const all = await described;
  for (const m of MODELS) {
    const { shape: s, parameters } = all.get(m.preset)!;
    const dense = (n: number) => phaseWork(s, { method: "dense", params: {}, inputLength: n, keptLength: n, decodeTokens: 0, bytesPerValue: bf16 })!;
    const total = dense(K128).prefill.flops;
    const attention = 2 * K128 * (K128 + 1) * s.headDim * s.heads * s.layers;
    const gf = m.r === null ? null : phaseWork(s, { method: "gemfilter", params: { filterLayer: m.r, k: 1024, keepLast: 0 }, inputLength: K128, keptLength: 1024, decodeTokens: 0, bytesPerValue: bf16 })!;
    const gfFlops = gf === null ? null : gf.filter!.flops + gf.prefill.flops;
    const h2o = phaseWork(s, { method: "h2o", params: { k: 1024, recent: 32, evictDuringDecode: false, gqa: "mean" }, inputLength: K128, keptLength: 1024, decodeTokens: 0, bytesPerValue: bf16 })!;
    t.deepEqual(
      rows.get(m.row),
      [
        gib(parameters * bf16, 2),
        [8192, 32768, K128].map((n) => exp(dense(n).prefill.flops)).join(" / "),
        `${Math.round((100 * attention) / total)}%`,
        secs(total),
        gfFlops === null ? "—" : `r = ${m.r}: ${exp(gfFlops)}, ${secs(gfFlops)}`,
        `${exp(h2o.prefill.flops)}, ${secs(h2o.prefill.flops)}`,
        gib(4 * K128 * s.kvHeads * s.headDim * s.layers, 1),
      ],
      m.row,
    );
  }
});

test("decode table: weights and KV read per token, bandwidth floors at a 1K and a 128K context", async (t) => {
  const rows = tableRows("model | weights read per token |");
  const all = await described;
  for (const m of MODELS) {
    const { shape: s } = all.get(m.preset)!;
    // One decode step after n prompt tokens reads the weights and n + 1 KV rows.
    const step = (n: number) => phaseWork(s, { method: "dense", params: {}, inputLength: n, keptLength: n, decodeTokens: 1, bytesPerValue: bf16 })!.decode.bytes;
    const weights = bf16 * (linearParamsPerLayer(s) * s.layers + s.hidden * s.vocab);
    t.deepEqual(rows.get(m.row), [gib(weights, 2), `${gib(step(1024) - weights, 3)} / ${gib(step(K128) - weights, 1)}`, ms(step(1024)), ms(step(K128))], m.row);
  }
});
