// An engine entry's `engine` is "native" (default) or "transformers", or a list of them (swept like a parameter, each
// engine its own cells); the transformers engine's settings are the config's "transformers": {"python"?, "modelDir"?}
// (modelDir resolves from the config's folder). An unknown engine or key is a config error naming the path.
import test from "ava";
import { suites } from "../datasets/index.ts";
import { ConfigError, enginesOf, gridSize, parseConfig } from "../harness/config.ts";

const base = { name: "p", models: ["synthetic:tiny-llama"], engines: [{ method: "dense" }], suites: [{ name: "niah" }] };
const parse = (v: unknown) => parseConfig(v, { source: "p.json", baseDir: "/cfg", suites });
function problems(v: unknown): string[] {
  try {
    parse(v);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

test("default: native only; transformers settings default to null (env / run folder)", (t) => {
  const c = parse(base);
  t.deepEqual(c.engines[0]!.engine, ["native"]);
  t.deepEqual(enginesOf(c), ["native"]);
  t.deepEqual(c.transformers, { python: null, modelDir: null });
});

test("one engine or a list (repeats dropped); the grid counts each engine's cells", (t) => {
  const c = parse({ ...base, engines: [{ method: "dense", engine: "transformers" }, { method: "gemfilter", params: { filterLayer: 0, k: [8, 16] }, engine: ["native", "transformers", "native"] }] });
  t.deepEqual(c.engines.map((e) => e.engine), [["transformers"], ["native", "transformers"]]);
  t.deepEqual(enginesOf(c), ["transformers", "native"]);
  t.is(gridSize(c), 1 + 2 * 2);
});

test("transformers settings: python kept, modelDir resolved from the config's folder", (t) => {
  t.deepEqual(parse({ ...base, transformers: { python: "/opt/hf/bin/python", modelDir: "exports" } }).transformers, { python: "/opt/hf/bin/python", modelDir: "/cfg/exports" });
});

test("an unknown engine, an empty list or an unknown settings key is refused with its path", (t) => {
  t.true(problems({ ...base, engines: [{ method: "dense", engine: "vllm" }] }).some((p) => p.startsWith("engines[0].engine:")), String(problems({ ...base, engines: [{ method: "dense", engine: "vllm" }] })));
  t.true(problems({ ...base, engines: [{ method: "dense", engine: [] }] }).some((p) => p.startsWith("engines[0].engine:")));
  t.true(problems({ ...base, transformers: { dtype: "bf16" } }).some((p) => p === 'transformers: unknown key "dtype"'));
  t.true(problems({ ...base, peer: { engine: "transformers" } }).some((p) => p === '(root): unknown key "peer"'));
});
