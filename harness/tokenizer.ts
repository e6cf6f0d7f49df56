// TextTokenizer implementations: a Hugging Face folder (tokenizer.json + tokenizer_config.json, chat template via
// jinja) and the built-in byte-level tokenizer that synthetic models use.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { Template } from "@huggingface/jinja";
import { InputError, toError } from "../core/errors.ts";
import { MAX_BYTES, readJsonFile, readTextFile } from "../core/files.ts";
import type { ChatMessage, TextTokenizer } from "../core/suite.ts";

/**
 * Built-in byte-level tokenizer for synthetic models: 0 = <pad>, 1 = <s> (BOS), 2 = </s> (EOS), byte b → b + 3
 * (text is encoded as UTF-8). 259 ids in all; no chat template.
 */
export class ByteTokenizer implements TextTokenizer {
  static readonly PAD = 0;
  static readonly BOS = 1;
  static readonly EOS = 2;
  static readonly OFFSET = 3;
  readonly bosId = ByteTokenizer.BOS;
  readonly eosId = ByteTokenizer.EOS;
  readonly vocabSize = 256 + ByteTokenizer.OFFSET;

  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[] {
    const ids = Array.from(Buffer.from(text, "utf8"), (b) => b + ByteTokenizer.OFFSET);
    return opts?.addSpecialTokens ? [ByteTokenizer.BOS, ...ids] : ids;
  }

  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string {
    const bytes: number[] = [];
    let out = "";
    const flush = (): void => {
      if (bytes.length > 0) out += Buffer.from(bytes).toString("utf8");
      bytes.length = 0;
    };
    for (const id of ids) {
      if (id >= ByteTokenizer.OFFSET && id < this.vocabSize) {
        bytes.push(id - ByteTokenizer.OFFSET);
        continue;
      }
      flush();
      if (opts?.skipSpecialTokens) continue;
      out += id === 0 ? "<pad>" : id === 1 ? "<s>" : id === 2 ? "</s>" : `<unk:${id}>`;
    }
    flush();
    return out;
  }

  /** One display string per token (for the kept-token viewer): the byte as text where printable, else <0xNN>. */
  tokenStrings(ids: number[]): string[] {
    return ids.map((id) => {
      if (id < ByteTokenizer.OFFSET) return this.decode([id]);
      const b = id - ByteTokenizer.OFFSET;
      return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
    });
  }

  applyChatTemplate(_messages: ChatMessage[]): string | null {
    return null;
  }
}

