// The speed configs load through the real suite registry (the bench suite must be registered, or `gembench run
// configs/paper-speed.json` stops at "unknown suite") and ask for the paper's cells: the four presets, 8K..128K,
// 50 tokens with EOS ignored, 1 warmup + 3 repeats, SnapKV/H2O at 1024, GemFilter r = 13 (Llama) / 19 (Nemo, Phi),
// in bf16 (what the cuda backend holds),
// and the transformers speed peer (its Python from GEMBENCH_TRANSFORMERS_PYTHON).
import test from "ava";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../harness/config.ts";
import { suites } from "../datasets/index.ts";
import { BenchOptions } from "../datasets/bench/index.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const CONFIGS: [string, string[], number | null][] = [
  ["paper-speed.json", ["synthetic:llama-3.1-8b"], 13],
  ["paper-speed-nemo-phi.json", ["synthetic:mistral-nemo-12b", "synthetic:phi-3.5-mini"], 19],
  ["paper-speed-qwen.json", ["synthetic:qwen2.5-7b"], null],
];

test("paper-speed configs load with the registered bench suite and ask for the paper's cells", (t) => {
  for (const [file, models, filterLayer] of CONFIGS) {
    const cfg = loadConfig(join(root, "configs", file), suites);
    t.deepEqual(cfg.models.map((m) => m.id), models, file);
    // bf16, the cuda backend's only dtype: the default f32 is refused there (unsupported), so every cell would fail.
    t.deepEqual(cfg.models.map((m) => m.dtype), models.map(() => "bf16"), file);
    const axes = Object.fromEntries(cfg.engines.map((e) => [e.method, e.axes]));
    t.deepEqual(axes.dense, {}, file);
    t.deepEqual(axes.snapkv?.k, [1024], file);
    t.deepEqual(axes.h2o?.k, [1024], file);
    if (filterLayer === null) t.is(axes.gemfilter, undefined, file);
    else t.deepEqual(axes.gemfilter, { filterLayer: [filterLayer], k: [1024] }, file);
    t.is(cfg.suites.length, 1, file);
    const s = cfg.suites[0]!;
    t.is(s.name, "bench", file);
    t.deepEqual([s.ignoreEos, s.warmups, s.repeats], [true, 1, 3], file);
    const opts = BenchOptions.parse(s.options);
    t.deepEqual(opts.lengths, [8192, 16384, 32768, 65536, 131072], file);
    t.is(opts.maxNewTokens, 50, file);
    t.true(cfg.engines.every((e) => e.engine.join() === "native,transformers"), `${file}: every cell also on the transformers engine`);
  }
});
