// The config's prompt protocols (engines/README.md "Prompt protocols"): `compression` and `questions` on an engine
// entry are sweep axes (each value its own cell, keyed apart, named in the label); the default keys
// stay what they were; combinations that cannot run are refused with the entry named.
import test from "ava";
import { ConfigError, gridSize, parseConfig } from "../harness/config.ts";
import { expandSweep } from "../harness/sweep.ts";
import { toySuites } from "./helpers/harness-toy-suite.ts";

const parse = (engines: unknown[]) => parseConfig({ name: "p", models: ["synthetic:m"], engines, suites: [{ name: "toy" }] }, { source: "c.json", baseDir: "/tmp", suites: toySuites });
const hash = () => "sha256:0000000000000000";

test("compression and questions sweep: one cell each, keyed apart; the default keeps its key", (t) => {
  const plain = expandSweep(parse([{ method: "snapkv", params: { k: 64 } }]), { hash });
  const swept = parse([{ method: "snapkv", params: { k: 64 }, compression: ["with-question", "context-only"], questions: ["single", "multi-request"] }]);
  t.is(gridSize(swept), 4);
  const cells = expandSweep(swept, { hash });
  t.deepEqual(cells.map((c) => [c.prompt.compression, c.prompt.questions]), [["with-question", "single"], ["with-question", "multi-request"], ["context-only", "single"], ["context-only", "multi-request"]]);
  t.is(cells[0]!.cellKey, plain[0]!.cellKey, "with-question + single is today's cell");
  t.is(new Set(cells.map((c) => c.cellKey)).size, 4);
  t.deepEqual(cells.map((c) => c.method.label), ["snapkv k=64 gqa=mean", "snapkv k=64 gqa=mean · multi-request", "snapkv k=64 gqa=mean · context-only", "snapkv k=64 gqa=mean · context-only · multi-request"]);
  t.deepEqual(cells[3]!.sweep, {}, "the protocol is in the label, not repeated as a sweep value");
});

test("with-question over accumulating turns and gemfilter's rounds with the question compressed are refused", (t) => {
  const e = t.throws(() => parse([{ method: "dense", questions: "multi-turn" }, { method: "gemfilter", params: { filterLayer: 1, k: 8, rounds: "keep-filter-layers" } }]), { instanceOf: ConfigError });
  t.regex(e.message, /engines\[0\]: questions "multi-turn" needs compression "context-only"/);
  t.regex(e.message, /engines\[1\]\.params\.rounds: "keep-filter-layers" needs compression "context-only"/);
  t.notThrows(() => parse([{ method: "gemfilter", params: { filterLayer: 1, k: 8, rounds: ["keep-filter-layers", "rerun"] }, compression: "context-only", questions: "multi-turn" }]));
  t.throws(() => parse([{ method: "dense", compression: "question-only" }]), { instanceOf: ConfigError, message: /engines\[0\]\.compression/ });
});
