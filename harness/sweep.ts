// Sweep expansion: models × suites × engines × (cartesian product of list-valued params) → cells, each with a
// stable key, ordered model-major (then suite, then engine, then params) so each model loads once per runner.
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { InputError } from "../core/errors.ts";
import { MAX_BYTES, readRegularFile } from "../core/files.ts";
import { join } from "node:path";
import { getMethod, resolveParams } from "../engines/index.ts";
import type { MethodParams } from "../engines/index.ts";
import { cartesian, type EngineName, type ResolvedConfig, type ResolvedModel, type ResolvedSuite } from "./config.ts";
import { canonicalJson } from "../core/canonical-json.ts";
import type { Compression, QuestionMode, Scalar } from "../core/records.ts";

export interface CellModel extends ResolvedModel {
  /** Content hash (see modelHash). */
  hash: string;
}

/** Who runs a cell (an engine entry's `engine`): our runner, or PyTorch + transformers (engines/transformers/). */
export type CellEngine = EngineName;

export interface Cell {
  /** Position in the expanded, ordered sweep. */
  index: number;
  cellKey: string;
  engine: CellEngine;
  modelIndex: number;
  model: CellModel;
  suiteIndex: number;
  suite: ResolvedSuite;
  method: { name: string; params: MethodParams; label: string };
  /** The values of this cell's list-valued (swept) parameters. */
  sweep: Record<string, Scalar>;
  /** What the method compresses and how many questions a context gets (engines/README.md "Prompt protocols"). */
  prompt: CellPrompt;
}

export interface CellPrompt {
  compression: Compression;
  questions: QuestionMode;
}

/** The default protocol (every cell before prompt protocols existed): keyed and labelled as before. */
export const isDefaultPrompt = (p: CellPrompt): boolean => p.compression === "with-question" && p.questions === "single";

/** " · context-only · multi-request" for a cell's label; "" for the default protocol. */
export function promptLabel(p: CellPrompt): string {
  return `${p.compression === "with-question" ? "" : ` · ${p.compression}`}${p.questions === "single" ? "" : ` · ${p.questions}`}`;
}

export function sha256Hex(s: string | Buffer): string {
  return createHash("sha256").update(s).digest("hex");
}

const TAIL_BYTES = 1 << 20;

/**
 * Content hash of a model, cheap enough to compute on every run: synthetic → preset + overrides + seed;
 * HF folder → config.json bytes + for each *.safetensors file its name, size, JSON header (names, dtypes, shapes,
 * offsets) and last 1 MiB of data. Not a hash of every weight byte (that would read tens of GiB per run); it
 * changes when the architecture, the files or their tail change. Returns "sha256:<16 hex>".
 */
export function modelHash(m: { id: string; source: string; overrides: Record<string, unknown>; seed: number }): string {
  const h = createHash("sha256");
  if (m.id.startsWith("synthetic:")) {
    h.update(canonicalJson({ preset: m.id, overrides: m.overrides, seed: m.seed }));
  } else {
    const dir = m.source;
    const cfg = join(dir, "config.json");
    if (existsSync(cfg)) h.update(readRegularFile(cfg, { maxBytes: MAX_BYTES.smallJson, what: "model config" }));
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".safetensors")).sort() : [];
    for (const f of files) {
      const p = join(dir, f);
      const st = statSync(p);
      if (!st.isFile()) throw new InputError(`model file ${p} is not a regular file`);
      const size = st.size;
      h.update(`${f}\0${size}\0`);
      const fd = openSync(p, "r");
      try {
        const lenBuf = Buffer.alloc(8);
        readSync(fd, lenBuf, 0, 8, 0);
        const headerLen = Math.min(Number(lenBuf.readBigUInt64LE(0)), Math.max(0, size - 8));
        const header = Buffer.alloc(headerLen);
        readSync(fd, header, 0, headerLen, 8);
        h.update(header);
        const tailLen = Math.min(TAIL_BYTES, size);
        const tail = Buffer.alloc(tailLen);
        readSync(fd, tail, 0, tailLen, size - tailLen);
        h.update(tail);
      } finally {
        closeSync(fd);
      }
    }
  }
  return `sha256:${h.digest("hex").slice(0, 16)}`;
}

