import test from "ava";
import { parseConfig, parseRange } from "../harness/config.ts";
import { expandSweep } from "../harness/sweep.ts";
import { toySuites } from "./helpers/harness-toy-suite.ts";

test("range strings expand inclusively, with an optional step", (t) => {
  t.deepEqual(parseRange("0..3"), [0, 1, 2, 3]);
  t.deepEqual(parseRange("0..31:8"), [0, 8, 16, 24]);
  t.deepEqual(parseRange("5..5"), [5]);
  t.is(parseRange("avg"), null);
  t.throws(() => parseRange("3..1"), { message: 'range "3..1": the end must be ≥ the start' });
});

test("a range string or a list mixing ranges becomes a sweep axis", (t) => {
  const config = parseConfig(
    { name: "r", models: ["synthetic:a"], engines: [{ method: "gemfilter", params: { filterLayer: "0..2", k: ["8..16:8", 64] } }], suites: [{ name: "toy" }] },
    { source: "c.json", baseDir: "/tmp", suites: toySuites },
  );
  t.deepEqual(config.engines[0]?.axes, { filterLayer: [0, 1, 2], k: [8, 16, 64] });
  t.deepEqual(
    expandSweep(config).map((c) => c.method.label),
    ["gemfilter r=0 k=8", "gemfilter r=0 k=16", "gemfilter r=0 k=64", "gemfilter r=1 k=8", "gemfilter r=1 k=16", "gemfilter r=1 k=64", "gemfilter r=2 k=8", "gemfilter r=2 k=16", "gemfilter r=2 k=64"],
  );
});
