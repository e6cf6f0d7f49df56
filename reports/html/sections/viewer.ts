// The kept-token viewer: for records carrying `viewer`, the input tokens with the kept ones highlighted, marked spans
// (e.g. the needle) outlined, and the fraction of each mark that was kept. Long inputs are elided far from any kept
// token or mark so the page stays small; every token string is escaped.
import type { GemRecord } from "../../../core/records.ts";
import { variantOf } from "../../aggregate.ts";
import { esc } from "../escape.ts";
import type { Section } from "../section.ts";

/** At most this many viewer records are shown (first in run order). */
export const MAX_VIEWERS = 12;
/** Unkept, unmarked stretches longer than this are elided to their first and last CONTEXT tokens. */
const ELIDE_OVER = 600;
const CONTEXT = 120;

export interface MarkStat {
  label: string;
  start: number;
  end: number;
  kept: number;
  fraction: number;
}

/** Fraction of each mark's tokens (end exclusive) that are in the kept set. */
export function markStats(v: NonNullable<GemRecord["viewer"]>): MarkStat[] {
  const kept = new Set(v.kept);
  return v.marks.map((m) => {
    let k = 0;
    for (let i = m.start; i < m.end; i++) if (kept.has(i)) k++;
    const len = Math.max(0, m.end - m.start);
    return { label: m.label, start: m.start, end: m.end, kept: k, fraction: len ? k / len : 0 };
  });
}

/**
 * How token strings spell text. Records carry the tokenizer's own token strings: SentencePiece marks a leading space
 * with "▁" (U+2581) and bytes as "<0x0A>"; byte-level BPE (GPT-2, Llama 3) maps every byte to a printable character
 * ("Ġ" = space, "Ċ" = newline); the built-in byte tokenizer uses plain characters and "<0x0A>".
 */
export type TokenScheme = "sentencepiece" | "bytelevel" | "plain";

export function tokenScheme(tokens: readonly string[]): TokenScheme {
  if (tokens.some((t) => t.startsWith("\u2581"))) return "sentencepiece";
  if (tokens.some((t) => /[\u0120\u010a]/.test(t))) return "bytelevel";
  return "plain";
}

/** GPT-2's byte → character table, inverted: printable Latin-1 bytes stand for themselves, the rest are 256 + n. */
const BYTELEVEL: Map<number, number> = (() => {
  const printable = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const m = new Map<number, number>();
  let n = 0;
  for (let b = 0; b < 256; b++) m.set(printable(b) ? b : 256 + n++, b);
  return m;
})();

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;
const utf8 = new TextDecoder("utf-8", { fatal: false });

/** The text a run of tokens spells (raw, unescaped); byte tokens are joined before UTF-8 decoding. */
export function tokensText(tokens: readonly string[], scheme: TokenScheme): string {
  let out = "";
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length) out += utf8.decode(new Uint8Array(bytes));
    bytes = [];
  };
  for (const t of tokens) {
    const b = BYTE_TOKEN.exec(t);
    if (b) {
      bytes.push(parseInt(b[1]!, 16));
      continue;
    }
    if (scheme === "bytelevel") {
      const mapped = [...t].map((c) => BYTELEVEL.get(c.codePointAt(0)!));
      if (mapped.every((x) => x !== undefined)) {
        bytes.push(...(mapped as number[]));
        continue;
      }
    }
    flush();
    out += scheme === "sentencepiece" ? t.replace(/\u2581/g, " ") : t;
  }
  flush();
  return out;
}

