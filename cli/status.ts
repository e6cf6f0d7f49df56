// `gembench status`: per-shard progress of a run folder.
import { resolve } from "node:path";
import { runStatus } from "../harness/shard-status.ts";
import { statusTable } from "../reports/console.ts";
import { EXIT } from "./process.ts";

export function statusCommand(runDir: string, o: { json?: boolean }): number {
  const s = runStatus(resolve(runDir));
  process.stdout.write(o.json ? `${JSON.stringify(s)}\n` : `${statusTable(s)}\n`);
  return EXIT.ok;
}
