// One sample of each of RULER's 13 tasks, checked against RULER's templates word for word (typed here from
// hsiehjackson/RULER scripts/data/synthetic/constants.py and niah.py, independently of datasets/ruler/templates.ts),
// including the singular rewrite when one value is asked.
import test from "ava";
import { ByteTokenizer } from "../harness/tokenizer.ts";
import { RulerData, RulerOptions, taskSamples, type RulerSample, type TaskName } from "../datasets/ruler/index.ts";
import { rulerFixtures } from "./helpers/ruler.ts";

const fx = rulerFixtures();
const o = RulerOptions.parse({ essays: fx.essays, squad: fx.squad, hotpotqa: fx.hotpotqa, vtExampleLength: 1500, samples: 1 });
const data = new RulerData(o, fx.dir);
const tok = new ByteTokenizer();
const one = (task: TaskName, length = 4095): RulerSample => taskSamples(o, data, tok, task, length, 1).next().value as RulerSample;

const REPEAT = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("niah_single_1: singular template, repeat haystack, one needle, answer prefix", (t) => {
  const s = one("niah_single_1");
  const key = /for ([a-z-]+) mentioned/.exec(s.input)?.[1] as string;
  const value = s.answers[0] as string;
  t.regex(value, /^[1-9]\d{6}$/);
  const lines = s.split.context.split("\n");
  const head = "A special magic number is hidden within the following text. Make sure to memorize it. I will quiz you about the number afterwards.";
  t.is(lines[0], head);
  const body = lines.slice(1, -1);
  t.deepEqual(body.filter((l) => l !== REPEAT), [`One of the special magic numbers for ${key} is: ${value}.`]);
  t.is(body.length % 5, 1, "repeat lines grow by 5 below 4096, plus the needle");
  t.is(s.split.question, `What is the special magic number for ${key} mentioned in the provided text?`);
  t.is(s.split.answerPrefix, ` The special magic number for ${key} mentioned in the provided text is`);
  t.is(s.input, `${head}\n${body.join("\n")}\n${s.split.question}${s.split.answerPrefix}`);
});

