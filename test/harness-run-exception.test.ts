// An exception inside the run loop (here: a suite hands out case metadata that the record schema rejects) stops the
// run through the real runExperiment → runner pool → gem-runner path: it is rethrown, the records before it stay,
// nothing is appended after it (queued cases are not run or recorded), and the run folder's lock is released.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import type { SuiteRegistry } from "../core/suite.ts";
import type { Suite } from "../core/suite.ts";
import { runInProcess, toySuite, type ToyOptions } from "./helpers/harness-toy-suite.ts";

/** The toy suite, except that case 1 carries an object in caseMeta (records allow scalars only). */
const brokenSuite: Suite<ToyOptions> = {
  ...toySuite,
  buildCases: async (o, ctx) => {
    const cases = await toySuite.buildCases(o, ctx);
    (cases[1]!.caseMeta as Record<string, unknown>).index = { not: "a scalar" };
    return cases;
  },
};
const suites: SuiteRegistry = { toy: brokenSuite as Suite<unknown> };

test("an exception stops the run: rethrown, earlier records kept, none after it, lock released", async (t) => {
  const out = mkdtempSync(join(tmpdir(), "gembench-exception-"));
  const err = await t.throwsAsync(
    runInProcess(
      { name: "exception", models: ["synthetic:tiny-llama"], engines: [{ method: "dense" }], suites: [{ name: "toy", options: { cases: 5 } }] },
      out,
      suites,
    ),
  );
  t.regex(err?.message ?? "", /caseMeta/);
  const lines = readFileSync(join(out, "records.jsonl"), "utf8").split("\n").filter((l) => l !== "");
  t.deepEqual(
    lines.map((l) => (JSON.parse(l) as { caseId: string }).caseId),
    ["toy-0"],
  );
  t.false(existsSync(join(out, "run.lock")));
});
