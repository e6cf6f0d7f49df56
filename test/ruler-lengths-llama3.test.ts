// RULER's length fitting with Llama 3.1's real tokenizer (llama3-tokenizer-js, see helpers/llama3.ts) at 4K, 8K and
// 16K: a sample of each haystack kind stays at or below max_seq_length (prompt + tokens_to_generate; fwe may pass it
// by its 50, RULER's own rule) and lands within one of the task's haystack increments below it, in Llama 3 tokens.
// One task per haystack kind (the other essay tasks fit the same haystack; the README gives all 11 tasks' lengths);
// the QA tasks are left out: the test's made-up SQuAD/HotpotQA files run out of documents
// long before 4K (RULER stops there too).
import test from "ava";
import { RulerData, RulerOptions, taskSamples, type TaskName } from "../datasets/ruler/index.ts";
import { essayWords } from "../datasets/ruler/niah.ts";
import { readHaystackDir } from "../datasets/niah/haystack.ts";
import { LLAMA3_BOS, llama3Tokenizer as tok } from "./helpers/llama3.ts";
import { ESSAYS as essays, NEED, needsShared } from "./helpers/shared.ts";

test("llama3-tokenizer-js is Llama 3's tokenizer: its vocabulary size, special ids and known encodings", (t) => {
  t.is(tok.vocabSize, 128256);
  t.deepEqual(tok.encode("Hello world", { addSpecialTokens: true }), [LLAMA3_BOS, 9906, 1917]);
  t.deepEqual(tok.encode("hello world"), [15339, 1917]);
  t.deepEqual(tok.encode("<|begin_of_text|><|end_of_text|><|eot_id|>"), [128000, 128001, 128009]);
  // Digits in groups of at most three, the space its own token before them (Llama 3's pre-tokenizer).
  t.deepEqual(tok.encode(" is: 1234567."), [374, 25, 220, 4513, 10961, 22, 13]);
  t.is(tok.decode([9906, 1917]), "Hello world");
});

const LENGTHS = [4096, 8192, 16384];

needsShared([NEED.essays])("lengths land within RULER's increments below max_seq_length (Llama 3.1 tokenizer, 4K/8K/16K)", (t) => {
  const o = RulerOptions.parse({ essays, samples: 1, tasks: ["niah_single_1", "niah_single_2", "niah_multikey_2", "niah_multikey_3", "vt", "cwe", "fwe"] });
  const data = new RulerData(o, "/");
  const count = (s: string): number => tok.encode(s).length;
  const words = essayWords(readHaystackDir(essays));
  const repeat = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
  const needle = (key: string, value: string): number => count(`One of the special magic numbers for ${key} is: ${value}.\n`);
  const uuid = "c3a9f1e2-7b4d-4e8a-9f10-2d3c4b5a6e7f";
  // Tokens one increment adds (generously: the most tokens that many units take), plus the probe's answer text.
  const essayInc = count(words.slice(0, 500).join(" ")) * 1.5 + 64;
  const increment = (task: TaskName, length: number): number => {
    const lines = length < 4096 ? 5 : 25;
    switch (task) {
      case "niah_single_1":
        return lines * (count(`${repeat}\n`) + 1);
      case "niah_multikey_2":
        return lines * (needle("hollow-wonderful", "1234567") + 4);
      case "niah_multikey_3":
        return lines * (needle(uuid, uuid) + 8);
      case "vt":
        return 10 * (count(`${repeat}\n`) + 1) + 16;
      case "cwe":
        // 10 more words, each listed three times as "1234. word" (up to 8 tokens), plus the 10 numbered answers.
        return 3 * 10 * 8 + 10 * 8;
      case "fwe":
        // RULER fits fwe's word count on one vocabulary of random 6-letter words and each sample draws its own, whose
        // words take other numbers of tokens: a sample lands where its vocabulary puts it (seen: 83–100% of max).
        return length / 5;
      default:
        return essayInc;
    }
  };
  const tasks = o.tasks;
  const rows: string[] = [];
  for (const length of LENGTHS) {
    const got: string[] = [];
    for (const task of tasks) {
      for (const s of taskSamples(o, data, tok, task, length, 1)) {
        const limit = task === "fwe" ? length + 50 : length;
        t.true(s.length <= limit, `${task} @${length}: ${s.length} > ${limit}`);
        t.true(length - s.length <= increment(task, length), `${task} @${length}: ${s.length} is more than one increment (${increment(task, length)}) below`);
        got.push(`${task} ${s.length}`);
      }
    }
    rows.push(`${length}: ${got.join(", ")}`);
  }
  for (const r of rows) t.log(r);
});
