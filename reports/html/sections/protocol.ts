// The run's protocol and environment: methods with their parameters, every protocol field's values (chat template,
// truncation, prompt source, …), every environment field's values (GPU, driver, CUDA, commit, …), and the config.
import type { GemRecord } from "../../../core/records.ts";
import { groupBy, uniq, variantOf } from "../../aggregate.ts";
import { paramsText } from "../../format.ts";
import { esc } from "../escape.ts";
import type { Section } from "../section.ts";

function valuesTable(caption: string, rows: [string, Map<string, number>][]): string {
  const body = rows
    .map(([k, vals]) => `<tr><th scope="row">${esc(k)}</th><td class="l">${[...vals].map(([v, n]) => (vals.size > 1 ? `${esc(v)} <span class="n">(${n})</span>` : esc(v))).join("<br>")}</td></tr>`)
    .join("");
  return `<table class="data kv"><caption>${esc(caption)}</caption><tbody>${body}</tbody></table>`;
}

function fieldValues(records: readonly GemRecord[], pick: (r: GemRecord) => Record<string, unknown>): [string, Map<string, number>][] {
  const keys = uniq(records.flatMap((r) => Object.keys(pick(r))));
  return keys.map((k) => {
    const m = new Map<string, number>();
    for (const r of records) {
      const v = pick(r)[k];
      const s = v === undefined ? "(unset)" : typeof v === "string" ? v : JSON.stringify(v);
      m.set(s, (m.get(s) ?? 0) + 1);
    }
    return [k, m];
  });
}

export const protocolSection: Section = {
  id: "protocol",
  title: "Protocol and environment",
  build(records, ctx) {
    if (records.length === 0) return null;
    const methods = groupBy(records, (r) => variantOf(r, { withModel: ctx.withModel }));
    const mrows = [...methods]
      .map(([v, rs]) => {
        const r0 = rs[0]!;
        const suites = uniq(rs.map((r) => r.suite)).join(", ");
        return `<tr><th scope="row">${esc(v)}</th><td class="l">${esc(r0.model.name)} <span class="n">${esc(r0.model.hash.slice(0, 19))}</span></td><td class="l">${esc(r0.method.name)}</td><td class="l">${esc(paramsText(r0.method.params) || "–")}</td><td class="l">${esc(suites)}</td><td>${rs.length}</td></tr>`;
      })
      .join("");
    const cfg = ctx.config as { name?: unknown; description?: unknown } | null;
    const cfgHtml =
      cfg && typeof cfg === "object"
        ? `<p>${typeof cfg.name === "string" ? `Config <b>${esc(cfg.name)}</b>` : "Config"}${typeof cfg.description === "string" ? `: ${esc(cfg.description)}` : ""}</p><details><summary>Resolved config.json</summary><pre>${esc(JSON.stringify(cfg, null, 2))}</pre></details>`
        : `<p class="note">No config.json in the run folder.</p>`;
    // each protocol profile with the reference it reproduces and its deviations (as the records state them)
    const profiled = records.filter((r) => typeof r.protocol.profile === "string");
    const profRows = [...groupBy(profiled, (r) => `${r.suite}\u0000${String(r.protocol.profile)}`)]
      .map(([, rs]) => {
        const r0 = rs[0]!;
        const vals = (k: string): string => uniq(rs.map((r) => (r.protocol[k] === undefined ? "(not recorded)" : String(r.protocol[k])))).join(" / ");
        return `<tr><th scope="row">${esc(String(r0.protocol.profile))}</th><td class="l">${esc(r0.suite)}</td><td class="l">${esc(vals("reference"))}</td><td class="l">${esc(vals("deviations"))}</td><td>${rs.length}</td></tr>`;
      })
      .join("");
    const profHtml = profRows
      ? `<table class="data"><caption>Protocol profiles: the reference each reproduces and every deviation from it</caption><thead><tr><th>Profile</th><th class="l">Suite</th><th class="l">Reference</th><th class="l">Deviations</th><th>Records</th></tr></thead><tbody>${profRows}</tbody></table>`
      : "";
    const times = records.flatMap((r) => [r.startedAt, r.finishedAt]).sort();
    const html = [
      `<table class="data"><caption>Methods and parameters</caption><thead><tr><th>Variant</th><th class="l">Model (hash)</th><th class="l">Method</th><th class="l">Parameters</th><th class="l">Suites</th><th>Records</th></tr></thead><tbody>${mrows}</tbody></table>`,
      profHtml,
      `<div class="grid">`,
      valuesTable("Protocol (prompt construction)", fieldValues(records, (r) => r.protocol)),
      valuesTable("Environment", fieldValues(records, (r) => r.environment)),
      `</div>`,
      `<p class="note">Run ${esc(uniq(records.map((r) => r.runId)).join(", "))}; cases ran from ${esc(times[0] ?? "–")} to ${esc(times[times.length - 1] ?? "–")}. Values that differ between records are listed with their record counts.</p>`,
      cfgHtml,
    ].join("\n");
    return { html, charts: [] };
  },
};
