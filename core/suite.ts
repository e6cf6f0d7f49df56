// What a suite is: a folder under datasets/ that builds cases (token ids + references + metadata) and scores outputs.
// The harness knows suites only through this interface; adding a suite = one folder + one registry line.
import type { z } from "zod";
import type { Scalar } from "./records.ts";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A tokenizer as suites see it (HF tokenizer.json, or the built-in byte-level one for synthetic models). */
export interface TextTokenizer {
  /** Encode text; `addSpecialTokens` (default false) adds what the tokenizer's post-processor adds (e.g. BOS). */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** The model's chat template applied to messages with the generation prompt added; null when the model has none. */
  applyChatTemplate(messages: ChatMessage[]): string | null;
  /** Token id of BOS, or null. */
  readonly bosId: number | null;
  /** The tokenizer's own single `eos_token` id (tokenizer_config.json), or null; the model may have more EOS ids. */
  readonly eosId: number | null;
  readonly vocabSize: number;
}

/** What a suite knows of the model it builds cases for. */
export interface SuiteModelInfo {
  id: string;
  name: string;
  maxPositions: number;
  eosIds: number[];
}

/** One question asked about a case's context (engines/README.md "Prompt protocols"): the ids that follow the context
 *  (the question, then the answer prefix, as the suite's template puts them), what the answer is scored against. */
export interface CaseQuestion {
  /** Unique within the case (e.g. the needle's key). */
  id: string;
  question: string;
  answerPrefix: string;
  /** Token ids of question + answer prefix, as they follow the context ids. */
  inputIds: number[];
  references: string[];
}

/** The case's prompt as context + question(s): for the gembench NIAH profile contextIds ++ questions[0].inputIds is
 *  exactly inputIds; suites that tokenize the whole prompt at once (RULER, LongBench) encode the parts apart (the
 *  kvpress way), so the split ids may differ from inputIds at the boundary. Absent: the suite has no split. */
export interface CaseParts {
  contextIds: number[];
  /** How the split was made (one line, recorded in the record's protocol). */
  rule: string;
  /** The questions asked one by one in the multi-question modes (≥ 1); unless `own` is given, questions[0] is the
   *  case's own question (its references are the case's). */
  questions: CaseQuestion[];
  /** The case's own question when it is none of `questions` (RULER niah_multiquery asks all keys at once; its
   *  questions ask one key each): what questions "single" asks. */
  own?: CaseQuestion;
}

export interface SuiteCase {
  caseId: string;
  dataset: string;
  inputIds: number[];
  references: string[];
  maxNewTokens: number;
  /** Extra stop token ids (added to the model's EOS ids). */
  stopIds: number[];
  /** When present, these ids replace the model's EOS ids (for stopping and for minNewTokens' banning). */
  eosIds?: number[];
  /** An EOS or stop id ends generation only at output index ≥ stopCheckFrom (default 0; 1 = never on the first token). */
  stopCheckFrom?: number;
  /** The first minNewTokens generated tokens may not be an EOS or stop id (default 0). */
  minNewTokens?: number;
  /** Stop strings: the output text is cut at the first occurrence before scoring. */
  stopStrings: string[];
  caseMeta: Record<string, Scalar>;
  protocol: Record<string, Scalar>;
  /** Token spans of interest in inputIds (e.g. the needle), end exclusive; for the kept-token viewer. */
  marks: { label: string; start: number; end: number }[];
  /** Anything the scorer needs beyond the references (e.g. LongBench all_classes). */
  scoring: Record<string, unknown>;
  /** The prompt as context + question(s), for context-only compression and several questions per context. */
  parts?: CaseParts;
  /** Run this case even though prompt + output exceed the model's trained positions (the suite's user asked for it). */
  allowLongInput?: boolean;
  /**
   * A second generation whose prompt is built from the first's output text (decoded, cut at the stop strings), e.g.
   * LongBench v2's chain of thought; null: none (the first output stands). The record's output, timings and score are
   * the second's; its `steps` keep the first.
   */
  followUp?: (firstOutput: string) => { inputIds: number[]; maxNewTokens: number } | null;
}

/** A case known before it is built: its id and the sizes a shard's share is balanced by. */
export interface PlannedCase {
  caseId: string;
  /** Prompt tokens, exact or estimated (only shard balancing reads it). */
  promptTokens: number;
  maxNewTokens: number;
}

/** A suite entry's cases known by id, each built (prompt text, token ids) only when it is about to run. */
export interface CasePlan {
  cases: PlannedCase[];
  /** Case i of `cases`, equal to what buildCases returns at i (may throw: the run stops, naming the case). */
  build(index: number): SuiteCase;
}

export interface SuiteContext {
  tokenizer: TextTokenizer;
  model: SuiteModelInfo;
  /** The method the cases are built for (the harness sets it; read it only when casesVaryByMethod says so). */
  method?: string;
  /** Directory the config file lives in (relative data paths resolve from here). */
  baseDir: string;
  log: (msg: string) => void;
}

export interface Suite<Options> {
  readonly name: string;
  readonly description: string;
  readonly options: z.ZodType<Options>;
  /** The datasets/variants this suite offers (for `gembench list`). */
  datasets(): string[];
  buildCases(options: Options, ctx: SuiteContext): Promise<SuiteCase[]>;
  /**
   * The same cases as a plan whose cases are built one at a time as they run, so that a run holds only the cases in
   * flight (RULER's full grid is billions of token ids). The harness uses it instead of buildCases when present.
   */
  planCases?(options: Options, ctx: SuiteContext): Promise<CasePlan>;
  /**
   * A rough cost of the cases buildCases would make (prompt tokens summed over cases: context length × cases),
   * without building them; only used to balance shards (harness/shards.ts). Absent: the mean of the other cells'.
   */
  estimateCost?(options: Options): number;
  /** At most how many cases buildCases makes (it may make fewer: lengths skipped, depths merged), without building
   *  them; absent when it depends on data not read yet. Used to refuse more shards than cases (harness/shards.ts). */
  maxCases?(options: Options): number;
  /** True when these options build different cases per method (e.g. a per-method input cap); cases are then built
   *  once per (model, method) instead of once per model. Default: false. */
  casesVaryByMethod?(options: Options): boolean;
  /** Scores in [0, 1] keyed by metric name; the first key is the suite's headline metric. */
  score(c: SuiteCase, outputText: string): Record<string, number>;
}

/** The suites a config may name, by name (datasets/index.ts is the registry). */
export type SuiteRegistry = Readonly<Record<string, Suite<unknown>>>;
