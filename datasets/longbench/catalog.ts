// The 21 LongBench v1 datasets: metric (as in the official eval.py), the paper's category, language, and which have a
// LongBench-E (`_e`) file. Also the built-in fallback prompts (our own wording) used only when the official
// dataset2prompt.json is missing.
import type { MetricName } from "./metrics.ts";

export type Category = "single-doc QA" | "multi-doc QA" | "summarization" | "few-shot" | "synthetic" | "code";

export interface DatasetInfo {
  name: string;
  metric: MetricName;
  category: Category;
  language: "en" | "zh" | "code";
  /** Has a LongBench-E file (`<name>_e.jsonl`). */
  hasE: boolean;
}

const D = (name: string, metric: MetricName, category: Category, language: DatasetInfo["language"], hasE: boolean): DatasetInfo => ({
  name,
  metric,
  category,
  language,
  hasE,
});

export const DATASETS: readonly DatasetInfo[] = [
  D("narrativeqa", "qa_f1_score", "single-doc QA", "en", false),
  D("qasper", "qa_f1_score", "single-doc QA", "en", true),
  D("multifieldqa_en", "qa_f1_score", "single-doc QA", "en", true),
  D("multifieldqa_zh", "qa_f1_zh_score", "single-doc QA", "zh", false),
  D("hotpotqa", "qa_f1_score", "multi-doc QA", "en", true),
  D("2wikimqa", "qa_f1_score", "multi-doc QA", "en", true),
  D("musique", "qa_f1_score", "multi-doc QA", "en", false),
  D("dureader", "rouge_zh_score", "multi-doc QA", "zh", false),
  D("gov_report", "rouge_score", "summarization", "en", true),
  D("qmsum", "rouge_score", "summarization", "en", false),
  D("multi_news", "rouge_score", "summarization", "en", true),
  D("vcsum", "rouge_zh_score", "summarization", "zh", false),
  D("trec", "classification_score", "few-shot", "en", true),
  D("triviaqa", "qa_f1_score", "few-shot", "en", true),
  D("samsum", "rouge_score", "few-shot", "en", true),
  D("lsht", "classification_score", "few-shot", "zh", false),
  D("passage_count", "count_score", "synthetic", "en", true),
  D("passage_retrieval_en", "retrieval_score", "synthetic", "en", true),
  D("passage_retrieval_zh", "retrieval_zh_score", "synthetic", "zh", false),
  D("lcc", "code_sim_score", "code", "code", true),
  D("repobench-p", "code_sim_score", "code", "code", true),
];

export const DATASET_BY_NAME: ReadonlyMap<string, DatasetInfo> = new Map(DATASETS.map((d) => [d.name, d]));

export const CATEGORIES: readonly Category[] = ["single-doc QA", "multi-doc QA", "summarization", "few-shot", "synthetic", "code"];

/** The 14 English datasets of the GemFilter paper's Table 1 (LongBench without the code and Chinese tasks). */
export const TABLE1_DATASETS: readonly string[] = [
  "narrativeqa", "qasper", "multifieldqa_en", "hotpotqa", "2wikimqa", "musique", "gov_report", "qmsum", "multi_news",
  "trec", "triviaqa", "samsum", "passage_count", "passage_retrieval_en",
];

/** The 13 LongBench-E datasets (those with `_e` files). */
export const E_DATASETS: readonly string[] = DATASETS.filter((d) => d.hasE).map((d) => d.name);

/** Datasets on which the official pred.py does not apply the chat template. */
export const NO_CHAT_DATASETS: ReadonlySet<string> = new Set(["trec", "triviaqa", "samsum", "lsht", "lcc", "repobench-p"]);

export function infoFor(name: string): DatasetInfo {
  const d = DATASET_BY_NAME.get(name);
  if (!d) throw new Error(`unknown LongBench dataset "${name}"; known: ${DATASETS.map((x) => x.name).join(", ")}`);
  return d;
}

/**
 * Fallback prompts, our own wording (NOT the official templates): used only when dataset2prompt.json is absent; every
 * case built with them is marked protocol.promptSource = "builtin (non-official)". Output lengths fall back to
 * BUILTIN_MAXLEN likewise.
 */
