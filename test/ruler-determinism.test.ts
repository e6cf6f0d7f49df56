// RULER samples are a pure function of (task, seed, length, sample index): the same seed gives the same prompt, another
// seed another one.
import test from "ava";
import { RulerData, RulerOptions, taskSamples, type RulerSample } from "../datasets/ruler/index.ts";
import { ByteTokenizer } from "../harness/tokenizer.ts";

const tok = new ByteTokenizer();
const prompts = (seed: number): string[] => {
  const o = RulerOptions.parse({ seed, samples: 2 });
  const data = new RulerData(o, "/");
  return (["niah_single_1", "niah_multikey_3", "fwe"] as const).flatMap((t) => [...taskSamples(o, data, tok, t, 2000, 2)].map((s: RulerSample) => s.input));
};

test("same seed, same prompts; another seed, other prompts; samples differ from each other", (t) => {
  const a = prompts(42);
  t.deepEqual(prompts(42), a);
  const b = prompts(7);
  a.forEach((p, i) => t.not(p, b[i]));
  t.not(a[0], a[1]);
});
