// Typed builders for realistic GemRecord fixtures (niah, longbench, bench). Every builder returns a record that has
// been parsed by the GemRecord schema, so a fixture that drifts from the schema fails loudly.
import { GemRecord, type Environment, type Memory, type PhaseRates, type Scalar, type Timings } from "../../core/records.ts";

const GiB = 1024 ** 3;

export interface MethodSpec {
  name: string;
  params: Record<string, Scalar>;
}

export const dense: MethodSpec = { name: "dense", params: {} };
export function gemfilter(filterLayer: number, k: number): MethodSpec {
  return { name: "gemfilter", params: { filterLayer, k } };
}
export function snapkv(k: number): MethodSpec {
  return { name: "snapkv", params: { k, window: 32 } };
}

export function labelOf(m: MethodSpec): string {
  const ps = Object.entries(m.params).map(([k, v]) => `${k}=${String(v)}`);
  return [m.name, ...ps].join(" ");
}

export interface BaseOpts {
  runId?: string;
  suite: string;
  dataset: string;
  caseId: string;
  method: MethodSpec;
  modelName?: string;
  sweep?: Record<string, Scalar>;
  caseMeta?: Record<string, Scalar>;
  protocol?: Record<string, Scalar>;
  scores?: Record<string, number>;
  inputLength?: number;
  keptLength?: number | null;
  outputText?: string;
  references?: string[];
  timings?: Timings | null;
  memory?: Memory | null;
  viewer?: GemRecord["viewer"];
  status?: GemRecord["status"];
  error?: GemRecord["error"];
  environment?: Partial<Environment>;
  /** A peer engine's record ("transformers"); absent: ours. */
  engine?: string;
}

/** Deterministic timings: `prefillMs` samples as given (medians computed like the runner does). */
export function timingsOf(o: { prefillMs: number[]; filterMs?: number[]; decodeMs?: number[]; decodeTokens?: number; rates?: PhaseRates }): Timings {
  const med = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const m = (s.length - 1) / 2;
    return (s[Math.floor(m)]! + s[Math.ceil(m)]!) / 2;
  };
  const n = o.prefillMs.length;
  const filterMs = o.filterMs ?? o.prefillMs.map(() => 0);
  const decodeMs = o.decodeMs ?? o.prefillMs.map(() => 100);
  const ttftMs = o.prefillMs.map((p, i) => p + filterMs[i]! + 5);
  const totalMs = ttftMs.map((t, i) => t + decodeMs[i]!);
  if (filterMs.length !== n || decodeMs.length !== n) throw new Error("timingsOf: sample counts differ");
  return {
    filterMs: med(filterMs),
    prefillMs: med(o.prefillMs),
    decodeMs: med(decodeMs),
    decodeTokens: o.decodeTokens ?? 50,
    ttftMs: med(ttftMs),
    totalMs: med(totalMs),
    samples: { filterMs, prefillMs: o.prefillMs, decodeMs, ttftMs, totalMs },
    warmups: 1,
    ...(o.rates ? { rates: o.rates } : {}),
  };
}

/** Memory with the given peak in GiB split by category: prefill and decode equal to the peak, no filter pass (zeros). */
export function memoryOf(o: { weightsGiB: number; kvGiB: number; activationsGiB: number; workspaceGiB?: number; extra?: Record<string, number> }): Memory {
  const b = {
    weights: o.weightsGiB * GiB,
    kv: o.kvGiB * GiB,
    activations: o.activationsGiB * GiB,
    workspace: (o.workspaceGiB ?? 0) * GiB,
    total: 0,
  };
  b.total = b.weights + b.kv + b.activations + b.workspace;
  const none = { weights: 0, kv: 0, activations: 0, workspace: 0, total: 0 };
  const m: Memory = { phases: { filter: none, prefill: { ...b }, decode: { ...b } }, peak: { ...b } };
  if (o.extra) m.extra = o.extra;
  return m;
}

