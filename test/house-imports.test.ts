// The house stands: no import runs up a floor or sideways (core imports nothing of ours; engines and datasets import
// only core; harness imports no presentation; reports import no CLI) and no chain of imports comes back on itself.
import test from "ava";
import { importCycles, importGraph, upwardImports } from "../scripts/house.ts";

const graph = importGraph();

test("the graph covers every floor", (t) => {
  const floors = new Set([...graph.keys()].map((f) => f.split("/")[0]));
  t.deepEqual([...floors].sort(), ["cli", "core", "datasets", "engines", "harness", "reports"]);
  t.true(graph.get("cli/main.ts")?.includes("cli/run.ts"));
});

test("no import points up a floor or sideways to a neighbour", (t) => {
  t.deepEqual(upwardImports(graph), []);
});

test("no import cycle, type-only imports included", (t) => {
  t.deepEqual(importCycles(graph), []);
});

test("the checks catch what they guard against", (t) => {
  const bad = new Map<string, string[]>([
    ["core/a.ts", ["harness/b.ts"]],
    ["harness/b.ts", ["core/a.ts"]],
    ["engines/c.ts", ["datasets/d.ts"]],
    ["datasets/d.ts", []],
    ["reports/e.ts", ["reports/f.ts"]],
    ["reports/f.ts", ["reports/e.ts"]],
  ]);
  t.deepEqual(upwardImports(bad), ["core/a.ts → harness/b.ts (core may not import harness)", "engines/c.ts → datasets/d.ts (engines may not import datasets)"]);
  t.deepEqual(importCycles(bad).map((c) => [...c].sort()), [["core/a.ts", "harness/b.ts"], ["reports/e.ts", "reports/f.ts"]]);
});
