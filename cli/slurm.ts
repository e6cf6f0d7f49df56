// `gembench slurm`: submit a config as a Slurm job array (harness/slurm.ts); --dry-run prints the scripts instead.
import { suites as suiteRegistry } from "../datasets/index.ts";
import { slurmSubmit, type SlurmOptions } from "../harness/slurm.ts";
import { EXIT, log } from "./process.ts";

/** commander's view of the flags: --no-report arrives as report: false. */
export type SlurmFlags = Omit<SlurmOptions, "noReport"> & { report: boolean };

export function slurmCommand(configPath: string, o: SlurmFlags): number {
  const { report, ...rest } = o;
  const r = slurmSubmit(configPath, { ...rest, noReport: !report }, suiteRegistry, log);
  if (o.dryRun) {
    if (r.tasks.length > 0) {
      const then = r.reportScript === null ? "" : `\n# --- then, submitted with --dependency=afterany:<array job id>:\n${r.reportScript}`;
      process.stdout.write(`${r.script}${then}`);
    }
  } else {
    const s = r.submission;
    process.stdout.write(`${JSON.stringify({ jobId: s?.jobId ?? null, reportJobId: s?.reportJobId ?? null, tasks: r.tasks, script: s?.script ?? null })}\n`);
  }
  return EXIT.ok;
}
