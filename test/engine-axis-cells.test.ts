// The engine is a cell axis: an entry with engine ["native", "transformers"] makes each of its cells once per engine,
// in any suite; a transformers cell has a key of its own (so resume and `compare` never mistake one for the other),
// and native cells keep the keys they had before engines existed (old runs resume).
import test from "ava";
import { suites } from "../datasets/index.ts";
import { parseConfig } from "../harness/config.ts";
import { cellKeyOf, expandSweep } from "../harness/sweep.ts";

const engines = [
  { method: "dense" },
  { method: "snapkv", params: { k: 64, gqa: ["mean", "per-query-head"] } },
  { method: "gemfilter", params: { filterLayer: 1, k: [16, 32] } },
];
const base = { name: "p", models: ["synthetic:tiny-llama", "synthetic:tiny-mistral"], engines, suites: [{ name: "niah" }, { name: "bench", options: { lengths: [64] } }] };
const both = { ...base, engines: engines.map((e) => ({ ...e, engine: ["native", "transformers"] })) };
const cells = (v: unknown) => expandSweep(parseConfig(v, { source: "p.json", baseDir: "/cfg", suites }), { hash: (m) => `sha256:${m.id}` });

test("each entry's cells once per engine, model-major, in every suite", (t) => {
  const got = cells(both);
  const entries = [["dense"], ["snapkv k=64 gqa=mean", "snapkv k=64 gqa=per-query-head"], ["gemfilter r=1 k=16", "gemfilter r=1 k=32"]];
  const want: string[] = [];
  for (const m of ["synthetic:tiny-llama", "synthetic:tiny-mistral"])
    for (const s of ["niah", "bench"]) for (const labels of entries) for (const e of ["native", "transformers"]) for (const l of labels) want.push(`${m} ${s} ${l} ${e}`);
  t.deepEqual(got.map((c) => `${c.model.id} ${c.suite.name} ${c.method.label} ${c.engine}`), want);
  t.deepEqual(got.map((c) => c.index), got.map((_, i) => i));
});

test("transformers cells have keys of their own; native keys are unchanged by the axis (old runs resume)", (t) => {
  const without = cells(base);
  const withBoth = cells(both);
  const native = withBoth.filter((c) => c.engine === "native");
  t.deepEqual(native.map((c) => c.cellKey), without.map((c) => c.cellKey));
  // the native key is the one computed without any engine part
  const c0 = without[0]!;
  t.is(c0.cellKey, cellKeyOf({ model: { hash: c0.model.hash, dtype: c0.model.dtype, maxContext: c0.model.maxContext, tokenizer: null }, method: { name: c0.method.name, params: c0.method.params }, suite: { name: c0.suite.name, options: c0.suite.options, maxNewTokens: c0.suite.maxNewTokens, ignoreEos: c0.suite.ignoreEos } }));
  const all = withBoth.map((c) => c.cellKey);
  t.is(new Set(all).size, all.length);
  for (const p of withBoth.filter((c) => c.engine === "transformers")) {
    const twin = native.find((c) => c.model.id === p.model.id && c.suite.name === p.suite.name && c.method.label === p.method.label)!;
    t.not(p.cellKey, twin.cellKey);
    t.deepEqual([p.method, p.suite, p.sweep], [twin.method, twin.suite, twin.sweep]);
  }
});
