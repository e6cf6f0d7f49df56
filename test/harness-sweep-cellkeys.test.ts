import test from "ava";
import { parseConfig } from "../harness/config.ts";
import { canonicalJson } from "../core/canonical-json.ts";
import { cellKeyOf, expandSweep } from "../harness/sweep.ts";
import { toySuites } from "./helpers/harness-toy-suite.ts";

const parse = (v: unknown, baseDir = "/tmp") => parseConfig(v, { source: "c.json", baseDir, suites: toySuites });

test("canonical JSON sorts object keys at every depth and keeps array order", (t) => {
  t.is(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
});

// Expected value computed independently (Python): sha256 of the canonical JSON below, first 16 hex digits.
test("the cell key is the sha256 of the canonical JSON of model hash, method, params and suite options", (t) => {
  const key = cellKeyOf({
    model: { hash: "sha256:0123456789abcdef", dtype: "f32", maxContext: null, tokenizer: null },
    method: { name: "dense", params: {} },
    suite: { name: "toy", options: { cases: 2, length: 24 }, maxNewTokens: null, ignoreEos: false },
  });
  // '{"method":{"name":"dense","params":{}},"model":{"dtype":"f32","hash":"sha256:0123456789abcdef","maxContext":null,
  //   "tokenizer":null},"suite":{"ignoreEos":false,"maxNewTokens":null,"name":"toy","options":{"cases":2,"length":24}}}'
  t.is(key, "27c361af43ec97ca");
});

test("cell keys do not depend on config name, order, location, defaults spelled out, or run options", (t) => {
  const a = parse({ name: "a", models: ["synthetic:m"], engines: [{ method: "snapkv", params: { k: 64 } }, { method: "dense" }], suites: [{ name: "toy" }] });
  const b = parse(
    {
      name: "b",
      models: [{ id: "synthetic:m", seed: 0 }],
      engines: [{ method: "dense" }, { method: "snapkv", params: { k: 64, window: 32, pool: "avg" } }],
      suites: [{ name: "toy", options: { cases: 2 } }],
      run: { timeoutMs: 5, repeats: 3 },
    },
    "/elsewhere",
  );
  const ka = expandSweep(a).map((c) => c.cellKey).sort();
  const kb = expandSweep(b).map((c) => c.cellKey).sort();
  t.deepEqual(ka, kb);
  t.is(new Set(ka).size, 2);
});

test("anything that changes outputs changes the key: seed, overrides, params, suite options, maxNewTokens", (t) => {
  const base = { name: "a", models: ["synthetic:m"], engines: [{ method: "random", params: { k: 8 } }], suites: [{ name: "toy" }] };
  const key = (v: unknown): string => expandSweep(parse(v))[0]!.cellKey;
  const k0 = key(base);
  const variants = [
    { ...base, models: [{ id: "synthetic:m", seed: 1 }] },
    { ...base, models: [{ id: "synthetic:m", overrides: { num_hidden_layers: 2 } }] },
    { ...base, engines: [{ method: "random", params: { k: 8, seed: 1 } }] },
    { ...base, suites: [{ name: "toy", options: { length: 25 } }] },
    { ...base, suites: [{ name: "toy", maxNewTokens: 3 }] },
  ];
  const keys = variants.map(key);
  t.is(new Set([k0, ...keys]).size, 6);
});
