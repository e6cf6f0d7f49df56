// The kept-token viewer: kept tokens highlighted, marked spans (the needle) outlined, the fraction of each mark kept,
// long unkept stretches elided, token text escaped.
import test from "ava";
import { markStats, renderTokens, viewerSection } from "../reports/html/sections/viewer.ts";
import { dense, gemfilter, niahRecord, viewerOf } from "./helpers/records.ts";

test("fraction of the needle kept: 2 of its 4 tokens", (t) => {
  const v = viewerOf(["a", "b", "N1", "N2", "N3", "N4", "c"], [0, 3, 4, 6], [{ label: "needle", start: 2, end: 6 }]);
  t.deepEqual(markStats(v), [{ label: "needle", start: 2, end: 6, kept: 2, fraction: 0.5 }]);
});

test("runs of tokens with the same state become one span: kept, marked, kept and marked, neither", (t) => {
  const v = viewerOf(["a", "b", "N1", "N2", "N3", "<c>"], [0, 1, 3, 5], [{ label: "needle", start: 2, end: 5 }]);
  t.is(renderTokens(v), '<span class="k">ab</span><span class="m">N1</span><span class="k m">N2</span><span class="m">N3</span><span class="k">&lt;c&gt;</span>');
});

test("an unkept stretch of more than 600 tokens keeps 120 tokens on each side of the elision", (t) => {
  const tokens = Array.from({ length: 1000 }, (_, i) => (i === 0 || i === 999 ? "K" : "."));
  const html = renderTokens(viewerOf(tokens, [0, 999], []));
  t.is(html, `<span class="k">K</span><span>${".".repeat(120)}</span><span class="gap">[… 758 tokens not kept …]</span><span>${".".repeat(120)}</span><span class="k">K</span>`);
});

test("a case that keeps every token (dense) is counted, not shown", (t) => {
  const tokens = ["a", "b", "c"];
  const marks = [{ label: "needle", start: 1, end: 2 }];
  const rs = [
    niahRecord({ method: dense, contextLength: 3, depthPercent: 0, score: 1, viewer: viewerOf(tokens, [0, 1, 2], marks) }),
    niahRecord({ method: gemfilter(1, 2), contextLength: 3, depthPercent: 0, score: 1, viewer: viewerOf(tokens, [0, 1], marks) }),
  ];
  const out = viewerSection.build(rs, { withModel: false, config: null, chartId: (h) => h })!;
  t.is(out.html.match(/<article class="viewer">/g)?.length, 1);
  t.true(out.html.includes("<h3>gemfilter filterLayer=1 k=2 · niah/len3-depth0</h3>"));
  t.true(out.html.includes("Showing 1 of 1 cases with viewer data (1 more keep every token, e.g. dense, and are not shown)"));
});

test("a per-head method (keptLength differs from the highlighted set) says what the highlight means", (t) => {
  const r = niahRecord({ method: gemfilter(1, 2), contextLength: 4, depthPercent: 0, score: 1, viewer: viewerOf(["a", "b", "c", "d"], [0, 1, 2], []) });
  const perHead = { ...r, method: { name: "snapkv", params: { k: 2 }, label: "snapkv k=2" }, keptLength: 2 };
  const html = viewerSection.build([perHead], { withModel: false, config: null, chartId: (h) => h })!.html;
  t.true(html.includes("4 input tokens, 3 kept (75.0%) (keptLength 2: a per-head method; highlighted are the tokens kept by at least half of the heads)"));
  t.false(viewerSection.build([r], { withModel: false, config: null, chartId: (h) => h })!.html.includes("per-head"));
});
