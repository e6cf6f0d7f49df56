// The kept-token viewer: kept tokens highlighted, marked spans (the needle) outlined, the fraction of each mark kept,
// long unkept stretches elided, token text escaped.
import test from "ava";
import { markStats, renderTokens } from "../reports/html/sections/viewer.ts";
import { viewerOf } from "./helpers/records.ts";

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
