// report.html: every string from models, datasets, configs and errors is escaped. A generated
// `</script><img onerror=…>` renders as text: it can neither close a script element nor create an element.
import test from "ava";
import type { GemRecord } from "../core/records.ts";
import { renderHtml } from "../reports/html/index.ts";
import { gemfilter, makeRecord, niahRecord, viewerOf } from "./helpers/records.ts";

const EVIL = `</script><img src=x onerror="window.__pwned=1">'&<!--`;
const ESCAPED = "&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;&#39;&amp;&lt;!--";

function evilRecords(): GemRecord[] {
  const base = niahRecord({
    method: gemfilter(13, 1024),
    contextLength: 4000,
    depthPercent: 50,
    score: 0.5,
    outputText: EVIL,
    viewer: viewerOf(["a", EVIL, "b"], [1], [{ label: EVIL, start: 1, end: 2 }]),
  });
  const failed = makeRecord({ suite: "longbench", dataset: EVIL, caseId: EVIL, method: gemfilter(13, 1024), status: "errored" });
  return [
    {
      ...base,
      caseId: EVIL,
      references: [EVIL],
      model: { ...base.model, name: EVIL },
      method: { ...base.method, label: EVIL },
      protocol: { chatTemplate: EVIL },
      environment: { ...base.environment, gpu: EVIL },
    },
    { ...failed, error: { code: EVIL, message: EVIL, hint: EVIL }, caseMeta: { category: EVIL } },
  ];
}

test("no injected markup reaches the page: only the page's own two scripts, no img element", (t) => {
  const { html } = renderHtml(evilRecords(), { config: { name: EVIL, description: EVIL }, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false });
  t.false(/<img/i.test(html));
  t.is(html.match(/<script/gi)?.length, 2);
  t.is(html.match(/<\/script/gi)?.length, 2);
  t.false(html.includes("<!--"));
  t.true(html.includes(`<title>gembench report — ${ESCAPED}</title>`));
  t.true(html.includes(`<dd>${ESCAPED}</dd>`)); // the model's output in the viewer
});

test("chart data travels as JSON that still parses to the same values", (t) => {
  const { html, charts } = renderHtml(evilRecords(), { config: null, generatedAt: "2026-01-01T00:00:00.000Z" }, { inlineVega: false });
  const m = /<script type="application\/json" id="gembench-charts">([^<]*)<\/script>/.exec(html);
  t.truthy(m);
  t.deepEqual(JSON.parse(m![1]!), JSON.parse(JSON.stringify(charts)));
  // the evil label is a heatmap panel name in the data, with its < > & escaped as \u003c \u003e \u0026
  t.true(m![1]!.includes("\\u003c/script\\u003e\\u003cimg"));
});
