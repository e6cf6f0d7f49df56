// A suite with planCases: the run knows its cases by id first and builds each one just before it runs (once for all
// the cells that run it), drops it after, and builds none that a resumed run has already finished. Through the real
// runExperiment → runner pool → gem-runner path on the CPU (one device: two tasks in flight). A case that cannot be
// built stops the run, naming it.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import type { Suite, SuiteRegistry } from "../core/suite.ts";
import { runInProcess, toySuite, type ToyOptions } from "./helpers/harness-toy-suite.ts";

/** The toy suite as a plan; `events` gets "build i" when case i is built and "score i" when one of its cells ends. */
function plannedSuite(events: string[]): SuiteRegistry {
  const suite: Suite<ToyOptions> = {
    ...toySuite,
    planCases: async (o, ctx) => {
      const all = await toySuite.buildCases(o, ctx);
      return {
        cases: all.map((c) => ({ caseId: c.caseId, promptTokens: c.inputIds.length, maxNewTokens: c.maxNewTokens })),
        build: (i) => {
          events.push(`build ${i}`);
          return all[i]!;
        },
      };
    },
    score: (c, out) => {
      events.push(`score ${String(c.caseMeta.index)}`);
      return toySuite.score(c, out);
    },
  };
  return { toy: suite as Suite<unknown> };
}

const config = {
  name: "lazy",
  models: ["synthetic:tiny-llama"],
  engines: [{ method: "dense" }, { method: "snapkv", params: { k: 8, window: 4 } }],
  suites: [{ name: "toy", options: { cases: 6 } }],
};

/** The most cases built and not yet scored by both cells at any moment. */
function mostHeld(events: readonly string[]): number {
  const scored = new Map<string, number>();
  let held = 0, most = 0;
  for (const e of events) {
    const [kind, i] = e.split(" ") as [string, string];
    if (kind === "build") most = Math.max(most, ++held);
    else {
      scored.set(i, (scored.get(i) ?? 0) + 1);
      if (scored.get(i) === 2) held--;
    }
  }
  return most;
}

test("planned cases: each built once for both cells, just before it runs; a resumed run builds only what is left", async (t) => {
  const out = mkdtempSync(join(tmpdir(), "gembench-lazy-"));
  const events: string[] = [];
  const summary = await runInProcess(config, out, plannedSuite(events));
  t.is(summary.completed, 12);
  t.deepEqual(events.filter((e) => e.startsWith("build")), ["build 0", "build 1", "build 2", "build 3", "build 4", "build 5"]);
  t.true(mostHeld(events) <= 2, events.join(", "));
  const records = readFileSync(join(out, "records.jsonl"), "utf8").split("\n").filter((l) => l !== "");
  // Case by case, both cells of a case next to each other.
  t.deepEqual(
    records.map((l) => (JSON.parse(l) as { caseId: string }).caseId),
    ["toy-0", "toy-0", "toy-1", "toy-1", "toy-2", "toy-2", "toy-3", "toy-3", "toy-4", "toy-4", "toy-5", "toy-5"],
  );

  // Cut the last three records away (case 4's second cell, case 5's two): the rerun builds cases 4 and 5 only.
  writeFileSync(join(out, "records.jsonl"), `${records.slice(0, 9).join("\n")}\n`);
  const again: string[] = [];
  const resumed = await runInProcess(config, out, plannedSuite(again));
  t.is(resumed.resumed, 9);
  t.is(resumed.completed, 3);
  t.deepEqual(again.filter((e) => e.startsWith("build")), ["build 4", "build 5"]);
});

test("a case that cannot be built stops the run, naming it; the cases before it are recorded", async (t) => {
  const out = mkdtempSync(join(tmpdir(), "gembench-lazy-fail-"));
  const events: string[] = [];
  const suites = plannedSuite(events);
  const planned = suites.toy!;
  const failing: Suite<unknown> = {
    ...planned,
    planCases: async (o, ctx) => {
      const plan = await planned.planCases!(o, ctx);
      return { cases: plan.cases, build: (i) => (i === 2 ? (() => { throw new Error("max_seq_length 10 is too short"); })() : plan.build(i)) };
    },
  };
  const err = await t.throwsAsync(runInProcess(config, out, { toy: failing }));
  t.is(err?.message, "building case toy-2: max_seq_length 10 is too short");
  const ids = readFileSync(join(out, "records.jsonl"), "utf8").split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { caseId: string }).caseId);
  t.deepEqual(ids.slice(0, 2), ["toy-0", "toy-0"]);
  t.false(ids.includes("toy-2"));
});
