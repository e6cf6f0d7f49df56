// What every command shares with the process: its exit codes (documented in --help), the stderr log, the repo root.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const EXIT = { ok: 0, errored: 1, usage: 2, interrupted: 130 } as const;

export const EXIT_HELP = `
Exit codes:
  0    success (every case completed, unsupported or skipped)
  1    the run finished but some cases errored (or a model or its tokenizer failed to load); see records.jsonl
  2    bad usage, an invalid config (the message names the JSON path and what was expected) or an unreadable
       input file (missing, not a regular file, too large, corrupt)
  130  interrupted (Ctrl-C or SIGTERM); re-run the same command to resume`;

/** Progress and logs go to stderr; stdout is for machine-readable results. */
export function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** The repository root (configs/, results/ and the git commit recorded in every record are found from here). */
export const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
