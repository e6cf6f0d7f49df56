// The engine interface the harness runs cases through: "load a model, generate(request) → outcome".
// The native gem-runner is one implementation (engines/native-engine.ts); an OpenAI-compatible server adapter can
// implement the same interface later (returning `unsupported` for what it cannot do, e.g. selection methods).
import { z } from "zod";
import { Memory, Selection, Timings, type Scalar } from "./records.ts";

/** What the runner's `generate` takes as `method`: a method name and its resolved parameters. */
export interface RunnerMethod {
  name: string;
  params: Record<string, Scalar>;
}

export interface EngineInfo {
  /** "native" for gem-runner, "transformers" for the speed peer (engines/transformers/); other kinds later. */
  kind: string;
  build: string;
  backend: string;
  device: string;
  computeCapability: string | null;
  /** How the engine's phase timings were obtained: gem-runner's hello `timer` ("cuda-events" | "steady-clock"). */
  timer: string;
  methods: string[];
  presets: string[];
  /** The `turnMode`s the engine implements (hello capabilities.turnModes); absent or empty: it takes no `turns`. */
  turnModes?: string[];
}

export interface ModelSpec {
  /** HF folder (absolute) or "synthetic:<preset>". */
  model: string;
  overrides: Record<string, unknown>;
  seed: number;
  dtype: string;
  maxContext: number | null;
}

export const LoadedModel = z.object({
  family: z.string(),
  modelType: z.string().optional(),
  layers: z.number(),
  hiddenSize: z.number().optional(),
  heads: z.number().optional(),
  kvHeads: z.number().optional(),
  headDim: z.number().optional(),
  intermediateSize: z.number().optional(),
  /** The compute dtype: what the activations and the KV cache are held in (f32, bf16); absent from engines that do not say. */
  dtype: z.string().optional(),
  /** What the weights are held in when it differs from `dtype` or is worth saying: the cpu runner keeps a BF16/F16
   *  checkpoint's matrices in their 16-bit dtype and computes in f32 ("bf16", "f16", "f32", "mixed"). */
  weightDtype: z.string().optional(),
  vocabSize: z.number(),
  maxPositions: z.number(),
  eosIds: z.array(z.number()),
  bosId: z.number().nullable(),
  parameterCount: z.number().optional(),
  residentBytes: z.record(z.string(), z.number()).optional(),
  loadMs: z.number().optional(),
});
export type LoadedModel = z.infer<typeof LoadedModel>;

export interface GenerateRequest {
  inputIds: number[];
  method: RunnerMethod;
  maxNewTokens: number;
  /** The first minNewTokens tokens are never an EOS or stop id (transformers' min_length). */
  minNewTokens: number;
  stopIds: number[];
  /** When present, replaces the model's EOS ids for stopping and for minNewTokens' banning. */
  eosIds?: number[];
  /** An EOS or stop id ends generation only at output index ≥ stopCheckFrom (runner default 0). */
  stopCheckFrom?: number;
  ignoreEos: boolean;
  returnSelection: boolean;
  /** Past the model's max_position_embeddings on purpose (otherwise the runner refuses it as bad_input). */
  allowLongInput: boolean;
  /** Context-only compression (PROTOCOL.md): inputIds is the context, compressed alone; each turn is prefilled densely
   *  on the kept cache and answered. */
  turns?: GenerateTurn[];
  /** "multi-request" (default): every turn from the same compressed context; "multi-turn": the turns accumulate. */
  turnMode?: TurnMode;
}

export const TURN_MODES = ["multi-request", "multi-turn"] as const;
export type TurnMode = (typeof TURN_MODES)[number];

export interface GenerateTurn {
  inputIds: number[];
  maxNewTokens?: number;
  minNewTokens?: number;
  stopIds?: number[];
}

/** One turn's answer (PROTOCOL.md, `turns`). */
export const TurnResult = z.object({
  outputIds: z.array(z.number()),
  stopReason: z.string(),
  inputLength: z.number(),
  /** KV rows held before this turn's ids. */
  cacheLength: z.number(),
  /** Rows of the compressed prompt this turn decodes over (the context's keptLength, or a multi-round turn's k'). */
  keptLength: z.number().nullable().optional(),
  timings: Timings.omit({ samples: true, warmups: true, rates: true }),
  /** kv: bytes held at the end of the turn; filterKv: GemFilter's kept layers 0..r cache (0 otherwise); total: the turn's peak. */
  memory: z.object({ kv: z.number(), filterKv: z.number(), total: z.number() }).nullable(),
  selection: Selection.optional(),
});
export type TurnResult = z.infer<typeof TurnResult>;

/** The runner's generate result; timings here are one run's (no samples). */
export const GenerateResult = z.object({
  outputIds: z.array(z.number()),
  inputLength: z.number(),
  keptLength: z.number().nullable(),
  stopReason: z.string(),
  timings: Timings.omit({ samples: true, warmups: true, rates: true }),
  /** Null when the engine cannot count its memory (the transformers peer on the CPU). */
  memory: Memory.nullable(),
  selection: Selection.optional(),
  /** The method's parameters as the engine ran them: defaults, a paramSet expanded, a ratio's k resolved for this input. */
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
  /** With request `turns`: one answer per turn (the top-level output is the first turn's). */
  turns: z.array(TurnResult).optional(),
});
export type GenerateResult = z.infer<typeof GenerateResult>;

/**
 * Why a request failed:
 * - `error`: the engine answered with a structured error and is still usable (bad_param, bad_input, unsupported, …);
 * - `crashed`: the engine process died (crash, abort, exit, killed e.g. by the OOM killer); it must be restarted;
 * - `timeout`: no answer within the deadline; the engine was killed and must be restarted.
 */
export type EngineFailure =
  | { kind: "error"; code: string; message: string; hint: string }
  | { kind: "crashed"; message: string; hint: string }
  | { kind: "timeout"; message: string; hint: string };

export type Outcome<T> = { ok: true; value: T } | { ok: false; failure: EngineFailure };

export interface Engine {
  readonly info: EngineInfo;
  load(spec: ModelSpec, opts: { timeoutMs: number }): Promise<Outcome<LoadedModel>>;
  /** The model's facts from its config alone, no weights (PROTOCOL.md describe); sizes the load timeout. */
  describe?(spec: ModelSpec, opts: { timeoutMs: number }): Promise<Outcome<LoadedModel>>;
  generate(req: GenerateRequest, opts: { timeoutMs: number }): Promise<Outcome<GenerateResult>>;
  /** Write the loaded model as a Hugging Face folder (engines that hold the weights on the host; PROTOCOL.md export). */
  exportHf?(dir: string, opts: { timeoutMs: number; overwrite: boolean; dtype: "f32" | "bf16" }): Promise<Outcome<unknown>>;
  /** Test-only fault injection (native runner started with --allow-faults); a failure outcome is expected. */
  fault?(kind: "crash" | "hang" | "exit", opts: { timeoutMs: number }): Promise<Outcome<unknown>>;
  /** True once the engine died or timed out: the pool replaces it. */
  readonly dead: boolean;
  /** Stop the engine (graceful when possible, then killed). */
  close(): Promise<void>;
}

/** Starts an engine on one device ("cpu", or a GPU index such as "0"). */
export type EngineFactory = (device: string) => Promise<Engine>;
