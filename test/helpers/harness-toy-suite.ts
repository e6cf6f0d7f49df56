// A tiny suite for harness tests: cases are fixed byte strings, the score is exact match of the output text.
import { z } from "zod";
import type { SuiteRegistry } from "../../harness/config.ts";
import type { Suite } from "../../harness/suite.ts";

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
