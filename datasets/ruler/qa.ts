// RULER's QA tasks (scripts/data/synthetic/qa.py): qa_1 = SQuAD v2 dev (answerable questions only), qa_2 = HotpotQA
// dev distractor. The question's gold document(s), then (SQuAD) the other paragraphs of its article, then random
// other documents fill the context; the documents are shuffled and numbered "Document {i}:\n…". Sample i is the
// i-th question in file order, as RULER takes them.
import { existsSync } from "node:fs";
import { MAX_BYTES, readJsonFile } from "../../core/files.ts";
import { DOCUMENT_PROMPT, FAMILIES, pyFormat } from "./templates.ts";
import { pyReprList, Rng, sample, shuffle } from "./random.ts";
import type { Generated, TaskGenerator } from "./task.ts";

export interface QaItem {
  query: string;
  outputs: string[];
  context: number[];
  moreContext: number[];
}

export interface QaData {
  qas: QaItem[];
  docs: string[];
}

export const QA_SOURCES = {
  squad: { what: "SQuAD v2.0 dev (dev-v2.0.json)", where: "https://rajpurkar.github.io/SQuAD-explorer/dataset/dev-v2.0.json" },
  hotpotqa: { what: "HotpotQA dev distractor (hotpot_dev_distractor_v1.json)", where: "http://curtis.ml.cmu.edu/datasets/hotpot/hotpot_dev_distractor_v1.json" },
} as const;

const sortedUnique = (xs: string[]): string[] => [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function bad(file: string, what: string): Error {
  return new Error(`ruler: ${file} is not ${what}`);
}

/** read_squad: documents = sorted set of paragraph contexts; answerable questions with their article's other paragraphs. */
export function parseSquad(data: unknown, file: string): QaData {
  const articles = (data as { data?: unknown }).data;
  if (!Array.isArray(articles)) throw bad(file, "a SQuAD file (no top-level \"data\" list)");
  type Para = { context: string; qas: { question: string; is_impossible?: boolean; answers: { text: string }[] }[] };
  const arts = articles as { paragraphs: Para[] }[];
  const docs = sortedUnique(arts.flatMap((a) => a.paragraphs.map((p) => p.context)));
  const index = new Map(docs.map((d, i) => [d, i]));
  const qas: QaItem[] = [];
  for (const a of arts) {
    const more = a.paragraphs.map((p) => index.get(p.context) as number);
    for (const p of a.paragraphs) {
      const own = index.get(p.context) as number;
      for (const q of p.qas) {
        if (q.is_impossible) continue;
        qas.push({ query: q.question, outputs: q.answers.map((x) => x.text), context: [own], moreContext: more.filter((i) => i !== own) });
      }
    }
  }
  return { qas, docs };
}

/** read_hotpotqa: documents = sorted set of "title\n" + joined sentences; every question with its 10 documents. */
export function parseHotpot(data: unknown, file: string): QaData {
  if (!Array.isArray(data)) throw bad(file, "a HotpotQA file (expected a top-level list)");
  const items = data as { question: string; answer: string; context: [string, string[]][] }[];
  const docOf = (t: string, p: string[]): string => `${t}\n${p.join("")}`;
  const docs = sortedUnique(items.flatMap((d) => d.context.map(([t, p]) => docOf(t, p))));
  const index = new Map(docs.map((d, i) => [d, i]));
  const qas = items.map((d) => ({ query: d.question, outputs: [d.answer], context: d.context.map(([t, p]) => index.get(docOf(t, p)) as number), moreContext: [] }));
  return { qas, docs };
}

/** Read a QA file; a missing file is an error naming it and where to get it. */
export function loadQa(dataset: "squad" | "hotpotqa", file: string): QaData {
  const src = QA_SOURCES[dataset];
  if (!existsSync(file)) throw new Error(`ruler: ${src.what} not found at ${file}; download it from ${src.where}`);
  const data = readJsonFile(file, { maxBytes: MAX_BYTES.data, what: `ruler ${dataset} file` });
  try {
    return dataset === "squad" ? parseSquad(data, file) : parseHotpot(data, file);
  } catch (e) {
    if (e instanceof TypeError) throw bad(file, src.what);
    throw e;
  }
}

export function qaGenerator(template: string, data: QaData, seed: number, index: () => number): TaskGenerator {
  const { qas, docs } = data;
  return {
    incremental: 10,
    capAfter: docs.length,
    generate(numDocs: number, rng: Rng): Generated {
      const q = qas[index()];
      if (q === undefined) throw new Error(`ruler: the QA file has ${qas.length} usable questions; ask for fewer samples`);
      let all: string[];
      if (numDocs < docs.length) {
        let ids: number[];
        if (numDocs - q.context.length > q.moreContext.length) {
          const taken = new Set([...q.context, ...q.moreContext]);
          const addition: number[] = [];
          for (let i = 0; i < docs.length; i++) if (!taken.has(i)) addition.push(i);
          ids = [...q.context, ...q.moreContext, ...sample(rng, addition, Math.max(0, numDocs - q.context.length - q.moreContext.length))];
        } else {
          ids = [...q.context, ...sample(rng, q.moreContext, Math.max(0, numDocs - q.context.length))];
        }
        all = ids.map((i) => docs[i] as string);
      } else all = [...docs];
      shuffle(new Rng(`ruler:qa-order:${seed}:${all.length}`), all);
      const context = all.map((d, i) => pyFormat(DOCUMENT_PROMPT, { i: i + 1, document: d })).join("\n\n");
      return { input: pyFormat(template, { context, query: q.query }), answers: q.outputs, probeSuffix: ` ${pyReprList(q.outputs)}`, answerPrefix: FAMILIES.qa.answerPrefix };
    },
  };
}
