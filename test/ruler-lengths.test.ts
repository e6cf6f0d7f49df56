// RULER's length fitting with a real tokenizer (stories260K's SentencePiece BPE from ../shared): prompt +
// tokens_to_generate never exceeds max_seq_length and lands within one haystack increment below it.
import { HfTokenizer } from "../harness/tokenizer.ts";
import { RulerData, RulerOptions, taskSamples, type TaskName } from "../datasets/ruler/index.ts";
import { essayWords } from "../datasets/ruler/niah.ts";
import { readHaystackDir } from "../datasets/niah/haystack.ts";
import { rulerFixtures } from "./helpers/ruler.ts";
import { ESSAYS as essays, NEED, needsShared, STORIES as stories } from "./helpers/shared.ts";

needsShared([NEED.stories, NEED.essays])("lengths land within RULER's increments below max_seq_length (stories260K tokenizer)", (t) => {
  const tok = new HfTokenizer(stories);
  const fx = rulerFixtures();
  // stories260K has 512 tokens (≈1.5 characters each): vt's one-shot example needs more than RULER's 500 of them.
  const o = RulerOptions.parse({ essays, squad: fx.squad, hotpotqa: fx.hotpotqa, samples: 2, vtExampleLength: 1000 });
  const data = new RulerData(o, fx.dir);
  const count = (s: string): number => tok.encode(s).length;
  const words = essayWords(readHaystackDir(essays));
  const repeat = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
  // Tokens one increment adds (generously: the longest stretch of that many units), plus the probe's answer text.
  const increment: Partial<Record<TaskName, number>> = {
    niah_single_1: 25 * (count(`${repeat}\n`) + 1),
    niah_single_2: count(words.slice(0, 500).join(" ")) * 1.5 + 64,
    vt: 10 * (count(`${repeat}\n`) + 1) + 16,
    // 10 words × 3 entries "1234. word" plus the probe's 10 numbered answers; stories260K's 512-token vocabulary
    // splits a word into up to ~10 pieces, and each sample draws other words than the probe (up to 16 tokens each).
    cwe: 3 * 10 * 16 + 10 * 16,
  };
  // (cwe at 4096 needs ≈4,000 tokens of list and example with this small vocabulary: too long; RULER would not fit it either.)
  for (const length of [8192]) {
    for (const [task, inc] of Object.entries(increment) as [TaskName, number][]) {
      for (const s of taskSamples(o, data, tok, task, length, 2)) {
        t.true(s.length <= length, `${task} @${length}: ${s.length} > max_seq_length`);
        t.true(length - s.length <= inc, `${task} @${length}: ${s.length} is more than one increment (${inc}) below`);
        t.log(`${task} @${length}: sample ${s.index} length ${s.length} (haystack ${s.haystack})`);
      }
    }
  }
});
