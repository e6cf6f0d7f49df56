// The methods' parameters are declared once, in the runner, and the harness reads them from `gem-runner
// --method-specs`: validation, defaults and bounds are the runner's (SnapKV's kernel ≤ 1001, which the TS side once
// did not know), including the model-dependent bound of filterLayer.
import test from "ava";
import { getMethod, methodSpec, modelProblems, resolveParams } from "../engines/index.ts";

test("snapkv's spec comes from the runner: defaults, bounds, odd kernel, gqa values", (t) => {
  const s = methodSpec("snapkv");
  t.deepEqual(Object.keys(s.params), ["k", "ratio", "window", "pool", "kernel", "paramSet", "gqa"]);
  t.deepEqual(s.params.kernel, { kind: "int", min: 1, max: 1001, odd: true, default: 5, description: s.params.kernel!.description });
  t.deepEqual(s.rules.map((r) => [r.kind, r.a, r.b]), [["oneOf", "k", "ratio"], ["greater", "k", "window"]]);
  const m = getMethod("snapkv")!;
  t.deepEqual(resolveParams(m, { k: 64 }), { k: 64, window: 32, pool: "avg", kernel: 5, gqa: "mean" });
  t.throws(() => resolveParams(m, { k: 64, kernel: 1003 }), { message: /kernel/ });
  t.throws(() => resolveParams(m, { k: 64, kernel: 4 }), { message: /odd/ });
  // The budget as a ratio (resolved per case by the runner), and the peers' named parameter sets.
  t.deepEqual(resolveParams(m, { ratio: 0.25 }), { ratio: 0.25, window: 32, pool: "avg", kernel: 5, gqa: "mean" });
  t.throws(() => resolveParams(m, { k: 64, ratio: 0.25 }), { message: /exactly one of k and ratio/ });
  t.throws(() => resolveParams(m, { ratio: 0 }), { message: /ratio/ });
  t.deepEqual(resolveParams(m, { k: 80, paramSet: "kvpress" }), { k: 80, paramSet: "kvpress", window: 64, pool: "avg", kernel: 5, gqa: "mean" });
  t.deepEqual(resolveParams(m, { k: 80, paramSet: "kvcache-factory-longbench" }), { k: 80, paramSet: "kvcache-factory-longbench", window: 8, pool: "max", kernel: 7, gqa: "mean" });
  t.deepEqual(resolveParams(m, { k: 80, paramSet: "snapkv-repo", window: 32 }), { k: 80, paramSet: "snapkv-repo", window: 32, pool: "max", kernel: 7, gqa: "mean" });
  t.throws(() => resolveParams(m, { k: 80, paramSet: "kvpress", window: 32 }), { message: /contradicts paramSet "kvpress"/ });
  t.is(m.label(resolveParams(m, { ratio: 0.25 })), "snapkv ratio=0.25 gqa=mean");
  t.is(m.label(resolveParams(m, { k: 80, paramSet: "kvpress" })), "snapkv k=80 gqa=mean window=64 paramSet=kvpress");
});

test("h2o has the gqa option and gemfilter's filterLayer is bounded by the model's layers", (t) => {
  t.deepEqual(methodSpec("h2o").params.gqa, { kind: "enum", values: ["mean", "max", "per-query-head"], default: "mean", description: methodSpec("h2o").params.gqa!.description });
  const g = methodSpec("gemfilter");
  t.is(g.params.filterLayer?.kind, "int");
  t.deepEqual(modelProblems(g, { filterLayer: 31, k: 8, keepLast: 0 }, 32), []);
  t.deepEqual(modelProblems(g, { filterLayer: 32, k: 8, keepLast: 0 }, 32), ["filterLayer = 32 is out of range for a model of 32 layers (0 ≤ filterLayer ≤ 31)"]);
});