export const BUILTIN_PROMPTS: Readonly<Record<string, string>> = {
  narrativeqa: "Read the story below and answer the question with a short phrase only.\n\nStory:\n{context}\n\nQuestion: {input}\n\nShort answer:",
  qasper: "Read the scientific article below and answer the question as briefly as you can. Reply \"unanswerable\" if it cannot be answered, or \"yes\"/\"no\" for yes/no questions.\n\nArticle:\n{context}\n\nQuestion: {input}\n\nAnswer:",
  multifieldqa_en: "Read the text below and answer the question in as few words as possible.\n\n{context}\n\nQuestion: {input}\nAnswer:",
  multifieldqa_zh: "阅读下面的材料，用尽量少的中文词语回答问题。\n\n{context}\n\n问题：{input}\n答案：",
  hotpotqa: "Use the passages below to answer the question. Give only the answer.\n\n{context}\n\nQuestion: {input}\nAnswer:",
  "2wikimqa": "Use the passages below to answer the question. Give only the answer.\n\n{context}\n\nQuestion: {input}\nAnswer:",
  musique: "Use the passages below to answer the question. Give only the answer.\n\n{context}\n\nQuestion: {input}\nAnswer:",
  dureader: "根据下面的文章回答问题。\n\n{context}\n\n问题：{input}\n答案：",
  gov_report: "Summarize the government report below in about one page.\n\nReport:\n{context}\n\nSummary:",
  qmsum: "Read the meeting transcript below and respond to the query in a few sentences.\n\nTranscript:\n{context}\n\nQuery: {input}\nResponse:",
  multi_news: "Summarize the news articles below in about one page.\n\n{context}\n\nSummary:",
  vcsum: "请阅读下面的会议记录并写出总结。\n\n{context}\n\n总结：",
  trec: "Classify the question by the type of its answer. Examples:\n\n{context}\n{input}",
  triviaqa: "Answer the question using the passage. Give only the answer. Examples follow.\n\n{context}\n\n{input}",
  samsum: "Summarize each dialogue in a few short sentences. Examples follow.\n\n{context}\n\n{input}",
  lsht: "判断新闻所属的类别。示例如下。\n\n{context}\n{input}",
  passage_count: "Below are paragraphs, some of which repeat. Count the distinct paragraphs and reply with the number only.\n\n{context}\n\nNumber of distinct paragraphs: ",
  passage_retrieval_en: "Below are 30 paragraphs and a summary. Which paragraph does the summary describe? Reply in the form \"Paragraph N\".\n\n{context}\n\nSummary: {input}\n\nAnswer: ",
  passage_retrieval_zh: "下面有若干段落和一个摘要。摘要出自哪一段？请按\"段落N\"的格式回答。\n\n{context}\n\n摘要：{input}\n\n答案：",
  lcc: "Continue the code below.\n{context}Next line of code:\n",
  "repobench-p": "Continue the code below.\n{context}{input}Next line of code:\n",
};

export const BUILTIN_MAXLEN: Readonly<Record<string, number>> = {
  narrativeqa: 128, qasper: 128, multifieldqa_en: 64, multifieldqa_zh: 64, hotpotqa: 32, "2wikimqa": 32, musique: 32,
  dureader: 128, gov_report: 512, qmsum: 512, multi_news: 512, vcsum: 512, trec: 64, triviaqa: 32, samsum: 128,
  lsht: 64, passage_count: 32, passage_retrieval_en: 32, passage_retrieval_zh: 32, lcc: 64, "repobench-p": 64,
};

export type LengthBucket = "0-4k" | "4-8k" | "8k+";
export const LENGTH_BUCKETS: readonly LengthBucket[] = ["0-4k", "4-8k", "8k+"];

/** LongBench-E bucket by the `length` field, as eval.py's scorer_e. */
export function lengthBucket(length: number): LengthBucket {
  if (length < 4000) return "0-4k";
  if (length < 8000) return "4-8k";
  return "8k+";
}
