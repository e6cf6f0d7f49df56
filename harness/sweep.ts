// Sweep expansion: models × suites × engines × (cartesian product of list-valued params) → cells, each with a
// stable key, ordered model-major (then suite, then engine, then params) so each model loads once per runner.
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { InputError, UsageError } from "../core/errors.ts";
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
 * HF folder → config.json and generation_config.json bytes + for each *.safetensors file its name, size, JSON header (names, dtypes, shapes,
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
    // Its eos ids end generation (the runner merges them into the config at load).
    const gen = join(dir, "generation_config.json");
    if (existsSync(gen)) h.update(readRegularFile(gen, { maxBytes: MAX_BYTES.smallJson, what: "generation config" }));
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

/** The files of a tokenizer folder that change what a case's prompt is or how its output reads (vocabulary, merges,
 *  special tokens, chat template). */
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"];

/**
 * The tokenizer's part of a cell key: a hash of the names and bytes of TOKENIZER_FILES in the tokenizer folder — the
 * config's `tokenizer`, else the model's own folder (an HF model is read with its folder's tokenizer, so an edited
 * tokenizer.json or chat template there is a different cell). null for a synthetic model without one (byte-level).
 */
function tokenizerKey(m: ResolvedModel): string | null {
  const dir = m.tokenizer ?? (m.id.startsWith("synthetic:") ? null : m.source);
  if (dir === null) return null;
  const h = createHash("sha256");
  let any = false;
  for (const f of TOKENIZER_FILES) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    any = true;
    h.update(`${f}\0`);
    h.update(readRegularFile(p, { maxBytes: f === "tokenizer.json" ? MAX_BYTES.tokenizer : MAX_BYTES.smallJson, what: `tokenizer file ${f}` }));
    h.update("\0");
  }
  return any ? `sha256:${h.digest("hex").slice(0, 16)}` : dir;
}

/**
 * Expand a resolved config into ordered cells (model-major: model, suite, engine entry, engine, params combination).
 * A cell on the transformers engine is keyed apart from its native twin (cellKeyOf's `engine`), so that resume and
 * `compare` never mistake one for the other; native keys are what they were before engines existed.
 */
export function expandSweep(config: ResolvedConfig, opts: { hash?: (m: ResolvedModel) => string } = {}): Cell[] {
  const hashOf = opts.hash ?? ((m: ResolvedModel) => modelHash(m));
  const cells: Cell[] = [];
  // cellKey → the model index that made it: the same cell listed twice runs once, but two models whose cells share a
  // key (two copies of one folder) would collapse into one set of cells, the second never run.
  const seen = new Map<string, number>();
  const twins = new Map<string, [number, number]>();
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
            const had = seen.get(cellKey);
            if (had !== undefined && had !== modelIndex) twins.set(`${had}/${modelIndex}`, [had, modelIndex]);
            if (had !== undefined) continue; // the same cell listed twice runs once
            seen.set(cellKey, modelIndex);
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
  if (twins.size > 0) {
    const name = (i: number): string => `models[${i}] ${JSON.stringify(config.models[i]!.name)} (${config.models[i]!.id})`;
    throw new UsageError(
      `${[...twins.values()].map(([a, b]) => `${name(a)} and ${name(b)}`).join("; ")}: the same weights, tokenizer and settings, so their cells would be one ` +
        `and the second model would never run; list each model once (a copy of a folder is the same model)`,
    );
  }
  return cells;
}
