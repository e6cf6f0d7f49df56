// The overview at the top of the page: what ran, how many records per suite and status, and the failures.
import type { GemRecord } from "../../../core/records.ts";
import { groupBy, isFailure, uniq } from "../../aggregate.ts";
import { esc } from "../escape.ts";
import type { Section } from "../section.ts";

const STATUSES = ["completed", "errored", "unsupported", "skipped"] as const;

export const overviewSection: Section = {
  id: "overview",
  title: "Overview",
  build(records: readonly GemRecord[]) {
    const rows = [...groupBy(records, (r) => r.suite)]
      .map(([suite, rs]) => {
        const ds = uniq(rs.map((r) => r.dataset));
        return `<tr><th scope="row">${esc(suite)}</th><td class="l">${esc(ds.length > 4 ? `${ds.slice(0, 4).join(", ")}, … (${ds.length})` : ds.join(", "))}</td><td>${uniq(rs.map((r) => r.cellKey)).length}</td>${STATUSES.map(
          (s) => `<td${s !== "completed" && rs.some((r) => r.status === s) ? ' class="bad"' : ""}>${rs.filter((r) => r.status === s).length}</td>`,
        ).join("")}</tr>`;
      })
      .join("");
    const failures = records.filter(isFailure);
    const failList = [...groupBy(failures, (r) => `${r.status}\u0000${r.error?.code ?? "?"}\u0000${r.error?.message ?? ""}`)]
      .slice(0, 20)
      .map(([, xs]) => {
        const e = xs[0]!;
        return `<li><b>${esc(e.status)} ${esc(e.error?.code ?? "")}</b> × ${xs.length}: ${esc(e.error?.message ?? "")}${e.error?.hint ? ` <span class="hint">— ${esc(e.error.hint)}</span>` : ""} <span class="n">(e.g. ${esc(e.suite)}/${esc(e.caseId)}, ${esc(e.method.label)})</span></li>`;
      })
      .join("");
    const html = `<table class="data"><thead><tr><th>Suite</th><th class="l">Datasets</th><th>Cells</th>${STATUSES.map((s) => `<th>${s}</th>`).join("")}</tr></thead><tbody>${rows}</tbody></table>${
      failures.length ? `<h3>Failures</h3><ul class="fail">${failList}</ul>` : ""
    }`;
    return { html, charts: [] };
  },
};
