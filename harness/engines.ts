// The engines a cell can run on besides our runner (an engine entry's `engine`; engines/transformers/): how each is
// started (a factory per device, like the native runner's), what it implements (its hello's capabilities, checked
// against every cell before a run starts), and the model it loads — an HF model's own folder, or a synthetic preset
// exported once by a cpu runner per model content hash and dtype (bf16 when the cell runs in bf16) and reused.
// The run loop (run.ts) runs a model's cells engine by engine: our runners are stopped before another engine's pool
// starts, so the devices belong to one engine at a time.
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Engine, EngineFactory, ModelSpec } from "../core/engine.ts";
import { toError } from "../core/errors.ts";
import { MAX_BYTES, readJsonFile } from "../core/files.ts";
import { writeFileAtomic } from "../core/results.ts";
import { modelSpecOf } from "./case.ts";
import { isDefaultPrompt, type Cell, type CellEngine } from "./sweep.ts";

/** Written after an export finished: a folder without it (an interrupted export) is exported again. */
export const EXPORT_MARKER = "gembench-export.json";

/** What an engine says it implements: its methods and each method's parameter names (the hello's capabilities). */
export interface EngineCapabilities {
  methods: string[];
  methodParams: Record<string, string[]>;
  /** Implements the generate request's `turns` (context-only compression, several questions per context); absent: no. */
  turns?: boolean;
}

/** An engine other than the native runner, ready for a run. */
export interface EngineSetup {
  /** Starts one engine process on a device. */
  factory: EngineFactory;
  /** Folder of exported models; null: <run folder>/<engine>-models. */
  modelDir: string | null;
  capabilities: EngineCapabilities;
}

/** The non-native engines of a run by name (the registry run.ts reads; the native runner is RunParams.engineFactory). */
export type EngineRegistry = Partial<Record<Exclude<CellEngine, "native">, EngineSetup>>;

/**
 * One line per cell the engine cannot run, naming the method or the parameter it does not implement (the run refuses
 * them all before any case starts). A parameter counts when the cell sets it (the adapter's defaults included).
 */
export function capabilityProblems(cells: readonly Cell[], engine: CellEngine, caps: EngineCapabilities): string[] {
  const out = new Set<string>();
  for (const c of cells) {
    if (c.engine !== engine) continue;
    if (!caps.methods.includes(c.method.name)) {
      out.add(`the ${engine} engine has no method ${JSON.stringify(c.method.name)} (it implements ${caps.methods.join(", ")}); run it on "native"`);
      continue;
    }
    if (!isDefaultPrompt(c.prompt) && caps.turns !== true)
      out.add(`the ${engine} engine does not implement compression ${JSON.stringify(c.prompt.compression)} with questions ${JSON.stringify(c.prompt.questions)} (its capabilities do not list the generate request's turns); run it on "native"`);
    const known = caps.methodParams[c.method.name] ?? [];
    for (const p of Object.keys(c.method.params))
      if (!known.includes(p)) out.add(`the ${engine} engine's ${c.method.name} has no parameter ${JSON.stringify(p)} (it implements ${known.join(", ") || "none"}); run it on "native"`);
  }
  return [...out];
}

/**
 * The dtype a synthetic model is exported in: bf16 when the cell runs our runner in bf16 (the cuda backend rounds the
 * preset's fp32 values to nearest even, as the export does: the other engine gets the very weights ours computes with, in half
 * the disk space), f32 otherwise.
 */
export function exportDtypeFor(cell: Cell): "f32" | "bf16" {
  return cell.model.dtype === "bf16" ? "bf16" : "f32";
}

/** The folder a synthetic model is exported to: one per content hash and dtype ("sha256:ab…" → "sha256-ab…-bf16"). */
export function exportDirFor(modelDir: string, cell: Cell): string {
  return join(modelDir, `${cell.model.hash.replace(/[^A-Za-z0-9._-]/g, "-")}-${exportDtypeFor(cell)}`);
}

/**
 * What a non-native engine loads for the model of `cell`: an HF model's own folder, or a synthetic preset's export (made now with
 * a cpu runner from `runnerFactory`, unless a finished export of the same content hash is there). Throws with the
 * runner's message when the export fails.
 */
export async function engineModelSpec(
  cell: Cell,
  opts: { modelDir: string; runnerFactory: EngineFactory; timeoutMs: number; log: (m: string) => void },
): Promise<ModelSpec> {
  const own = modelSpecOf(cell);
  const spec = (dir: string): ModelSpec => ({ model: dir, overrides: {}, seed: 0, dtype: "auto", maxContext: own.maxContext });
  if (!cell.model.id.startsWith("synthetic:")) return spec(cell.model.source);
  const dir = resolve(exportDirFor(opts.modelDir, cell));
  const marker = join(dir, EXPORT_MARKER);
  const dtype = exportDtypeFor(cell);
  const want = { model: cell.model.id, hash: cell.model.hash, overrides: cell.model.overrides, seed: cell.model.seed, dtype };
  if (existsSync(marker)) {
    try {
      const got = readJsonFile(marker, { maxBytes: MAX_BYTES.smallJson, what: "export marker" }) as { hash?: string; dtype?: string };
      if (got.hash === want.hash && got.dtype === dtype) {
        opts.log(`${cell.engine}: reusing the export of ${cell.model.name} in ${dir}`);
        return spec(dir);
      }
    } catch {
      // unreadable: export again
    }
  }
  opts.log(`${cell.engine}: exporting ${cell.model.name} (${cell.model.hash}) for the ${cell.engine} engine to ${dir} (cpu runner, ${dtype})`);
  mkdirSync(dir, { recursive: true });
  let runner: Engine | null = null;
  try {
    runner = await opts.runnerFactory("cpu");
    // The cpu backend holds fp32 only: the preset's fp32 values, which the cuda backend rounds to its dtype.
    const loaded = await runner.load({ ...own, dtype: "f32" }, { timeoutMs: opts.timeoutMs });
    if (!loaded.ok) throw new Error(`loading ${cell.model.id} on a cpu runner: ${loaded.failure.message}`);
    if (runner.exportHf === undefined) throw new Error("this runner cannot export models");
    const out = await runner.exportHf(dir, { timeoutMs: opts.timeoutMs, overwrite: true, dtype });
    if (!out.ok) throw new Error(`exporting ${cell.model.id}: ${out.failure.message}`);
  } catch (e) {
    throw new Error(`${cell.engine}: ${toError(e).message}`);
  } finally {
    await runner?.close().catch(() => undefined);
  }
  writeFileAtomic(marker, `${JSON.stringify({ ...want, exportedAt: new Date().toISOString() }, null, 2)}\n`);
  return spec(dir);
}