export function makeRecord(o: BaseOpts): GemRecord {
  const modelName = o.modelName ?? "llama-3.1-8b";
  const label = labelOf(o.method);
  const sweep = o.sweep ?? {};
  const cellKey = `${o.engine === undefined ? "" : `${o.engine}|`}${modelName}|${label}|${o.suite}|${Object.entries(sweep)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(",")}`;
  const status = o.status ?? "completed";
  const raw = {
    schema: 1,
    runId: o.runId ?? "run-fixture",
    ...(o.engine === undefined ? {} : { engine: o.engine }),
    cellKey,
    recordKey: `${cellKey}/${o.caseId}`,
    suite: o.suite,
    dataset: o.dataset,
    caseId: o.caseId,
    model: { id: `synthetic:${modelName}`, name: modelName, hash: "sha256:0123abcd", family: "llama", layers: 32 },
    method: { name: o.method.name, params: o.method.params, label },
    sweep,
    caseMeta: o.caseMeta ?? {},
    protocol: o.protocol ?? { chatTemplate: true, truncation: "middle", promptSource: "builtin" },
    inputLength: o.inputLength ?? 1000,
    keptLength: o.keptLength === undefined ? (o.method.name === "dense" ? null : 100) : o.keptLength,
    output: status === "completed" ? { ids: [1, 2, 3], text: o.outputText ?? "answer", stopReason: "eos" } : null,
    references: o.references ?? ["answer"],
    scores: status === "completed" ? (o.scores ?? { score: 1 }) : {},
    timings: o.timings === undefined ? (status === "completed" ? timingsOf({ prefillMs: [100, 110, 105] }) : null) : o.timings,
    memory:
      o.memory === undefined ? (status === "completed" ? memoryOf({ weightsGiB: 15, kvGiB: 1, activationsGiB: 0.5 }) : null) : o.memory,
    selection: null,
    viewer: o.viewer ?? null,
    status,
    error: o.error ?? (status === "errored" ? { code: "RUNNER_OOM", message: "out of memory", hint: "lower the context length" } : null),
    environment: {
      commit: "c52d81b",
      runnerBuild: "gem-runner 0.1.0 (cuda)",
      backend: "cuda",
      device: "cuda:0",
      gpu: "NVIDIA H100 80GB HBM3",
      driver: "550.54.15",
      cuda: "12.4",
      host: "node-01",
      node: "v20.19.0",
      ...o.environment,
    },
    startedAt: "2026-11-22T10:00:00.000Z",
    finishedAt: "2026-11-22T10:00:01.000Z",
  };
  return GemRecord.parse(raw);
}

export function niahRecord(o: {
  method: MethodSpec;
  contextLength: number;
  depthPercent: number;
  score: number;
  sweep?: Record<string, Scalar>;
  viewer?: GemRecord["viewer"];
  outputText?: string;
  status?: GemRecord["status"];
  /** More caseMeta (needleStart, mergedDepths). */
  meta?: Record<string, Scalar>;
}): GemRecord {
  return makeRecord({
    suite: "niah",
    dataset: "niah-single",
    caseId: `len${o.contextLength}-depth${o.depthPercent}`,
    method: o.method,
    sweep: o.sweep ?? { ...o.method.params },
    caseMeta: { contextLength: o.contextLength, depthPercent: o.depthPercent, ...o.meta },
    scores: { niah: o.score },
    inputLength: o.contextLength,
    // a viewer's kept set is what the one-set methods (gemfilter, random) report as keptLength
    keptLength: o.method.name === "dense" ? null : o.viewer ? new Set(o.viewer.kept).size : Math.min(o.contextLength, Number(o.method.params.k ?? o.contextLength)),
    outputText: o.outputText ?? "The best thing to do in San Francisco is eat a sandwich.",
    references: ["eat a sandwich and sit in Dolores Park on a sunny day"],
    viewer: o.viewer ?? null,
    status: o.status,
  });
}

export function longbenchRecord(o: {
  method: MethodSpec;
  dataset: string;
  category: string;
  index: number;
  score: number;
  metric?: string;
  status?: GemRecord["status"];
  /** caseMeta.length (LongBench's `length` field; LongBench-E buckets by it); default 9000 + index. */
  length?: number;
}): GemRecord {
  return makeRecord({
    suite: "longbench",
    dataset: o.dataset,
    caseId: `${o.dataset}-${o.index}`,
    method: o.method,
    sweep: { ...o.method.params },
    caseMeta: { dataset: o.dataset.replace(/_e$/, ""), category: o.category, language: "en", length: o.length ?? 9000 + o.index },
    scores: { [o.metric ?? "qa_f1"]: o.score },
    inputLength: 9000 + o.index,
    status: o.status,
  });
}

export function benchRecord(o: {
  method: MethodSpec;
  contextLength: number;
  prefillMs: number[];
  decodeMs?: number[];
  filterMs?: number[];
  memGiB?: { weights: number; kv: number; activations: number; workspace?: number } | null;
  extra?: Record<string, number>;
  rates?: PhaseRates;
  environment?: Partial<Environment>;
  engine?: string;
  status?: GemRecord["status"];
  error?: GemRecord["error"];
}): GemRecord {
  const mem = o.memGiB ?? { weights: 15, kv: o.contextLength / 8192, activations: 0.5 };
  return makeRecord({
    suite: "bench",
    dataset: "bench-llama-3.1-8b",
    caseId: `len${o.contextLength}`,
    method: o.method,
    sweep: { ...o.method.params, contextLength: o.contextLength },
    caseMeta: { contextLength: o.contextLength },
    scores: {},
    inputLength: o.contextLength,
    keptLength: o.method.name === "dense" ? null : Number(o.method.params.k ?? 1024),
    ...(o.engine === undefined ? {} : { engine: o.engine }),
    ...(o.status === undefined ? {} : { status: o.status, error: o.error }),
    timings: o.status !== undefined && o.status !== "completed" ? null : timingsOf({ prefillMs: o.prefillMs, filterMs: o.filterMs, decodeMs: o.decodeMs, ...(o.rates ? { rates: o.rates } : {}) }),
    ...(o.environment ? { environment: o.environment } : {}),
    memory: (o.status !== undefined && o.status !== "completed") || o.memGiB === null ? null : memoryOf({
      weightsGiB: mem.weights,
      kvGiB: mem.kv,
      activationsGiB: mem.activations,
      workspaceGiB: mem.workspace ?? 0,
      ...(o.extra ? { extra: o.extra } : {}),
    }),
  });
}

