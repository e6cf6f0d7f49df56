import test from "ava";
import { z } from "zod";
import { ConfigError, parseConfig } from "../harness/config.ts";
import type { SuiteRegistry } from "../core/suite.ts";
import type { Suite } from "../core/suite.ts";

// A minimal suite whose options schema is strict, so suite-option errors can be checked with exact paths.
const toy: Suite<{ lengths: number[] }> = {
  name: "toy",
  description: "test suite",
  options: z.strictObject({ lengths: z.array(z.number().int().positive()).default([10]) }),
  datasets: () => ["toy"],
  buildCases: async () => [],
  score: () => ({ acc: 0 }),
};
const suites: SuiteRegistry = { toy: toy as Suite<unknown> };

function problems(value: unknown): string[] {
  try {
    parseConfig(value, { source: "x.json", baseDir: "/tmp", suites });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const ok = {
  name: "t",
  models: ["synthetic:tiny-llama"],
  engines: [{ method: "dense" }],
  suites: [{ name: "toy" }],
};

test("a valid config has no problems", (t) => {
  t.deepEqual(problems(ok), []);
});

test("wrong types name the JSON path and the expected type", (t) => {
  const p = problems({ ...ok, run: { timeoutMs: "soon" } });
  t.deepEqual(p, ["run.timeoutMs: Invalid input: expected number, received string"]);
});

test("unknown keys are named", (t) => {
  t.deepEqual(problems({ ...ok, enignes: [] }), ['(root): unknown key "enignes"']);
});

test("unknown method lists the known ones", (t) => {
  t.deepEqual(problems({ ...ok, engines: [{ method: "dense" }, { method: "snapkvv", params: { k: 8 } }] }), [
    'engines[1].method: unknown method "snapkvv"; expected one of dense, gemfilter, snapkv, h2o, random, streamingllm, knorm, tova, observed, pyramidkv, chunkkv, adasnapkv',
  ]);
});

test("method params are validated per swept value, naming the parameter", (t) => {
  const p = problems({ ...ok, engines: [{ method: "gemfilter", params: { filterLayer: [0, -1], k: 16 } }] });
  t.deepEqual(p, ['engines[0].params.filterLayer: Too small: expected number to be >=0 (with filterLayer=-1 k=16)']);
});

test("a missing required method param is named", (t) => {
  const p = problems({ ...ok, engines: [{ method: "h2o", params: {} }] });
  t.deepEqual(p, ["engines[0].params: give exactly one of k and ratio: the budget is k (tokens) or ratio (of the prompt)"]);
});

test("cross-parameter checks say which parameters conflict", (t) => {
  const p = problems({ ...ok, engines: [{ method: "snapkv", params: { k: 32 } }] });
  t.deepEqual(p, ["engines[0].params: k (32) must be > window (32) (with k=32)"]);
});

test("unknown method params are rejected", (t) => {
  const p = problems({ ...ok, engines: [{ method: "random", params: { k: 4, sed: 1 } }] });
  t.deepEqual(p, ['engines[0].params: unknown key "sed" (with k=4 sed=1)']);
});

test("suite options are checked by the suite's own schema with the full path", (t) => {
  const p = problems({ ...ok, suites: [{ name: "toy", options: { lengths: [10, 0] } }] });
  t.deepEqual(p, ["suites[0].options.lengths[1]: Too small: expected number to be >0"]);
});

test("unknown suite names list the registered ones", (t) => {
  t.deepEqual(problems({ ...ok, suites: [{ name: "niha" }] }), ['suites[0].name: unknown suite "niha"; expected one of toy']);
});

test("the error message lists every problem under the file name", (t) => {
  const e = t.throws(() => parseConfig({ ...ok, models: [], engines: [] }, { source: "c.json", baseDir: "/tmp", suites }), { instanceOf: ConfigError });
  t.is(e?.message, "invalid config c.json:\n  - models: Too small: expected array to have >=1 items\n  - engines: Too small: expected array to have >=1 items");
});

test("budgets as a ratio and SnapKV's parameter sets are checked before any case runs", (t) => {
  t.deepEqual(problems({ ...ok, engines: [{ method: "streamingllm", params: { ratio: [0.25, 0.5] } }] }), []);
  t.deepEqual(problems({ ...ok, engines: [{ method: "snapkv", params: { k: 128, paramSet: ["kvpress", "snapkv-repo"] } }] }), []);
  t.deepEqual(problems({ ...ok, engines: [{ method: "snapkv", params: { k: 80, paramSet: "kvpress", window: 32 } }] }), [
    'engines[0].params.paramSet: snapkv: window = 32 contradicts paramSet "kvpress" (window = 64)',
  ]);
  t.true(problems({ ...ok, engines: [{ method: "tova", params: { ratio: 1.5 } }] }).some((p) => p.startsWith("engines[0].params.ratio")));
  t.true(problems({ ...ok, engines: [{ method: "adasnapkv", params: { k: 64, floor: 2 } }] }).some((p) => p.startsWith("engines[0].params.floor")));
  t.true(problems({ ...ok, engines: [{ method: "chunkkv", params: { k: 64, chunk: 0 } }] }).some((p) => p.startsWith("engines[0].params.chunk")));
  t.true(problems({ ...ok, engines: [{ method: "streamingllm", params: { k: 3, sinks: 4 } }] }).some((p) => p.includes("sinks (4) must be ≤ k (3)")));
});