/**
 * The stable key of a cell: a hash of the canonical JSON of what determines its outputs (model content hash, dtype,
 * context cap, tokenizer, method + fully defaulted params, suite + resolved options, generation overrides). Not the
 * config's name, file location, order or run options that do not change outputs (timeouts, repeats).
 */
export function cellKeyOf(parts: {
  model: { hash: string; dtype: string; maxContext: number | null; tokenizer: string | null };
  method: { name: string; params: MethodParams };
  suite: { name: string; options: unknown; maxNewTokens: number | null; ignoreEos: boolean };
  /** The engine; absent or "native" for our runner, so native keys stay what they always were. */
  engine?: CellEngine;
  /** The prompt protocol; absent or the default for the keys cells always had. */
  prompt?: CellPrompt;
}): string {
  const { engine, prompt, ...rest } = parts;
  const keyed: Record<string, unknown> = engine === undefined || engine === "native" ? rest : { ...rest, engine };
  if (prompt !== undefined && !isDefaultPrompt(prompt)) keyed.prompt = prompt;
  return sha256Hex(canonicalJson(keyed)).slice(0, 16);
}

function tokenizerKey(m: ResolvedModel): string | null {
  if (m.tokenizer === null) return null;
  const p = join(m.tokenizer, "tokenizer.json");
  return existsSync(p) ? `sha256:${sha256Hex(readRegularFile(p, { maxBytes: MAX_BYTES.tokenizer, what: "tokenizer.json" })).slice(0, 16)}` : m.tokenizer;
}

/**
 * Expand a resolved config into ordered cells (model-major: model, suite, engine entry, engine, params combination).
 * A cell on the transformers engine is keyed apart from its native twin (cellKeyOf's `engine`), so that resume and
 * `compare` never mistake one for the other; native keys are what they were before engines existed.
 */
export function expandSweep(config: ResolvedConfig, opts: { hash?: (m: ResolvedModel) => string } = {}): Cell[] {
  const hashOf = opts.hash ?? ((m: ResolvedModel) => modelHash(m));
  const cells: Cell[] = [];
  const seen = new Set<string>();
  config.models.forEach((m, modelIndex) => {
    const model: CellModel = { ...m, hash: hashOf(m) };
    const tok = tokenizerKey(m);
    config.suites.forEach((suite, suiteIndex) => {
      for (const engine of config.engines) {
        const adapter = getMethod(engine.method);
        if (adapter === undefined) throw new Error(`unknown method ${engine.method}`);
        const swept = Object.entries(engine.axes).filter(([, vs]) => vs.length > 1).map(([k]) => k);
        const compressions = engine.compression ?? ["with-question"];
        const questionModes = engine.questions ?? ["single"];
        // The protocol is in the label (promptLabel) and the record's `turn`, not in `sweep` (reports would show it twice).
        const prompts: CellPrompt[] = compressions.flatMap((compression) => questionModes.map((questions) => ({ compression, questions })));
        for (const runOn of engine.engine)
          for (const [combo, prompt] of cartesian(engine.axes).flatMap((c) => prompts.map((p) => [c, p] as const))) {
            const params = resolveParams(adapter, combo);
            const cellKey = cellKeyOf({
              model: { hash: model.hash, dtype: m.dtype, maxContext: m.maxContext, tokenizer: tok },
              method: { name: adapter.name, params },
              suite: { name: suite.name, options: suite.options, maxNewTokens: suite.maxNewTokens, ignoreEos: suite.ignoreEos },
              engine: runOn,
              prompt,
            });
            if (seen.has(cellKey)) continue; // the same cell listed twice runs once
            seen.add(cellKey);
            const sweep: Record<string, Scalar> = {};
            for (const k of swept) sweep[k] = params[k] ?? null;
            cells.push({
              index: cells.length,
              cellKey,
              engine: runOn,
              modelIndex,
              model,
              suiteIndex,
              suite,
              method: { name: adapter.name, params, label: adapter.label(params) + promptLabel(prompt) },
              sweep,
              prompt,
            });
          }
      }
    });
  });
  return cells;
}
