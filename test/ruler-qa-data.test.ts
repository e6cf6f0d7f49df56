// RULER's QA data: without a path the task is skipped with a log line (no case, so never scored 0); a path that does
// not exist is an error naming the file and where to get it.
import test from "ava";
import { rulerSuite, RulerOptions } from "../datasets/ruler/index.ts";
import { ByteTokenizer } from "../harness/tokenizer.ts";

const ctx = (log: string[]) => ({ tokenizer: new ByteTokenizer(), model: { id: "t", name: "t", maxPositions: 8192, eosIds: [2] }, baseDir: "/", log: (m: string) => log.push(m) });

test("qa_1/qa_2 without data paths: skipped with the reason, no cases", async (t) => {
  const log: string[] = [];
  const cases = await rulerSuite.buildCases(RulerOptions.parse({ tasks: ["qa_1", "qa_2"], lengths: [4095], samples: 1 }), ctx(log));
  t.deepEqual(cases, []);
  t.regex(log.join("\n"), /skipping qa_1: no SQuAD v2\.0 dev \(dev-v2\.0\.json\) given .*not scored/);
  t.regex(log.join("\n"), /skipping qa_2: no HotpotQA dev distractor \(hotpot_dev_distractor_v1\.json\) given .*not scored/);
});

test("a missing QA file names the file and its source", async (t) => {
  await t.throwsAsync(rulerSuite.buildCases(RulerOptions.parse({ tasks: ["qa_2"], lengths: [4095], samples: 1, hotpotqa: "/nonexistent/hotpot.json" }), ctx([])), {
    message: /HotpotQA dev distractor \(hotpot_dev_distractor_v1\.json\) not found at \/nonexistent\/hotpot\.json; download it from http:\/\/curtis\.ml\.cmu\.edu\/datasets\/hotpot\/hotpot_dev_distractor_v1\.json/,
  });
});

test("the essay tasks without essays: an error naming the option and the tasks", async (t) => {
  await t.throwsAsync(rulerSuite.buildCases(RulerOptions.parse({ tasks: ["niah_single_2"], lengths: [4095], samples: 1 }), ctx([])), {
    message: /niah_single_2, niah_single_3, niah_multikey_1, niah_multivalue, niah_multiquery need the Paul Graham essays: set the suite option "essays"/,
  });
});
