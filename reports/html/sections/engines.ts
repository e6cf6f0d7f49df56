// The two engines side by side where both ran the same cells (aggregate.ts engineAgreement): per method variant, the
// native runner's and the other engine's mean headline score over the cases both completed, and the share of those
// cases whose generated token ids are identical — every accuracy figure cross-checked engine against engine.
import { engineAgreement } from "../../aggregate.ts";
import { fx } from "../../format.ts";
import { esc } from "../escape.ts";
import type { Section } from "../section.ts";

export const enginesSection: Section = {
  id: "engines",
  title: "Engines side by side",
  build(records, ctx) {
    const rows = engineAgreement(records, { withModel: ctx.withModel });
    if (rows.length === 0) return null;
    const body = rows
      .map(
        (r) =>
          `<tr><td>${esc(r.suite)}</td><td>${esc(r.variant)}</td><td>${esc(r.engine)}</td><td class="num">${r.paired}</td><td>${esc(r.metric ?? "–")}</td>` +
          `<td class="num">${fx(r.native, 3)}</td><td class="num">${fx(r.other, 3)}</td><td class="num">${fx(r.agreement, 3)}</td></tr>`,
      )
      .join("");
    const html =
      `<p>The same cells on the native runner and another engine, on the same weights and input ids: the mean headline score of each ` +
      `over the cases both completed, and the share of those cases whose generated token ids are identical.</p>` +
      `<table><thead><tr><th>Suite</th><th>Method</th><th>Engine</th><th>Paired cases</th><th>Metric</th><th>native</th><th>other engine</th><th>Same tokens</th></tr></thead><tbody>${body}</tbody></table>`;
    return { html, charts: [] };
  },
};
