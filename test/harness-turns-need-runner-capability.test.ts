// An engine whose hello does not list the turn mode never gets `turns` (an older runner would silently answer the
// context alone as a with-question prompt): the case's records are `unsupported`, one per question, saying why.
import test from "ava";
import type { Engine, GenerateRequest, LoadedModel } from "../core/engine.ts";
import type { SuiteContext } from "../core/suite.ts";
import { niahSuite } from "../datasets/niah/index.ts";
import { runCase, type CaseContext } from "../harness/case.ts";
import { parseConfig } from "../harness/config.ts";
import { expandSweep } from "../harness/sweep.ts";
import { ByteTokenizer } from "../harness/tokenizer.ts";
import { toySuites } from "./helpers/harness-toy-suite.ts";

test("no turnModes in the hello: unsupported records, no generate sent", async (t) => {
  const tok = new ByteTokenizer();
  const ctx: SuiteContext = { tokenizer: tok, model: { id: "synthetic:t", name: "t", maxPositions: 100_000, eosIds: [2] }, baseDir: ".", log: () => {} };
  const c = (await niahSuite.buildCases(niahSuite.options.parse({ variant: "multikey", lengths: [600], depths: [50] }), ctx))[0]!;
  const config = parseConfig({ name: "p", models: ["synthetic:m"], engines: [{ method: "dense", compression: "context-only", questions: "multi-request" }], suites: [{ name: "toy" }] }, { source: "c.json", baseDir: "/tmp", suites: toySuites });
  const cell = expandSweep(config, { hash: () => "sha256:0" })[0]!;
  const sent: GenerateRequest[] = [];
  const engine: Engine = {
    info: { kind: "native", build: "old", backend: "cpu", device: "cpu", computeCapability: null, timer: "steady-clock", methods: ["dense"], presets: [] },
    dead: false,
    load: () => Promise.reject(new Error("not used")),
    generate: (req) => {
      sent.push(req);
      return Promise.reject(new Error("generate must not be called"));
    },
    close: () => Promise.resolve(),
  };
  const model = { family: "llama", layers: 2, vocabSize: 256, maxPositions: 100_000, eosIds: [2], bosId: 1 } satisfies LoadedModel;
  const x: CaseContext = {
    pool: { start: async () => {}, firstEngine: () => engine, withModel: async (_s, fn) => ({ ok: true, value: await fn(engine, model) }), modelInfo: async () => ({ ok: true, value: model }), release: async () => {}, close: async () => {} },
    runId: "r",
    run: config.run,
    repoDir: ".",
    faults: [],
  };
  const recs = (await runCase({ cell, c, caseIndex: 0, suite: niahSuite as never, tokenizer: tok as never }, x))!;
  t.is(sent.length, 0);
  t.deepEqual(recs.map((r) => [r.caseId, r.status, r.turn?.round]), [1, 2, 3, 4].map((i) => [`${c.caseId}#${i}`, "unsupported", i]));
  t.regex(recs[0]!.error!.message, /does not implement turnMode "multi-request"/);
});
