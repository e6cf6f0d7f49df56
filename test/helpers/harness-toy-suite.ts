// A tiny suite for harness tests: cases are fixed byte strings, the score is exact match of the output text. Also the
// in-process run that tests with their own suites use.
import { resolve } from "node:path";
import { z } from "zod";
import { createNativeEngineFactory } from "../../engines/native-engine.ts";
import { parseConfig } from "../../harness/config.ts";
import type { SuiteRegistry } from "../../core/suite.ts";
import { RunnerPool } from "../../harness/runner-pool.ts";
import { runExperiment, type RunSummary } from "../../harness/run.ts";
import type { Suite } from "../../core/suite.ts";

const REPO = resolve(import.meta.dirname, "..", "..");

export interface ToyOptions {
  cases: number;
  length: number;
}

export const toySuite: Suite<ToyOptions> = {
  name: "toy",
  description: "fixed prompts for harness tests",
  options: z.strictObject({ cases: z.number().int().positive().default(2), length: z.number().int().positive().default(24) }),
  datasets: () => ["toy"],
  buildCases: async (o, ctx) =>
    Array.from({ length: o.cases }, (_, i) => {
      const text = `case ${i}: ${"abcdefghij".repeat(Math.ceil(o.length / 10))}`.slice(0, o.length);
      return {
        caseId: `toy-${i}`,
        dataset: "toy",
        inputIds: ctx.tokenizer.encode(text, { addSpecialTokens: true }),
        references: ["zzz"],
        maxNewTokens: 4,
        stopIds: [],
        stopStrings: [],
        caseMeta: { index: i },
        protocol: { chatTemplate: false },
        marks: [{ label: "head", start: 1, end: 3 }],
        scoring: {},
      };
    }),
  score: (c, out) => ({ exact: out === c.references[0] ? 1 : 0 }),
};

export const toySuites: SuiteRegistry = { toy: toySuite as Suite<unknown> };

/**
 * runExperiment in this process on the CPU (one gem-runner, 1 thread, no progress, no faults) for a raw config
 * object and the given suites; `log` receives the harness's and the runner's log lines.
 */
export function runInProcess(raw: unknown, outDir: string, suites: SuiteRegistry, log: (m: string) => void = () => {}): Promise<RunSummary> {
  return runExperiment({
    config: parseConfig(raw, { source: "test", baseDir: REPO, suites }),
    outDir,
    devices: ["cpu"],
    limit: null,
    engineFactory: createNativeEngineFactory({ args: ["--threads", "1"], log }),
    makePool: (d, f, o) => new RunnerPool(d, f, o),
    suites,
    repoDir: REPO,
    log,
    progress: null,
    faults: [],
    allowFaults: false,
  });
}
