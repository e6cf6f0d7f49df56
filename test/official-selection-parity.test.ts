// Opt-in (GEMBENCH_TRANSFORMERS_PYTHON + GEMBENCH_GEMFILTER_REPO = a checkout of SalesforceAIResearch/GemFilter):
// our selections equal the GemFilter authors' own selection code (my_baseline/: find_context's standard_dis_index,
// SnapKVCluster.update_kv, H2OKVCache_LayerWise) applied to the same post-RoPE Q/K (`inspect`), on tiny models of
// each family, every layer: GemFilter's one set; SnapKV with gqa "per-query-head" (the official code repeats K and
// selects per query head), avg and max pooling; H2O with gqa "per-query-head" against their H2O attention's own call
// (K/V repeated, one set per query head) and with gqa "mean" per KV head (the utility's sum_group path). Exact index sets are expected: both sides score identical inputs, and random weights
// leave no near-ties at these sizes — except max pooling, whose plateaus are exact ties that torch.topk breaks in an
// unspecified order (ours: lower index first); there the kept pooled scores must be the same multiset.
import test from "ava";
import { fileURLToPath } from "node:url";
import { openRunner } from "./helpers/native.ts";
import { familyPresets, peer, peerPython } from "./helpers/transformers.ts";

const repo = process.env.GEMBENCH_GEMFILTER_REPO ?? "";
const skip = !peerPython || !repo;
if (skip)
  console.warn(
    "skipping the official selection parity test: set GEMBENCH_TRANSFORMERS_PYTHON (torch + transformers) and GEMBENCH_GEMFILTER_REPO (a checkout of SalesforceAIResearch/GemFilter)",
  );

const script = fileURLToPath(new URL("./helpers/official_selections.py", import.meta.url));
const n = 200;
const prompt = [1, ...Array.from({ length: n - 1 }, (_, i) => 3 + ((i * 53 + 7) % 256))];
const settings = [
  { gemfilter: { filterLayer: 1, k: 64 }, snapkv: [{ k: 64, window: 32, kernel: 5, pool: "avg" }, { k: 64, window: 32, kernel: 5, pool: "max" }], h2o: { k: 64, recent: 32 } },
  { gemfilter: { filterLayer: 3, k: 33 }, snapkv: [{ k: 33, window: 32, kernel: 3, pool: "avg" }, { k: 150, window: 16, kernel: 7, pool: "max" }], h2o: { k: 120, recent: 8 } },
];

(skip ? test.skip : test)("gemfilter, snapkv and h2o (per query head) select exactly what the official code selects, every family and layer", async (t) => {
  const r = await openRunner();
  try {
    for (const preset of familyPresets) {
      const info = await r.ok({ op: "load", model: `synthetic:${preset}`, seed: 11 });
      const H = info.heads as number, G = info.kvHeads as number, L = info.layers as number;
      const layers = Array.from({ length: L }, (_, l) => l);
      const inspected = (await r.ok({ op: "inspect", inputIds: prompt, layers })).layers as unknown[];
      for (const s of settings) {
        const select = async (name: string, params: Record<string, unknown>) =>
          (await r.ok({ op: "generate", inputIds: prompt, method: { name, params }, maxNewTokens: 1, returnSelection: true })).selection as {
            indices?: number[];
            perLayer?: number[][][];
          };
        const official = peer<{
          gemfilter: number[];
          snapkv: Record<string, number[][]>[];
          snapkvPooled: Record<string, number[][] | null>[];
          h2o: Record<string, number[][]>;
          h2oPerQueryHead: Record<string, number[][]>;
        }>(
          {
            repo,
            heads: H,
            kvHeads: G,
            headDim: info.headDim,
            layers: inspected,
            gemfilter: { layer: s.gemfilter.filterLayer, k: s.gemfilter.k },
            snapkv: s.snapkv,
            h2o: s.h2o,
          },
          script,
        );

        t.deepEqual((await select("gemfilter", s.gemfilter)).indices, official.gemfilter, `${preset} gemfilter ${JSON.stringify(s.gemfilter)}`);
        for (const [i, sk] of s.snapkv.entries()) {
          const ours = (await select("snapkv", { ...sk, gqa: "per-query-head" })).perLayer;
          for (const l of layers) {
            const label = `${preset} snapkv ${JSON.stringify(sk)} layer ${l}`;
            const want = official.snapkv[i]?.[String(l)] ?? [];
            const pooled = official.snapkvPooled[i]?.[String(l)];
            if (sk.pool === "avg" || !pooled) t.deepEqual(ours?.[l], want, label);
            else {
              // Max pooling: equal scores on plateaus; the kept scores must be the same multiset (same top-k).
              const scoresOf = (sel: number[], h: number) =>
                sel.filter((j) => j < n - sk.window).map((j) => pooled[h]?.[j] ?? NaN).sort((a, b) => a - b);
              t.deepEqual(
                ours?.[l]?.map((sel, h) => scoresOf(sel, h)),
                want.map((sel, h) => scoresOf(sel, h)),
                label,
              );
              t.deepEqual(ours?.[l]?.map((sel) => sel.filter((j) => j >= n - sk.window)), want.map((sel) => sel.filter((j) => j >= n - sk.window)), `${label}: window`);
            }
          }
        }
        const perQ = (await select("h2o", { ...s.h2o, gqa: "per-query-head" })).perLayer;
        for (const l of layers) t.deepEqual(perQ?.[l], official.h2oPerQueryHead[String(l)], `${preset} h2o per-query-head ${JSON.stringify(s.h2o)} layer ${l}`);
        if (G > 1) {
          const ours = (await select("h2o", s.h2o)).perLayer;
          for (const l of layers) t.deepEqual(ours?.[l], official.h2o[String(l)], `${preset} h2o ${JSON.stringify(s.h2o)} layer ${l}`);
        }
      }
    }
  } finally {
    await r.close();
  }
});
