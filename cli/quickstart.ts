// `gembench quickstart`: the small NIAH grid × all methods on the CPU, then where the results are and what they show.
import { join } from "node:path";
import { loadRunRecords } from "../core/results.ts";
import { quickstartTable } from "../reports/console.ts";
import { log, REPO_DIR } from "./process.ts";
import { runCommand } from "./run.ts";

export const QUICKSTART_CONFIG = join(REPO_DIR, "configs", "quickstart.json");

/** `gembench quickstart`: the small NIAH grid × all methods on the CPU, then where the results are and what they show. */
export async function quickstartCommand(o: { config?: string; out?: string; devices: string }): Promise<number> {
  const configPath = o.config ?? QUICKSTART_CONFIG;
  const out = o.out ?? join(REPO_DIR, "results", "quickstart");
  log(`gembench quickstart: ${configPath} → ${out}`);
  const { code, summary, reports } = await runCommand(configPath, { out, devices: o.devices, quiet: true });
  if (summary === null || summary.interrupted) return code;
  const cellKeys = new Set(summary.cellList.map((c) => c.cellKey));
  const lines = [
    "",
    `Quick start done: ${summary.cases} cases (${summary.completed} run now, ${summary.resumed} from an earlier run, ${summary.errored} errored).`,
    "",
    "Passkey retrieval (exact match of the 5-digit pass key), per method (mean over the grid):",
    ...quickstartTable(loadRunRecords(out).filter((r) => cellKeys.has(r.cellKey))),
    "",
    "The model, synthetic:retrieval-tiny, is a 3-layer Llama whose weights are written, not trained: it copies the value",
    "that follows the question's cue anywhere in its context, so dense attention answers every case and a method scores",
    "only when it keeps the needle (engines/native/RETRIEVAL-MODEL.md). GemFilter selects at its induction layer;",
    "random keeps about k/n of the needle. Point a config at a real HF model folder to measure a real model.",
    "",
    `Re-running resumes; \`npx gembench run ${configPath} --out ${out}\` does the same with a full summary table.`,
    "",
    `Results: ${out}`,
    `  records.jsonl   one JSON record per case (scores, kept tokens, timings, memory, environment)`,
    ...reports.map((r) => `  ${r}`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return code;
}