/** Renders tokens as spans, merging neighbours with the same class; `k` = kept, `m` = inside a mark. */
export function renderTokens(v: NonNullable<GemRecord["viewer"]>): string {
  const scheme = tokenScheme(v.tokens);
  const text = (from: number, to: number): string => esc(tokensText(v.tokens.slice(from, to), scheme));
  const n = v.tokens.length;
  const kept = new Uint8Array(n);
  for (const i of v.kept) if (i >= 0 && i < n) kept[i] = 1;
  const marked = new Uint8Array(n);
  for (const m of v.marks) for (let i = Math.max(0, m.start); i < Math.min(n, m.end); i++) marked[i] = 1;
  const cls = (i: number): string => (kept[i] ? (marked[i] ? "k m" : "k") : marked[i] ? "m" : "");
  const out: string[] = [];
  let i = 0;
  while (i < n) {
    const c = cls(i);
    let j = i + 1;
    while (j < n && cls(j) === c) j++;
    if (c === "" && j - i > ELIDE_OVER) {
      const head = i === 0 ? 0 : CONTEXT;
      const tail = j === n ? 0 : CONTEXT;
      out.push(`<span>${text(i, i + head)}</span>`);
      out.push(`<span class="gap">[… ${j - i - head - tail} tokens not kept …]</span>`);
      out.push(`<span>${text(j - tail, j)}</span>`);
    } else {
      out.push(c ? `<span class="${c}">${text(i, j)}</span>` : `<span>${text(i, j)}</span>`);
    }
    i = j;
  }
  return out.join("");
}

export const viewerSection: Section = {
  id: "viewer",
  title: "Kept-token viewer",
  build(records, ctx) {
    const withViewer = records.filter((r) => r.viewer !== null);
    if (withViewer.length === 0) return null;
    // A method that keeps every token (dense) has nothing to show; it is counted, not rendered.
    const keepsAll = (r: GemRecord): boolean => new Set(r.viewer!.kept).size >= r.viewer!.tokens.length;
    const rs = withViewer.filter((r) => !keepsAll(r));
    const all = withViewer.length - rs.length;
    const shown = rs.slice(0, MAX_VIEWERS);
    const parts: string[] = [
      `<p class="note"><span class="k legend">kept token</span> <span class="m legend">marked span (e.g. the needle), not kept</span> <span class="k m legend">marked and kept</span>. Showing ${shown.length} of ${rs.length} cases with viewer data${all ? ` (${all} more keep every token, e.g. dense, and are not shown)` : ""}; long stretches far from kept tokens are elided.</p>`,
    ];
    for (const r of shown) {
      const v = r.viewer!;
      const stats = markStats(v);
      const keptCount = new Set(v.kept).size;
      const pct = v.tokens.length ? (100 * keptCount) / v.tokens.length : 0;
      // Per-head methods (SnapKV, H2O) keep a different set per (layer, head); the run highlights the tokens kept by
      // at least half of them, which need not be keptLength tokens.
      const perHead = r.keptLength !== null && r.keptLength !== keptCount ? ` (keptLength ${r.keptLength}: a per-head method; highlighted are the tokens kept by at least half of the heads)` : "";
      const marks = stats
        .map((s) => `<li><b>${esc(s.label)}</b> [${s.start}, ${s.end}): ${s.kept}/${s.end - s.start} kept (<b>${(100 * s.fraction).toFixed(0)}%</b>)</li>`)
        .join("");
      parts.push(`<article class="viewer">
<h3>${esc(variantOf(r, { withModel: ctx.withModel }))} · ${esc(r.suite)}/${esc(r.caseId)}</h3>
<p class="meta">${v.tokens.length} input tokens, ${keptCount} kept (${pct.toFixed(1)}%)${perHead} · score ${esc(Object.entries(r.scores).map(([k, x]) => `${k} ${(100 * x).toFixed(1)}`).join(", ") || "–")} · status ${esc(r.status)}</p>
<ul class="marks">${marks}</ul>
<div class="tokens">${renderTokens(v)}</div>
<dl class="io"><dt>Output</dt><dd>${esc(r.output?.text ?? "–")}</dd><dt>Reference</dt><dd>${r.references.map((x) => esc(x)).join("<br>") || "–"}</dd></dl>
</article>`);
    }
    return { html: parts.join("\n"), charts: [] };
  },
};