function readJson(path: string, what: string, maxBytes: number): Record<string, unknown> {
  const value = readJsonFile(path, { maxBytes, what });
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(`${what} ${path}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** A special token in tokenizer_config.json is either a string or {content: string, …}. */
function tokenContent(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "object" && v !== null && "content" in v && typeof v.content === "string") return v.content;
  return null;
}

/** A Hugging Face tokenizer folder (tokenizer.json, tokenizer_config.json). */
export class HfTokenizer implements TextTokenizer {
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly vocabSize: number;
  private readonly tok: Tokenizer;
  private readonly template: Template | null;
  private readonly bosToken: string;
  private readonly eosToken: string;
  /** ByteFallback decoders only: byte-token id → byte, and the id of <0xFF>. */
  private readonly byteFallback: { byteOf: Map<number, number>; ffId: number } | null;

  constructor(readonly dir: string) {
    if (!existsSync(dir)) throw new InputError(`tokenizer folder ${dir} does not exist`);
    if (!statSync(dir).isDirectory()) throw new InputError(`tokenizer folder ${dir} is not a folder`);
    const tokPath = join(dir, "tokenizer.json");
    if (!existsSync(tokPath)) throw new InputError(`${dir}: no tokenizer.json (give the model's folder or a "tokenizer" path)`);
    const cfgPath = join(dir, "tokenizer_config.json");
    const tokJson = readJson(tokPath, "tokenizer.json", MAX_BYTES.tokenizer);
    const cfg = existsSync(cfgPath) ? readJson(cfgPath, "tokenizer_config.json", MAX_BYTES.smallJson) : {};
    try {
      this.tok = new Tokenizer(tokJson, cfg);
    } catch (e) {
      throw new InputError(`tokenizer.json ${tokPath} is not a tokenizer the tokenizers library accepts: ${toError(e).message}`);
    }
    this.bosToken = tokenContent(cfg.bos_token) ?? "";
    this.eosToken = tokenContent(cfg.eos_token) ?? "";
    const bos = this.bosToken === "" ? undefined : this.tok.token_to_id(this.bosToken);
    this.bosId = bos ?? null;
    const eos = this.eosToken === "" ? undefined : this.tok.token_to_id(this.eosToken);
    this.eosId = eos ?? null;
    this.vocabSize = this.tok.get_vocab(true).size;
    this.byteFallback = usesByteFallback(tokJson.decoder) ? byteTokenIds(this.tok) : null;
    const tpl = cfg.chat_template;
    let src: string | null = null;
    if (typeof tpl === "string") src = tpl;
    else if (Array.isArray(tpl)) {
      // The list form: [{name: "default", template: "…"}, …].
      for (const t of tpl as unknown[]) {
        if (typeof t === "object" && t !== null && "name" in t && t.name === "default" && "template" in t && typeof t.template === "string") {
          src = t.template;
        }
      }
    }
    if (src === null) {
      const jinjaPath = join(dir, "chat_template.jinja");
      if (existsSync(jinjaPath)) src = readTextFile(jinjaPath, { maxBytes: MAX_BYTES.smallJson, what: "chat template" });
    }
    try {
      this.template = src === null ? null : new Template(src);
    } catch (e) {
      throw new InputError(`${dir}: the chat template does not parse: ${toError(e).message}`);
    }
  }

  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[] {
    if (text === "" && !opts?.addSpecialTokens) return [];
    return this.tok.encode(text, { add_special_tokens: opts?.addSpecialTokens ?? false }).ids;
  }

  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string {
    if (ids.length === 0) return "";
    const fixed = this.byteFallback === null ? ids : rustByteFallback(ids, this.byteFallback);
    return this.tok.decode(fixed, { skip_special_tokens: opts?.skipSpecialTokens ?? false });
  }

  tokenStrings(ids: number[]): string[] {
    return ids.map((id) => this.tok.id_to_token(id) ?? `<unk:${id}>`);
  }

  applyChatTemplate(messages: ChatMessage[]): string | null {
    if (this.template === null) return null;
    return this.template.render({
      messages,
      add_generation_prompt: true,
      bos_token: this.bosToken,
      eos_token: this.eosToken,
    });
  }
}

function usesByteFallback(decoder: unknown): boolean {
  if (typeof decoder !== "object" || decoder === null) return false;
  const d = decoder as { type?: unknown; decoders?: unknown };
  if (d.type === "ByteFallback") return true;
  return d.type === "Sequence" && Array.isArray(d.decoders) && d.decoders.some(usesByteFallback);
}

function byteTokenIds(tok: Tokenizer): { byteOf: Map<number, number>; ffId: number } | null {
  const byteOf = new Map<number, number>();
  for (let b = 0; b < 256; b++) {
    const id = tok.token_to_id(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    if (id !== undefined) byteOf.set(id, b);
  }
  const ffId = tok.token_to_id("<0xFF>");
  return ffId === undefined ? null : { byteOf, ffId };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Python/Rust `tokenizers` decode a run of byte tokens (<0xNN>…) that is not valid UTF-8 as one U+FFFD PER BYTE;
 * the JS port's TextDecoder gives one per invalid sequence (and keeps the run's valid characters). Where a run is
 * invalid, its ids become <0xFF> tokens — each an invalid byte on its own, so the JS decoder emits exactly one U+FFFD
 * per byte, as Python does. (LongBench's middle truncation decodes a cut that may fall inside a character.)
 */
function rustByteFallback(ids: number[], bf: { byteOf: Map<number, number>; ffId: number }): number[] {
  const out = [...ids];
  let i = 0;
  while (i < out.length) {
    if (!bf.byteOf.has(out[i]!)) {
      i++;
      continue;
    }
    let j = i;
    while (j < out.length && bf.byteOf.has(out[j]!)) j++;
    try {
      strictUtf8.decode(Uint8Array.from(out.slice(i, j), (id) => bf.byteOf.get(id)!));
    } catch {
      out.fill(bf.ffId, i, j);
    }
    i = j;
  }
  return out;
}

export type GemTokenizer = ByteTokenizer | HfTokenizer;

/**
 * The tokenizer for a model entry: an explicit tokenizer folder wins; a synthetic model without one gets the
 * byte-level tokenizer; an HF model folder uses its own tokenizer.json.
 */
export function loadTokenizer(modelId: string, tokenizerPath: string | null): GemTokenizer {
  if (tokenizerPath !== null) return new HfTokenizer(tokenizerPath);
  if (modelId.startsWith("synthetic:")) return new ByteTokenizer();
  if (!existsSync(modelId)) throw new InputError(`model folder ${modelId} does not exist`);
  return new HfTokenizer(modelId);
}
