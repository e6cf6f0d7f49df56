// Prompt protocols that cannot run are refused before any case (exit 2, the reason named): context-only on a suite
// without a context/question split (bench), several questions for one-question cases (NIAH passkey), and any
// non-default protocol on an engine whose capabilities do not list `turns`.
import test from "ava";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../harness/config.ts";
import { capabilityProblems } from "../harness/engines.ts";
import { expandSweep } from "../harness/sweep.ts";
import { gembenchRun } from "./helpers/gembench-run.ts";
import { toySuites } from "./helpers/harness-toy-suite.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const runner = process.env.GEMBENCH_RUNNER ?? join(root, "engines", "native", "build", "gem-runner");

test("an engine whose capabilities lack turns refuses context-only and multi-question cells, naming why", (t) => {
  const config = parseConfig(
    { name: "p", models: ["synthetic:m"], engines: [{ method: "dense", engine: "transformers", compression: ["with-question", "context-only"] }], suites: [{ name: "toy" }] },
    { source: "c.json", baseDir: "/tmp", suites: toySuites },
  );
  const cells = expandSweep(config, { hash: () => "sha256:0" });
  const problems = capabilityProblems(cells, "transformers", { methods: ["dense"], methodParams: { dense: [] } });
  t.deepEqual(problems, [
    'the transformers engine does not implement compression "context-only" with questions "single" (its capabilities do not list the generate request\'s turns); run it on "native"',
  ]);
  t.deepEqual(capabilityProblems(cells, "transformers", { methods: ["dense"], methodParams: { dense: [] }, turns: true }), []);
});

for (const [what, suite, questions, message] of [
  ["context-only on bench (no split)", { name: "bench", options: { lengths: [64], maxNewTokens: 2 } }, "single", /suite bench .* has no context\/question split; compression "context-only"/],
  ["multi-request on passkey (one question)", { name: "niah", options: { variant: "passkey", lengths: [300], depths: [50] } }, "multi-request", /asks one question about its context; questions "multi-request" needs several/],
] as const) {
  test(`gembench run refuses ${what} with exit 2 and writes no record`, (t) => {
    if (!existsSync(runner)) {
      t.log(`SKIPPED: runner binary ${runner} absent (npm run build:native)`);
      return t.pass();
    }
    const dir = mkdtempSync(join(tmpdir(), "gembench-protocol-refusal-"));
    const r = gembenchRun({ name: "refusal", models: ["synthetic:retrieval-tiny"], engines: [{ method: "dense", compression: "context-only", questions }], suites: [suite] }, dir, 60_000);
    t.is(r.status, 2, r.stderr.slice(-1500));
    t.regex(r.stderr, message);
    const recs = join(r.out, "records.jsonl");
    t.true(!existsSync(recs) || statSync(recs).size === 0, "no record written");
  });
}
