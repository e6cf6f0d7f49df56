// A config asks for the bench suite's speed peer with "peer": {"engine": "transformers", "python"?, "modelDir"?}.
// Python defaults to $GEMBENCH_TRANSFORMERS_PYTHON (resolved when the run starts), modelDir resolves from the config's
// folder; an unknown engine or key, or a suite other than bench beside the peer, is a config error naming the path.
import test from "ava";
import { suites } from "../datasets/index.ts";
import { ConfigError, parseConfig } from "../harness/config.ts";

const base = { name: "p", models: ["synthetic:tiny-llama"], engines: [{ method: "dense" }], suites: [{ name: "bench" }] };
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

test("no peer: null", (t) => {
  t.is(parse(base).peer, null);
});

test("peer: python and modelDir default to null (env / run folder), modelDir resolves from the config's folder", (t) => {
  t.deepEqual(parse({ ...base, peer: { engine: "transformers" } }).peer, { engine: "transformers", python: null, modelDir: null });
  t.deepEqual(parse({ ...base, peer: { engine: "transformers", python: "/opt/hf/bin/python", modelDir: "exports" } }).peer, {
    engine: "transformers",
    python: "/opt/hf/bin/python",
    modelDir: "/cfg/exports",
  });
});

test("an unknown peer engine or key is refused with its path", (t) => {
  t.true(problems({ ...base, peer: { engine: "vllm" } }).some((p) => p.startsWith("peer.engine:")));
  t.true(problems({ ...base, peer: { engine: "transformers", dtype: "bf16" } }).some((p) => p === 'peer: unknown key "dtype"'));
});

test("the peer runs the bench suite only: another suite beside it is refused", (t) => {
  t.deepEqual(problems({ ...base, suites: [{ name: "bench" }, { name: "niah" }], peer: { engine: "transformers" } }), [
    'peer: the transformers peer runs the bench suite only; suites[1] is "niah" (move it to a config without "peer")',
  ]);
});
