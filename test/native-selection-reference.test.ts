// Every method's selection equals a deliberately naive TypeScript reference (test/helpers/method-reference.ts)
// recomputed from the runner's own post-RoPE Q/K (`inspect`), on the tiny synthetic preset of each family, for easy
// and hard parameters: GQA, repeated tokens (near-ties), pooling edges, k ≥ n, keepLast, every snapkv option; and on
// the presets with head_dim 64 and 128 (the GPU check runs this file on the CUDA backend: its tensor-core kernels).
import test from "ava";
import {
  gemfilterReference,
  h2oReference,
  randomReference,
  range,
  selectionMismatch,
  snapkvReference,
  type Shape,
  type SnapOptions,
} from "./helpers/method-reference.ts";
import { openRunner, type RunnerHandle } from "./helpers/native.ts";

const presets = ["tiny-llama", "tiny-mistral", "tiny-qwen2", "tiny-phi3", "tiny-llama-d64", "tiny-mistral-d128"];

// Inputs with repeated tokens (runs and a repeated motif) so that scores come close to ties; plus a short one.
function inputIds(n: number, vocab: number): number[] {
  const motif = [40, 41, 42, 43];
  const ids = [1];
  for (let i = 1; i < n; i++) {
    if (i % 11 < 4) ids.push(motif[i % 4] ?? 40);
    else if (i % 7 === 0) ids.push(77);
    else ids.push(3 + ((i * 37) % Math.min(250, vocab - 3)));
  }
  return ids;
}

interface LayerQK {
  layer: number;
  q: number[][];
  k: number[][];
}

let runner: RunnerHandle | null = null;
test.before(async () => {
  runner = await openRunner();
});
test.after.always(async () => {
  await runner?.close();
});

for (const preset of presets) {
  test.serial(`${preset}: every method's selection equals the naive reference`, async (t) => {
    const r = runner;
    if (!r) return t.fail("runner did not start");
    const info = await r.ok({ op: "load", model: `synthetic:${preset}`, seed: 3 });
    const L = info.layers as number;
    const shape: Shape = { heads: info.heads as number, kvHeads: info.kvHeads as number, headDim: info.headDim as number };
    const vocab = info.vocabSize as number;
    let compared = 0;
    for (const n of [61, 9]) {
      const ids = inputIds(n, vocab);
      const insp = await r.ok({ op: "inspect", inputIds: ids, layers: range(0, L) });
      const layers = insp.layers as LayerQK[];
      t.is(layers.length, L);
      const qk = (l: number): LayerQK => {
        const x = layers.find((y) => y.layer === l);
        if (!x) throw new Error(`inspect lacks layer ${l}`);
        return x;
      };
      const gen = async (name: string, params: Record<string, unknown>) => {
        const res = await r.ok({
          op: "generate",
          inputIds: ids,
          method: { name, params },
          maxNewTokens: 2,
          ignoreEos: true,
          returnSelection: true,
        });
        return res.selection as { kind: string; indices?: number[]; perLayer?: number[][][] };
      };
      const check = (label: string, got: number[] | undefined, want: Parameters<typeof selectionMismatch>[1]) => {
        const msg = got === undefined ? "missing selection" : selectionMismatch(got, want);
        t.is(msg, null, `${preset} n=${n} ${label}: ${msg ?? ""}`);
        compared++;
      };

      // gemfilter: first and last filter layer, budgets below / at / above n, keepLast.
      for (const p of [
        { filterLayer: 0, k: 7 },
        { filterLayer: L - 1, k: 16 },
        { filterLayer: Math.floor(L / 2), k: 12, keepLast: 4 },
        { filterLayer: L - 1, k: 5, keepLast: 5 },
        { filterLayer: 0, k: n },
        { filterLayer: 1 % L, k: n + 10, keepLast: 3 },
      ]) {
        const sel = await gen("gemfilter", p);
        t.is(sel.kind, "indices");
        const l = qk(p.filterLayer);
        check(`gemfilter ${JSON.stringify(p)}`, sel.indices, gemfilterReference(l.q, l.k, shape, p.k, p.keepLast ?? 0));
      }

      // snapkv: defaults-like, max pooling / max aggregation, per-query-head, kernel 1, k ≥ n.
      const snaps: (Partial<SnapOptions> & { k: number })[] = [
        { k: 20, window: 6 },
        { k: 12, window: 4, pool: "max", kernel: 7, gqa: "max" },
        { k: 15, window: 5, kernel: 3, gqa: "per-query-head" },
        { k: 9, window: 8, kernel: 1 },
        { k: n + 1, window: 4 },
      ];
      for (const p of snaps) {
        const o: SnapOptions = { window: 32, pool: "avg", kernel: 5, gqa: "mean", ...p };
        const sel = await gen("snapkv", p);
        t.is(sel.kind, o.gqa === "per-query-head" ? "perQueryHead" : "perHead");
        t.is(sel.perLayer?.length, L);
        for (let l = 0; l < L; l++) {
          const want = snapkvReference(qk(l).q, qk(l).k, shape, o);
          const got = sel.perLayer?.[l];
          t.is(got?.length, want.length, `snapkv ${JSON.stringify(p)} layer ${l}: head count`);
          want.forEach((w, h) => check(`snapkv ${JSON.stringify(p)} layer ${l} head ${h}`, got?.[h], w));
        }
      }

      // h2o: recent window, no recent window, k ≥ n.
      for (const p of [
        { k: 20, recent: 6 },
        { k: 8, recent: 0 },
        { k: n, recent: 4 },
      ]) {
        const sel = await gen("h2o", p);
        t.is(sel.kind, "perHead");
        for (let l = 0; l < L; l++) {
          const want = h2oReference(qk(l).q, qk(l).k, shape, p.k, p.recent);
          want.forEach((w, h) => check(`h2o ${JSON.stringify(p)} layer ${l} kv head ${h}`, sel.perLayer?.[l]?.[h], w));
        }
      }

      // random: the documented PRNG, recomputed with BigInt.
      for (const p of [
        { k: 8, seed: 0 },
        { k: 5, seed: 123456789 },
        { k: n + 3, seed: 1 },
      ]) {
        const sel = await gen("random", p);
        check(`random ${JSON.stringify(p)}`, sel.indices, { selection: randomReference(n, p.k, p.seed), scores: [] });
      }
    }
    t.true(compared > 50, `compared ${compared} selections`);
  });
}
