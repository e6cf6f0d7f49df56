// The one record schema. Every case on every cell produces exactly one Record line in results/<run>/records.jsonl,
// and every reporter (csv, md, jsonl, html, compare) reads only this.
import { z } from "zod";

export const RECORD_SCHEMA_VERSION = 1;

export const Status = z.enum(["completed", "errored", "unsupported", "skipped"]);
export type Status = z.infer<typeof Status>;

/** A scalar parameter value, as used for method params, sweep axes and case metadata. */
export const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof Scalar>;

export const MemoryBytes = z.object({
  weights: z.number().nonnegative(),
  kv: z.number().nonnegative(),
  activations: z.number().nonnegative(),
  workspace: z.number().nonnegative(),
  total: z.number().nonnegative(),
});
export type MemoryBytes = z.infer<typeof MemoryBytes>;

/** Achieved rates per phase: the phase's FLOPs (TFLOP/s = 10¹² FLOP/s) or minimum bytes moved (GB/s = 10⁹ B/s) from
 *  the model's shape (engines/phase-work.ts) ÷ its median time. A rate is absent when its phase has no time or no work. */
export const PhaseRates = z
  .object({
    filterTflops: z.number().nonnegative().optional(),
    prefillTflops: z.number().nonnegative().optional(),
    decodeTflops: z.number().nonnegative().optional(),
    prefillGBps: z.number().nonnegative().optional(),
    decodeGBps: z.number().nonnegative().optional(),
  })
  .strict();
export type PhaseRates = z.infer<typeof PhaseRates>;

export const Timings = z.object({
  /** Medians over the kept (non-warmup) repeats; a single run when repeats = 1. */
  filterMs: z.number().nonnegative(),
  prefillMs: z.number().nonnegative(),
  decodeMs: z.number().nonnegative(),
  decodeTokens: z.number().nonnegative(),
  ttftMs: z.number().nonnegative(),
  totalMs: z.number().nonnegative(),
  /** Raw per-repeat samples (warmups excluded), same keys. */
  samples: z
    .object({
      filterMs: z.array(z.number().nonnegative()),
      prefillMs: z.array(z.number().nonnegative()),
      decodeMs: z.array(z.number().nonnegative()),
      ttftMs: z.array(z.number().nonnegative()),
      totalMs: z.array(z.number().nonnegative()),
    })
    .optional(),
  warmups: z.number().nonnegative().optional(),
  rates: PhaseRates.optional(),
});
export type Timings = z.infer<typeof Timings>;

export const Memory = z.object({
  phases: z.object({ filter: MemoryBytes, prefill: MemoryBytes, decode: MemoryBytes }),
  peak: MemoryBytes,
  /** Bytes counted by the runner itself (its own allocator); device-wide cross-checks go in `extra`. */
  extra: z.record(z.string(), z.number()).optional(),
});
export type Memory = z.infer<typeof Memory>;

export const Selection = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("all") }),
  z.object({ kind: z.literal("indices"), indices: z.array(z.number()) }),
  z.object({ kind: z.literal("perHead"), perLayer: z.array(z.array(z.array(z.number()))) }),
  z.object({ kind: z.literal("perQueryHead"), perLayer: z.array(z.array(z.array(z.number()))) }),
]);
export type Selection = z.infer<typeof Selection>;

export const Environment = z.object({
  commit: z.string(),
  runnerBuild: z.string(),
  backend: z.string(),
  device: z.string(),
  /** The runner's phase-timing clock (hello `timer`): "cuda-events" | "steady-clock" (the transformers peer on the CPU: "perf-counter"); absent in older records. */
  timer: z.string().optional(),
  /** The CPU model and its SIMD features ("AMD EPYC; avx2 fma avx512f …"); absent in older records. */
  cpu: z.string().optional(),
  /** The host's 1/5/15-minute load averages when the case started and when it ended (a loaded machine's timings are suspect); absent in older records. */
  loadAverage: z.object({ start: z.array(z.number()), end: z.array(z.number()) }).optional(),
  gpu: z.string().nullable(),
  driver: z.string().nullable(),
  cuda: z.string().nullable(),
  host: z.string(),
  node: z.string(),
});
export type Environment = z.infer<typeof Environment>;

export const RecordError = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string(),
});

/** What the method saw and which question of its context a record answers (engines/README.md "Prompt protocols"). */
export const COMPRESSIONS = ["with-question", "context-only"] as const;
export type Compression = (typeof COMPRESSIONS)[number];
export const QUESTION_MODES = ["single", "multi-request", "multi-turn"] as const;
export type QuestionMode = (typeof QUESTION_MODES)[number];

