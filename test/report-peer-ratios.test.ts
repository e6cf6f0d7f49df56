// Our/peer ratios: the bench suite's peer records (engine "transformers") are paired with ours on the same method
// variant and context length; each phase's ratio is ours / the peer's median over the kept repeats, and the peak
// memory's ratio the largest peaks'. Methods without peer records say "no peer", a peer that failed says why, and a
// peer without a memory figure (the CPU) gives no memory ratio. summary.md and the HTML speed section show them.
import test from "ava";
import { peerRatios, variantOf } from "../reports/aggregate.ts";
import { renderHtml } from "../reports/html/index.ts";
import { markdownText } from "../reports/markdown.ts";
import { benchRecord, dense, gemfilter, snapkv } from "./helpers/records.ts";

const GiB = 1024 ** 3;
const peer = "transformers";
const records = [
  benchRecord({ method: dense, contextLength: 8192, prefillMs: [100, 110, 105], memGiB: { weights: 15, kv: 1, activations: 0.5 } }),
  benchRecord({ method: dense, contextLength: 8192, prefillMs: [200, 220, 210], decodeMs: [150, 150, 150], memGiB: { weights: 15, kv: 2, activations: 3 }, engine: peer }),
  benchRecord({ method: gemfilter(13, 1024), contextLength: 8192, prefillMs: [10, 10, 10], filterMs: [40, 40, 40] }),
  benchRecord({ method: gemfilter(13, 1024), contextLength: 8192, prefillMs: [20, 20, 20], filterMs: [80, 80, 80], memGiB: null, engine: peer, environment: { device: "cpu", gpu: null } }),
  benchRecord({ method: snapkv(1024), contextLength: 8192, prefillMs: [120, 120, 120] }),
  benchRecord({ method: dense, contextLength: 16384, prefillMs: [300, 300, 300] }),
  benchRecord({ method: dense, contextLength: 16384, prefillMs: [0], engine: peer, status: "errored", error: { code: "out_of_memory", message: "torch ran out of GPU memory", hint: "" } }),
];

test("a peer record's variant names its engine; withEngine: false pairs it with ours", (t) => {
  t.is(variantOf(records[1]!, { withModel: false }), "dense · transformers");
  t.is(variantOf(records[1]!, { withModel: false, withEngine: false }), variantOf(records[0]!, { withModel: false }));
});

test("ratios per method and length: ours / the peer's medians, no peer, peer failed", (t) => {
  const rows = peerRatios(records, { withModel: false });
  t.deepEqual(
    rows.map((r) => [r.variant, r.contextLength, r.peer, r.status, r.error]),
    [
      ["dense", 8192, peer, "paired", null],
      ["dense", 16384, peer, "peer failed", "out_of_memory"],
      ["gemfilter filterLayer=13 k=1024", 8192, peer, "paired", null],
      ["snapkv k=1024 window=32", 8192, peer, "no peer", null],
    ],
  );
  const d = rows[0]!;
  // ours: prefill 105, ttft 110 (prefill + 5), decode 100 ms / 50 tokens, total 210, peak 16.5 GiB;
  // the peer's: prefill 210, ttft 215, decode 150 / 50, total 365, peak 20 GiB.
  t.deepEqual(d.ours, { filterMs: 0, prefillMs: 105, ttftMs: 110, decodeMsPerToken: 2, totalMs: 210, peakBytes: 16.5 * GiB, decodeKvBytes: 1 * GiB });
  t.deepEqual(d.theirs, { filterMs: 0, prefillMs: 210, ttftMs: 215, decodeMsPerToken: 3, totalMs: 365, peakBytes: 20 * GiB, decodeKvBytes: 2 * GiB });
  t.deepEqual(d.ratio, { filterMs: null, prefillMs: 0.5, ttftMs: 110 / 215, decodeMsPerToken: 2 / 3, totalMs: 210 / 365, peakBytes: 16.5 / 20, decodeKvBytes: 0.5 });
  const g = rows[2]!;
  t.is(g.ratio.filterMs, 0.5);
  t.is(g.ratio.prefillMs, 0.5);
  t.is(g.theirs!.peakBytes, null, "the peer on the CPU counts no memory");
  t.is(g.ratio.peakBytes, null);
  t.is(g.theirsNoMemory, "not counted: transformers on the CPU (torch counts no host allocations)");
});

test("no peer records: no ratio rows", (t) => {
  t.deepEqual(peerRatios(records.filter((r) => r.engine === undefined), { withModel: false }), []);
});

test("summary.md: the ratio table beside the speed table", (t) => {
  const md = markdownText(records);
  t.regex(md, /### Ours vs the peer/);
  t.regex(md, /\| dense \| 8192 \| transformers \| – \| 0\.50× \(105 \/ 210\) \| 0\.51× \(110 \/ 215\) \| 0\.67× \(2\.00 \/ 3\.00\) \| 0\.58× \(210 \/ 365\) \| 0\.8[23]× \(16\.50 \/ 20\.00\) \|/);
  t.regex(md, /\| dense \| 16384 \| transformers \| peer failed: out_of_memory \|/);
  t.regex(md, /\| snapkv k=1024 window=32 \| 8192 \| transformers \| no peer \|/);
  t.regex(md, /\| gemfilter filterLayer=13 k=1024 \| 8192 \| transformers \| 0\.50× \(40\.0 \/ 80\.0\) \| 0\.50× \(10\.0 \/ 20\.0\) \|.*\| – \(16\.50 \/ not counted: transformers on the CPU \(torch counts no host allocations\)\) \| – \(1\.00 \/ not counted: transformers on the CPU \(torch counts no host allocations\)\) \|/);
  t.regex(md, /\| dense · transformers \| 8192 \|/, "the peer's own rows in the speed table");
});

test("HTML speed section: the ratio table", (t) => {
  const { html } = renderHtml(records, { config: null, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false });
  t.regex(html, /Ours \/ the peer's, measured in the same run on the same weights/);
  t.regex(html, /<b>0\.50×<\/b><br><span class="note">105 \/ 210<\/span>/);
  t.regex(html, /peer failed: out_of_memory/);
  t.regex(html, /no peer/);
});
