// An exception inside the run loop (here: a suite hands out case metadata that the record schema rejects) stops the
// run through the real runExperiment → runner pool → gem-runner path: it is rethrown, the records before it stay,
// nothing is appended after it (queued cases are not run or recorded), and the run folder's lock is released.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import test from "ava";
import { createNativeEngineFactory } from "../engines/native-engine.ts";
import { parseConfig, type SuiteRegistry } from "../harness/config.ts";
import { RunnerPool } from "../harness/runner-pool.ts";
import { runExperiment } from "../harness/run.ts";
import type { Suite } from "../harness/suite.ts";
import { toySuite, type ToyOptions } from "./helpers/harness-toy-suite.ts";

const REPO = resolve(import.meta.dirname, "..");

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
  const config = parseConfig(
    { name: "exception", models: ["synthetic:tiny-llama"], engines: [{ method: "dense" }], suites: [{ name: "toy", options: { cases: 5 } }] },
    { source: "test", baseDir: REPO, suites },
  );
  const logs: string[] = [];
  const err = await t.throwsAsync(
    runExperiment({
      config,
      outDir: out,
      devices: ["cpu"],
      limit: null,
      engineFactory: createNativeEngineFactory({ args: ["--threads", "1"], log: (m) => logs.push(m) }),
      makePool: (d, f, o) => new RunnerPool(d, f, o),
      suites,
      repoDir: REPO,
      log: (m) => logs.push(m),
      progress: null,
      faults: [],
      allowFaults: false,
    }),
  );
  t.regex(err?.message ?? "", /caseMeta/);
  const lines = readFileSync(join(out, "records.jsonl"), "utf8").split("\n").filter((l) => l !== "");
  t.deepEqual(
    lines.map((l) => (JSON.parse(l) as { caseId: string }).caseId),
    ["toy-0"],
  );
  t.false(existsSync(join(out, "run.lock")));
});