export const RecordTurn = z.object({
  /** "with-question": the method compressed context + question; "context-only": the context alone, the question after. */
  compression: z.enum(COMPRESSIONS),
  questions: z.enum(QUESTION_MODES),
  /** The case the context came from (the records of one context share it). */
  contextId: z.string(),
  /** 1-based index of the question in its context; of `rounds`. */
  round: z.number().int().positive(),
  rounds: z.number().int().positive(),
  questionId: z.string(),
  /** This question's ids (question + answer prefix) and the KV rows held before them (context-only). */
  questionLength: z.number(),
  cacheLength: z.number().nullable(),
  /** The context's compression, once per context (context-only: the same in every round's record); null with-question. */
  context: z.object({ inputLength: z.number(), keptLength: z.number().nullable(), filterMs: z.number(), prefillMs: z.number(), totalMs: z.number() }).nullable(),
  /** Bytes at the end of this round: the KV cache, GemFilter's kept layers 0..r (0 otherwise), the round's peak. */
  memory: z.object({ kv: z.number(), filterKv: z.number(), total: z.number() }).nullable(),
});
export type RecordTurn = z.infer<typeof RecordTurn>;

export const GemRecord = z.object({
  schema: z.literal(RECORD_SCHEMA_VERSION),
  runId: z.string(),
  /** Stable key of the cell (model + method + params + suite options), identical across runs and shards. */
  cellKey: z.string(),
  /** cellKey + "/" + caseId: unique per record in a run; the resume key. */
  recordKey: z.string(),
  /** The engine that produced the record: absent = our native runner; "transformers" = the PyTorch + transformers
   *  engine (engines/transformers/; a cell's `engine`), keyed apart from the native cells. */
  engine: z.string().optional(),
  suite: z.string(), // "niah" | "longbench" | "bench" | …
  dataset: z.string(), // e.g. "niah-single", "multi_news", "bench-llama-3.1-8b"
  caseId: z.string(),
  model: z.object({
    id: z.string(), // HF folder path or "synthetic:<preset>"
    name: z.string(), // short display name
    hash: z.string(), // content hash of config + weights (synthetic: preset + overrides + seed)
    family: z.string(),
    layers: z.number(),
    /** The compute dtype of the loaded model (activations, KV cache): "f32" | "bf16"; absent in older records. */
    dtype: z.string().optional(),
    /** What its weights were held in: "f32", "bf16", "f16" (the cpu runner keeps a 16-bit checkpoint's matrices as
     *  stored and computes in f32), "mixed"; absent in older records. */
    weightDtype: z.string().optional(),
  }),
  method: z.object({
    name: z.string(),
    params: z.record(z.string(), Scalar),
    label: z.string(), // display label, e.g. "gemfilter r=13 k=1024"
  }),
  /** The sweep-axis values of this cell (e.g. {filterLayer: 13, k: 1024, contextLength: 4000}). */
  sweep: z.record(z.string(), Scalar),
  /** Suite-specific facts about the case (contextLength, depthPercent, category, language, lengthBucket, …). */
  caseMeta: z.record(z.string(), Scalar),
  /** How the prompt was built: chat template on/off, truncation, prompt source (official | builtin), … */
  protocol: z.record(z.string(), Scalar),
  inputLength: z.number(),
  keptLength: z.number().nullable(),
  /** Context-only compression or several questions per context (the cell's `compression` / `questions`): which
   *  question this record answers and what the method saw; absent = with-question, one question (every older record). */
  turn: RecordTurn.optional(),
  /** The method's parameters as the engine ran this case (a ratio's resolved k, a paramSet's values); absent: as `method.params`. */
  resolvedParams: z.record(z.string(), Scalar).optional(),
  output: z
    .object({
      ids: z.array(z.number()),
      text: z.string(),
      stopReason: z.string(),
    })
    .nullable(),
  references: z.array(z.string()),
  /** The generations before the scored one, when the case has several (LongBench v2's chain of thought: the
   *  reasoning whose text the answer prompt carries); absent for one. */
  steps: z
    .array(z.object({ inputLength: z.number(), output: z.object({ ids: z.array(z.number()), text: z.string(), stopReason: z.string() }), timings: Timings }))
    .optional(),
  /** Per-case scores, each in [0, 1] (reports multiply by 100 where the suite's convention is percent). */
  scores: z.record(z.string(), z.number().min(0).max(1)),
  timings: Timings.nullable(),
  memory: Memory.nullable(),
  selection: Selection.nullable(),
  /** For the kept-token viewer: token strings of the input, kept indices, marked spans (e.g. the needle). */
  viewer: z
    .object({
      tokens: z.array(z.string()),
      kept: z.array(z.number()),
      marks: z.array(z.object({ label: z.string(), start: z.number(), end: z.number() })),
    })
    .nullable(),
  status: Status,
  error: RecordError.nullable(),
  environment: Environment,
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type GemRecord = z.infer<typeof GemRecord>;

/** Parse one JSONL line into a record; throws a ZodError naming the bad path. */
export function parseRecord(line: string): GemRecord {
  return GemRecord.parse(JSON.parse(line));
}
