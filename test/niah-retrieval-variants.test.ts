// The passkey and multikey NIAH variants: exact prompt length, Mohtashami & Jaggi's passkey wording, the asked needle
// and its distractors in the prompt, the prompt ending with the value's cue, and exact-match scoring of the value.
import test from "ava";
import { ByteTokenizer } from "../harness/tokenizer.ts";
import type { SuiteContext } from "../core/suite.ts";
import { niahSuite } from "../datasets/niah/index.ts";
import { exactMatch } from "../datasets/niah/metrics.ts";

const ctx: SuiteContext = {
  tokenizer: new ByteTokenizer(),
  model: { id: "synthetic:test", name: "test", maxPositions: 1_000_000, eosIds: [2] },
  baseDir: ".",
  log: () => {},
};
const text = (ids: number[]) => new ByteTokenizer().decode(ids, { skipSpecialTokens: true });

test("passkey: exact length, the paper's wording, one needle at its span, ends with the cue", async (t) => {
  const o = niahSuite.options.parse({ variant: "passkey", lengths: [600, 1200], depths: [0, 50, 100] });
  const cases = await niahSuite.buildCases(o, ctx);
  t.is(cases.length, 6);
  for (const c of cases) {
    t.is(c.inputIds.length, Number(c.caseMeta.contextLength));
    t.is(c.inputIds[0], ByteTokenizer.BOS);
    t.is(c.dataset, "niah-passkey");
    const v = c.references[0]!;
    t.regex(v, /^[1-9]\d{4}$/);
    const s = text(c.inputIds);
    t.true(s.startsWith("There is an important info hidden inside a lot of irrelevant text."));
    t.true(s.endsWith("\nWhat is the pass key? The pass key is"));
    const needle = text(c.inputIds.slice(Number(c.caseMeta.needleStart), Number(c.caseMeta.needleEnd)));
    t.is(needle, ` The pass key is ${v}. Remember it. ${v} is the pass key.`);
    t.is(s.split(v).length - 1, 2, "the value appears only in its needle");
    t.is(c.maxNewTokens, 8);
  }
  t.not(cases[0]!.references[0], cases[1]!.references[0], "values differ between cases");
});

test("multikey: four distinct keys and values, the asked one's cue ends the prompt", async (t) => {
  const o = niahSuite.options.parse({ variant: "multikey", lengths: [1000], depths: [0, 60] });
  for (const c of await niahSuite.buildCases(o, ctx)) {
    t.is(c.inputIds.length, 1000);
    const key = String(c.caseMeta.key);
    const v = c.references[0]!;
    t.regex(key, /^[A-Z]{3}$/);
    const s = text(c.inputIds);
    t.true(s.endsWith(`\nWhat is the value of key ${key}? The value of key ${key} is`));
    const needles = [...s.matchAll(/The value of key ([A-Z]{3}) is (\d{5})\./g)].map((m) => [m[1], m[2]]);
    t.is(needles.length, 4);
    t.is(new Set(needles.map((n) => n[0])).size, 4);
    t.is(new Set(needles.map((n) => n[1])).size, 4);
    t.deepEqual(needles.filter((n) => n[0] === key), [[key, v]]);
    t.deepEqual(c.marks.map((m) => m.label), ["needle", "distractor-1", "distractor-2", "distractor-3"]);
  }
});

test("exactMatch: the output's first run of letters and digits must equal the value", (t) => {
  t.is(exactMatch(" 71432. Remember", "71432"), 1);
  t.is(exactMatch(" 71432.At first", "71432"), 1);
  t.is(exactMatch(" .71432", "71432"), 0);
  t.is(exactMatch("71432", "71432"), 1);
  t.is(exactMatch(" 71432, ", "71432"), 1);
  t.is(exactMatch(" 714320", "71432"), 0);
  t.is(exactMatch(" 7143", "71432"), 0);
  t.is(exactMatch(" the 71432", "71432"), 0);
  t.is(exactMatch("", "71432"), 0);
});

test("scores: exactMatch is the headline, then substring", (t) => {
  const c = { references: ["71432"], scoring: { variant: "passkey" } } as never;
  t.deepEqual(niahSuite.score(c, " 71432. R"), { exactMatch: 1, substring: 1 });
  t.deepEqual(niahSuite.score(c, " 1432. R"), { exactMatch: 0, substring: 0 });
});

test("a custom passkey needle must contain {value}", (t) => {
  t.false(niahSuite.options.safeParse({ variant: "passkey", needle: "no value here" }).success);
  t.false(niahSuite.options.safeParse({ variant: "multikey", needle: "only {value}" }).success);
  t.true(niahSuite.options.safeParse({ variant: "passkey", needle: "The code is {value}." }).success);
});
