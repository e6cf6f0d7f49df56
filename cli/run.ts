// `gembench run`: one experiment config through the run loop, then its reports and the per-cell table.
import { join, resolve } from "node:path";
import { suites as suiteRegistry } from "../datasets/index.ts";
import { createNativeEngineFactory, runnerArgsFromEnv } from "../engines/native-engine.ts";
import { toError, UsageError } from "../core/errors.ts";
import { loadRunRecords, recordsFileFor } from "../core/results.ts";
import type { SuiteRegistry } from "../core/suite.ts";
import { checkTransformersPython, createTransformersEngineFactory, transformersPython } from "../engines/transformers/engine.ts";
import { checkGridSize, enginesOf, loadConfig, withEngines } from "../harness/config.ts";
import type { EngineRegistry } from "../harness/engines.ts";
import { parseFaultSpec } from "../harness/faults.ts";
import { runExperiment, type RunSummary } from "../harness/run.ts";
import { parseShard } from "../harness/shards.ts";
import { RunnerPool } from "../harness/runner-pool.ts";
import { cellSummaries } from "../reports/aggregate.ts";
import { summaryTable } from "../reports/console.ts";
import { writeReports } from "../reports/index.ts";
import { parseDevices } from "./args.ts";
import { EXIT, log, REPO_DIR } from "./process.ts";

/** Writes summary.csv, summary.md and report.html for a finished run; a report failure is logged, never fails the run. */
async function writeRunReports(runDir: string): Promise<string[]> {
  try {
    return await writeReports(runDir);
  } catch (e) {
    log(`reports: not written (${toError(e).message})`);
    return [];
  }
}

export interface RunCommandOptions {
  out?: string;
  devices: string;
  limit?: number;
  /** Run a grid of more than LARGE_GRID_CELLS cells. */
  allowLargeGrid?: boolean;
  /** "i/N": run only shard i of N (harness/shards.ts). */
  shard?: string;
  suites?: SuiteRegistry;
  /** "native,transformers": every engine entry on these engines instead of the config's own. */
  engine?: string;
  /** The run folder may hold another config: this one becomes the run's (writeRunConfig). */
  extend?: boolean;
  /** Quiet: no summary table (quickstart prints its own). */
  quiet?: boolean;
}

/** `gembench run`: returns the exit code. */
export async function runCommand(configPath: string, o: RunCommandOptions): Promise<{ code: number; summary: RunSummary | null; reports: string[] }> {
  const registry = o.suites ?? suiteRegistry;
  // "" would resolve to the current folder and write the run into it.
  if (o.out !== undefined && o.out.trim() === "") throw new UsageError(`--out: expected a run folder, got ${JSON.stringify(o.out)}`);
  const loaded = loadConfig(configPath, registry);
  const config = o.engine === undefined ? loaded : withEngines(loaded, o.engine);
  checkGridSize(configPath, config, o.allowLargeGrid === true);
  const devices = parseDevices(o.devices);
  const shard = o.shard === undefined ? null : parseShard(o.shard);
  const outDir = resolve(o.out ?? join("results", config.name));
  const runnerArgs = [...config.run.runnerArgs, ...runnerArgsFromEnv()];
  // Another engine is checked before anything runs: a config that asks for it never silently runs without it.
  const engines: EngineRegistry = {};
  if (enginesOf(config).includes("transformers")) {
    const python = transformersPython(config.transformers.python);
    const v = checkTransformersPython(python);
    const gpus = devices.filter((d) => d !== "cpu");
    if (gpus.length > 0 && !v.cuda)
      throw new UsageError(`the transformers engine's torch ${v.torch} (${python}) sees no CUDA device, but the run is on GPU ${gpus.join(",")}: install a CUDA build of torch there, or run on --devices cpu`);
    log(`transformers engine: transformers ${v.transformers}, torch ${v.torch} (${v.cuda ? "CUDA available" : "no CUDA: fp32 on the CPU"}) with ${python}`);
    engines.transformers = { factory: createTransformersEngineFactory({ python, log }), modelDir: config.transformers.modelDir, capabilities: v.capabilities };
  }
  const allowFaults = runnerArgs.includes("--allow-faults");
  const controller = new AbortController();
  // Ctrl-C (SIGINT) or SIGTERM (kill, a job scheduler's time limit): stop cleanly; a second signal quits at once.
  let interrupts = 0;
  const onInterrupt = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) {
      log(`\ninterrupted by ${signal}: finishing the record file and stopping the runners (Ctrl-C again to quit at once)`);
      controller.abort();
    } else process.exit(EXIT.interrupted);
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);
  let summary: RunSummary;
  try {
    summary = await runExperiment({
      config,
      outDir,
      devices,
      limit: o.limit ?? null,
      shard,
      extend: o.extend === true,
      engineFactory: createNativeEngineFactory({ args: runnerArgs, log }),
      makePool: (d, f, po) => new RunnerPool(d, f, po),
      engines,
      suites: registry,
      repoDir: REPO_DIR,
      log,
      progress: { tty: process.stderr.isTTY === true },
      faults: parseFaultSpec(process.env.GEMBENCH_FAULT_CASE),
      allowFaults,
      signal: controller.signal,
    });
  } finally {
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onInterrupt);
  }
  if (summary.interrupted) {
    log(`interrupted; records so far are in ${outDir}/${recordsFileFor(shard)} — re-run the same command to resume`);
    process.stdout.write(`${JSON.stringify({ ...summary, cellList: undefined })}\n`);
    return { code: EXIT.interrupted, summary, reports: [] };
  }
  // A shard leaves the reports to `gembench report` (or the Slurm report job): its siblings may still be writing.
  const reports = shard === null ? await writeRunReports(outDir) : [];
  if (!o.quiet) {
    log("");
    log(summaryTable({ perCell: cellSummaries(summary.cellList, loadRunRecords(outDir)) }));
    log("");
    log(`${summary.cases} cases: ${summary.completed} completed now, ${summary.resumed} already done, ${summary.errored} errored, ${summary.unsupported} unsupported`);
    log(`results: ${outDir}`);
    for (const r of reports) log(`  ${r}`);
    if (shard !== null) log(`shard ${shard.index}/${shard.count} done; \`gembench status ${outDir}\` shows every shard, \`gembench report ${outDir}\` merges them once all are done`);
  }
  process.stdout.write(`${JSON.stringify({ runDir: outDir, cells: summary.cells, cases: summary.cases, completed: summary.completed, resumed: summary.resumed, errored: summary.errored, unsupported: summary.unsupported, modelErrors: summary.modelErrors, reports })}\n`);
  const code = summary.errored > 0 || summary.modelErrors.length > 0 ? EXIT.errored : EXIT.ok;
  return { code, summary, reports };
}
