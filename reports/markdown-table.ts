// Markdown primitives: an escaped table cell and a GitHub-flavoured table.

/** Markdown table cell: pipes and newlines would break the table; backslash-escape them. */
export function md(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A GitHub-flavoured markdown table; every cell escaped. Default alignment: first column left, the rest right. */
export function mdTable(header: string[], rows: string[][], align?: ("l" | "r")[]): string {
  const a = align ?? header.map((_, i) => (i === 0 ? "l" : "r"));
  const lines = [
    `| ${header.map(md).join(" | ")} |`,
    `|${a.map((x) => (x === "l" ? " :--- " : " ---: ")).join("|")}|`,
    ...rows.map((r) => `| ${r.map(md).join(" | ")} |`),
  ];
  return lines.join("\n");
}