/** A small viewer payload: `n` tokens, a needle at [needleStart, needleStart+needleLen), the given kept indices. */
export function viewerOf(tokens: string[], kept: number[], marks: { label: string; start: number; end: number }[]): NonNullable<GemRecord["viewer"]> {
  return { tokens, kept, marks };
}

/** A realistic mixed run: NIAH grid for dense + two gemfilter layers, LongBench on 3 datasets, bench at 3 lengths. */
export function sampleRun(): GemRecord[] {
  const out: GemRecord[] = [];
  const lengths = [4000, 8000, 16000, 32000];
  const depths = [0, 25, 50, 75, 100];
  const methods = [dense, gemfilter(13, 1024), gemfilter(19, 1024), gemfilter(13, 256), snapkv(1024)];
  for (const m of methods) {
    for (const L of lengths) {
      for (const d of depths) {
        const layer = Number(m.params.filterLayer ?? 0);
        const k = Number(m.params.k ?? 4096);
        const hard = m.name === "dense" ? 0 : (L / 32000) * (d === 50 ? 0.6 : 0.2) + (layer === 19 ? -0.1 : 0) + (k < 512 ? 0.3 : 0);
        out.push(niahRecord({ method: m, contextLength: L, depthPercent: d, score: Math.max(0, Math.min(1, 1 - hard)) }));
      }
    }
  }
  const words = "The quick brown fox jumps over the lazy dog while the city sleeps .".split(" ");
  const tokens: string[] = [];
  for (let i = 0; i < 240; i++) tokens.push(` ${words[i % words.length]!}`);
  const needle = " The best thing to do in San Francisco is eat a sandwich .".split(/(?= )/);
  tokens.splice(120, 0, ...needle);
  const needleEnd = 120 + needle.length;
  tokens.push(" </script><img src=x onerror=alert(1)>");
  const kept = [0, 1, 2, 3, ...Array.from({ length: needleEnd - 122 }, (_, i) => 122 + i), 200, 201, tokens.length - 1];
  out.push(
    niahRecord({
      method: gemfilter(13, 1024),
      contextLength: 4000,
      depthPercent: 50,
      score: 0.9,
      viewer: viewerOf(tokens, kept, [{ label: "needle", start: 120, end: needleEnd }]),
      outputText: "</script><img src=x onerror=alert(1)> & <b>bold</b>",
    }),
  );
  // replace the duplicate grid record above with the viewer one: keep the last by caseId in reports? No — fixtures must
  // be unique per recordKey, so drop the earlier grid record of that case.
  const dupIdx = out.findIndex((r) => r.recordKey === out[out.length - 1]!.recordKey);
  out.splice(dupIdx, 1);

  const lb: [string, string][] = [
    ["narrativeqa", "Single-Document QA"],
    ["hotpotqa", "Multi-Document QA"],
    ["gov_report", "Summarization"],
  ];
  for (const m of [dense, gemfilter(13, 1024), snapkv(1024)]) {
    for (const [ds, cat] of lb) {
      for (let i = 0; i < 4; i++) {
        const base = ds === "gov_report" ? 0.3 : 0.45;
        const delta = m.name === "dense" ? 0 : m.name === "gemfilter" ? -0.02 : -0.04;
        out.push(longbenchRecord({ method: m, dataset: ds, category: cat, index: i, score: base + delta + i * 0.01, metric: ds === "gov_report" ? "rouge" : "qa_f1" }));
      }
    }
    out.push(longbenchRecord({ method: m, dataset: "hotpotqa", category: "Multi-Document QA", index: 99, score: 0, status: "errored" }));
  }

  for (const m of [dense, gemfilter(13, 1024), snapkv(1024)]) {
    for (const L of [8192, 32768, 131072]) {
      const base = (L / 8192) * (m.name === "gemfilter" ? 120 : 260);
      out.push(
        benchRecord({
          method: m,
          contextLength: L,
          prefillMs: [base * 1.02, base, base * 1.05],
          filterMs: m.name === "gemfilter" ? [base * 0.1, base * 0.1, base * 0.11] : undefined,
          decodeMs: m.name === "dense" ? [350 + L / 1000, 360 + L / 1000, 355 + L / 1000] : [300, 305, 302],
          memGiB: { weights: 15, kv: m.name === "dense" ? L / 8192 : 0.5, activations: L / 65536, workspace: 0.25 },
          rates: { prefillTflops: 500 + L / 1000, decodeGBps: 2500 },
          extra: { deviceUsedBytes: 20 * 1024 ** 3 },
        }),
      );
    }
  }
  return out;
}
