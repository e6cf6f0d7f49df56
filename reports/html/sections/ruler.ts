// RULER: per method a task × max_seq_length table of RULER task scores (round(100·mean, 2)) with the per-length
// average row, methods side by side for each length (datasets/ruler/aggregate.ts, the numbers summary.md gives).
import { summarizeRuler } from "../../../datasets/ruler/aggregate.ts";
import type { GemRecord } from "../../../core/records.ts";
import { groupBy, headline, variantOf } from "../../aggregate.ts";
import { fx } from "../../format.ts";
import { esc } from "../escape.ts";
import type { Section } from "../section.ts";

export const rulerSection: Section = {
  id: "ruler",
  title: "RULER",
  build(records, ctx) {
    const rs = records.filter((r) => r.suite === "ruler");
    if (!rs.some((r) => headline(r))) return null;
    const cells = [...groupBy(rs, (r) => r.cellKey)].map(([, xs]) => ({ name: variantOf(xs[0] as GemRecord, { withModel: ctx.withModel }), s: summarizeRuler(xs) }));
    const lengths = [...new Set(cells.flatMap((c) => c.s.lengths))].sort((a, b) => a - b);
    const tasks = [...new Set(cells.flatMap((c) => c.s.tasks))];
    const head = `<tr><th rowspan="2">Task</th>${lengths.map((l) => `<th colspan="${cells.length}">${l}</th>`).join("")}</tr><tr>${lengths
      .map(() => cells.map((c) => `<th>${esc(c.name)}</th>`).join(""))
      .join("")}</tr>`;
    const body = tasks.map((t) => `<tr><th scope="row">${esc(t)}</th>${lengths.map((l) => cells.map((c) => `<td>${fx(c.s.scores[t]?.[l], 2)}</td>`).join("")).join("")}</tr>`);
    body.push(
      `<tr class="total"><th scope="row">Average</th>${lengths.map((l) => cells.map((c) => `<td>${fx(c.s.average[l]?.score, 2)}${c.s.average[l] ? ` <span class="note">(${c.s.average[l].tasks})</span>` : ""}</td>`).join("")).join("")}</tr>`,
    );
    return {
      html: [
        `<p class="note">RULER task scores: per task and max_seq_length round(100 × mean, 2) of string_match_all (niah, vt, cwe, fwe) or string_match_part (qa); Average = mean of the task scores at that length, in brackets how many tasks it averages (RULER: 13; a task that did not run is left out, never scored 0).</p>`,
        `<div class="scroll"><table class="data ruler"><thead>${head}</thead><tbody>${body.join("")}</tbody></table></div>`,
      ].join("\n"),
      charts: [],
    };
  },
};