test("niah essay tasks: needles among the essay's sentences; uuid values; multikey_1 stays singular", (t) => {
  for (const task of ["niah_single_2", "niah_single_3", "niah_multikey_1"] as const) {
    const s = one(task);
    const type = task === "niah_single_3" ? "uuid" : "number";
    t.true(s.input.startsWith(`A special magic ${type} is hidden within the following text. Make sure to memorize it. I will quiz you about the ${type} afterwards.\n`), task);
    const key = /What is the special magic \w+ for ([a-z-]+) mentioned/.exec(s.input)?.[1] as string;
    t.true(s.input.endsWith(`\nWhat is the special magic ${type} for ${key} mentioned in the provided text? The special magic ${type} for ${key} mentioned in the provided text is`), task);
    // The needle keeps the plural type (niah.py formats it with args.type_needle_v).
    t.true(s.input.includes(`One of the special magic ${type}s for ${key} is: ${s.answers[0]}.`), task);
    const needles = s.input.match(/One of the special magic \w+ for [^ ]+ is: [^ ]+\./g) ?? [];
    t.is(needles.length, task === "niah_multikey_1" ? 4 : 1, task);
    if (type === "uuid") t.regex(s.answers[0] as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
});

test("niah_multikey_2/3: every haystack line is a needle; multikey_3 keys are uuids", (t) => {
  for (const task of ["niah_multikey_2", "niah_multikey_3"] as const) {
    const s = one(task);
    const lines = s.split.context.split("\n").slice(1, -1);
    const kv = task === "niah_multikey_3" ? "[0-9a-f-]{36}" : "[a-z-]+";
    const v = task === "niah_multikey_3" ? "uuids" : "numbers";
    for (const l of lines) t.regex(l, new RegExp(`^One of the special magic ${v} for ${kv} is: [0-9a-f-]+\\.$`), task);
    t.true(lines.length > 5, task);
  }
});

test("niah_multivalue and niah_multiquery: the plural template, four answers, queries joined with 'and'", (t) => {
  const mv = one("niah_multivalue");
  t.is(mv.answers.length, 4);
  t.true(mv.input.startsWith("Some special magic numbers are hidden within the following text. Make sure to memorize it. I will quiz you about the numbers afterwards.\n"));
  const key = /for ([a-z-]+) mentioned/.exec(mv.split.question)?.[1] as string;
  t.is(mv.split.question, `What are all the special magic numbers for ${key} mentioned in the provided text?`);
  t.is(mv.split.answerPrefix, ` The special magic numbers for ${key} mentioned in the provided text are`);
  for (const a of mv.answers) t.true(mv.input.includes(`One of the special magic numbers for ${key} is: ${a}.`));
  const mq = one("niah_multiquery");
  const q = /^What are all the special magic numbers for ([a-z-]+), ([a-z-]+), ([a-z-]+), and ([a-z-]+) mentioned in the provided text\?$/.exec(mq.split.question);
  t.truthy(q, mq.split.question);
  const keys = (q ?? []).slice(1);
  t.is(mq.split.answerPrefix, ` The special magic numbers for ${keys.join(", ").replace(/, ([^,]+)$/, ", and $1")} mentioned in the provided text are`);
  keys.forEach((k, i) => t.true(mq.input.includes(`One of the special magic numbers for ${k} is: ${mq.answers[i]}.`)));
});

test("vt: the one-shot example (RULER's is_icl rewrite) then the task, with RULER's typo in the answer prefix", (t) => {
  const s = one("vt");
  const [a, b, c, d, e] = s.answers as [string, string, string, string, string];
  const value = /assigned the value (\d{5}) in the text above\.$/.exec(s.split.question)?.[1] as string;
  t.truthy(value);
  t.regex(s.input, /^ Memorize and track the chain\(s\) of variable assignment hidden in the following text\. The grass is green\./);
  t.regex(s.input, / Question: Find all variables that are assigned the value \d{5} in the text Answer: According to the chain\(s\) of variable assignment in the text above, 5 variables are assgined the value \d{5}, they are: {2}[A-Z]{3} [A-Z]{3} [A-Z]{3} [A-Z]{3} [A-Z]{3}\n\n\n\nMemorize and track the chain\(s\) of variable assignment hidden in the following text\.\n\n/);
  t.true(s.input.includes(`VAR ${a} = ${value} `));
  for (const [x, y] of [[a, b], [b, c], [c, d], [d, e]] as const) t.true(s.input.includes(`VAR ${y} = VAR ${x}  `));
  t.true(s.input.endsWith(`\nQuestion: Find all variables that are assigned the value ${value} in the text above. Answer: According to the chain(s) of variable assignment in the text above, 5 variables are assgined the value ${value}, they are: `));
  t.is(s.split.answerPrefix, ` Answer: According to the chain(s) of variable assignment in the text above, 5 variables are assgined the value ${value}, they are: `);
});

test("cwe: example list and its answer, then the task list; below 4096 the common words appear 6 times, the others once", (t) => {
  const s = one("cwe");
  const head = "Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones that appear most often.\n";
  const q = "\nQuestion: What are the 10 most common words in the above list? Answer: The top 10 words that appear most often in the list are:";
  const parts = s.input.split(head);
  t.is(parts.length, 3);
  t.is(parts[0], "");
  const [exList, exAnswer] = (parts[1] as string).split(q) as [string, string];
  t.regex(exAnswer, /^1\. \S+ 2\. \S+ 3\. \S+ 4\. \S+ 5\. \S+ 6\. \S+ 7\. \S+ 8\. \S+ 9\. \S+ 10\. \S+\n$/);
  t.is(exList.split(/ ?\d+\. /).filter((w) => w !== "").length, 10 * 3 + 10 * 1);
  t.true((parts[2] as string).endsWith(q));
  const words = (parts[2] as string).slice(0, -q.length).split(/ ?\d+\. /).filter((w) => w !== "");
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  t.is(s.answers.length, 10);
  for (const a of s.answers) t.is(counts.get(a), 6);
  t.true([...counts].filter(([w]) => !s.answers.includes(w)).every(([, n]) => n === 1));
  t.regex(words.join(" "), new RegExp(`^${words.map(esc).join(" ")}$`));
});

test("fwe: coded words with Zipf counts, '...' as the top noise word, the answer the next three", (t) => {
  const s = one("fwe");
  const head = "Read the following coded text and track the frequency of each coded word. Find the three most frequently appeared coded words. ";
  const tail = "\nQuestion: Do not provide any explanation. Please ignore the dots '....'. What are the three most frequently appeared words in the above coded text? Answer: According to the coded text above, the three most frequently appeared words are:";
  t.true(s.input.startsWith(head));
  t.true(s.input.endsWith(tail));
  const words = s.input.slice(head.length, -tail.length).split(" ");
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  const z2 = Math.PI ** 2 / 6;
  const n = s.haystack;
  t.is(counts.get("..."), Math.trunc(n / z2));
  s.answers.forEach((a, i) => {
    t.regex(a, /^[a-z]{6}$/);
    t.is(counts.get(a), Math.trunc((n * (i + 2) ** -2) / z2));
  });
});

test("qa_1 and qa_2: documents numbered 'Document i:', the instruction twice, ' Answer:'", (t) => {
  for (const task of ["qa_1", "qa_2"] as const) {
    const s = one(task);
    const inst = "Answer the question based on the given documents. Only give me the answer and do not output any other words.";
    t.true(s.input.startsWith(`${inst}\n\nThe following are given documents.\n\nDocument 1:\n`), task);
    const m = new RegExp(`\\n\\n${esc(inst)}\\n\\nQuestion: (.+) Answer:$`).exec(s.input);
    t.truthy(m, task);
    t.is(s.split.question, `${inst}\n\nQuestion: ${m?.[1]}`);
    t.is(s.split.answerPrefix, " Answer:");
    const docs = s.input.match(/Document \d+:\n/g) ?? [];
    t.deepEqual(docs, docs.map((_, i) => `Document ${i + 1}:\n`), task);
    t.true(docs.length >= (task === "qa_2" ? 10 : 1), task);
  }
  t.deepEqual(one("qa_1").answers, ["1500", "in 1500"]);
  t.deepEqual(one("qa_2").answers, ["Tessel0"]);
});

test("the split rebuilds the prompt: context + question + answer prefix", (t) => {
  for (const task of ["niah_single_1", "vt", "cwe", "fwe", "qa_1"] as const) {
    const s = one(task);
    t.is(s.split.context + s.split.question + s.split.answerPrefix, s.input, task);
  }
});
