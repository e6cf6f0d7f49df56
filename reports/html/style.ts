// The page's stylesheet: print-friendly, booktabs-like tables, readable at laptop widths.
export const PAGE_CSS = `
:root { --fg: #1d1d1f; --muted: #666; --rule: #222; --light: #e4e4e4; --kept: #ffe08a; --mark: #c62828; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 14px/1.45 "Helvetica Neue", Helvetica, Arial, sans-serif; }
header, main, footer { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; border-bottom: 1px solid var(--light); }
h1 { font-size: 22px; margin: 0 0 2px; font-weight: 600; }
h1 .run { font-weight: 400; color: var(--muted); margin-left: 8px; }
h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--rule); font-weight: 600; }
h3 { font-size: 14px; margin: 16px 0 6px; font-weight: 600; }
.sub { margin: 0 0 8px; color: var(--muted); }
nav { display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 6px 0 10px; }
nav a { color: #1f5fa8; text-decoration: none; }
nav a:hover { text-decoration: underline; }
footer { color: var(--muted); font-size: 12px; padding: 24px; border-top: 1px solid var(--light); margin-top: 32px; }
.note { color: var(--muted); font-size: 13px; max-width: 900px; }
table.data { border-collapse: collapse; margin: 10px 0 18px; font-variant-numeric: tabular-nums; font-size: 13px; border-top: 2px solid var(--rule); border-bottom: 2px solid var(--rule); }
table.data caption { caption-side: top; text-align: left; font-size: 13px; color: var(--muted); padding-bottom: 4px; }
table.data thead th { border-bottom: 1px solid var(--rule); font-weight: 600; }
table.data th, table.data td { padding: 3px 10px; text-align: right; vertical-align: top; }
table.data th:first-child, table.data td.l, table.data th.l { text-align: left; }
table.data tbody th { font-weight: 400; text-align: left; white-space: nowrap; }
table.data td.em { font-weight: 600; }
table.data tr.cat th { text-align: left; font-weight: 600; padding-top: 8px; border-bottom: 1px solid var(--light); }
table.data tr.sub th, table.data tr.sub td { font-style: italic; border-bottom: 1px solid var(--light); }
table.data tr.total th, table.data tr.total td { font-weight: 600; border-top: 1px solid var(--rule); }
table.data td.d { color: var(--muted); font-size: 12px; }
table.data td.d.up { color: #1a7f37; }
table.data td.d.down { color: #b42318; }
table.data td.bad { color: #b42318; font-weight: 600; }
table.kv { min-width: 420px; }
.n { color: var(--muted); font-size: 12px; }
.warn { color: #b26a00; font-size: 12px; }
.hint { color: var(--muted); }
.scroll { overflow-x: auto; }
.grid { display: flex; flex-wrap: wrap; gap: 8px 32px; align-items: flex-start; }
/* display: table + table-caption: the caption wraps at the chart's width instead of widening the figure. */
figure.chart { margin: 8px 0 16px; display: table; }
figure.chart figcaption { display: table-caption; caption-side: bottom; color: var(--muted); font-size: 12px; margin-top: 2px; }
ul.fail { font-size: 13px; padding-left: 18px; }
article.viewer { border: 1px solid var(--light); border-radius: 4px; padding: 8px 14px 10px; margin: 12px 0; }
article.viewer h3 { margin-top: 4px; }
.meta { color: var(--muted); margin: 0 0 4px; font-size: 13px; }
ul.marks { margin: 0 0 6px; padding-left: 18px; font-size: 13px; }
.tokens { font: 12px/1.7 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-word; max-height: 300px; overflow-y: auto; background: #fafafa; padding: 8px 10px; border: 1px solid var(--light); color: #888; }
.tokens .k, .legend.k { background: var(--kept); color: #111; }
.tokens .m, .legend.m { text-decoration: underline 2px var(--mark); text-underline-offset: 3px; color: #111; }
.tokens .gap { color: #aaa; font-style: italic; }
.legend { padding: 0 4px; font-size: 12px; }
dl.io { display: grid; grid-template-columns: 90px 1fr; gap: 2px 10px; font-size: 13px; margin: 8px 0 0; }
dl.io dt { color: var(--muted); }
dl.io dd { margin: 0; white-space: pre-wrap; }
details pre { font-size: 12px; background: #fafafa; padding: 8px; border: 1px solid var(--light); overflow-x: auto; max-height: 400px; }
@media print { .tokens { max-height: none; } nav { display: none; } }
`;
