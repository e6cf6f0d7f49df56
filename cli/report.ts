// `gembench report`: (re)write a run folder's reports.
import { resolve } from "node:path";
import { requireRunDir, writeReports } from "../reports/index.ts";
import { EXIT } from "./process.ts";

/** `gembench report <runDir>`: (re)writes every report format; prints the written paths on stdout. */
export async function reportCommand(runDir: string): Promise<number> {
  const dir = resolve(runDir);
  requireRunDir(dir);
  const paths = await writeReports(dir);
  process.stdout.write(`${paths.join("\n")}\n`);
  return EXIT.ok;
}
