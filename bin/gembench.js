#!/usr/bin/env node
// Launches the TypeScript CLI (harness/cli.ts) through tsx, passing arguments, stdio, signals and the exit code.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const tsxCli = require.resolve("tsx/cli");
const child = spawn(process.execPath, [tsxCli, join(here, "..", "harness", "cli.ts"), ...process.argv.slice(2)], { stdio: "inherit" });
// Ctrl-C reaches the child through the terminal's process group; keep this launcher alive until the child is done.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal === "SIGINT" ? 130 : 1));
});
