#!/usr/bin/env node
// Runs the TypeScript CLI (cli/main.ts) in this process through tsx's loader: no child process, so signals,
// exit codes and a kill of this process reach the CLI directly.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
