// gembench: the command line. Machine-readable results on stdout, progress and logs on stderr.
// One file per command in this folder; this one wires them into commander and maps errors to exit codes.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { methods } from "../engines/index.ts";
import { toError, UsageError } from "../core/errors.ts";
import { collectKeyValue, parseNonNegativeInt, parsePositiveInt, parseTaskList, parseThreshold } from "./args.ts";
import { compareCliCommand, type CompareFlags } from "./compare.ts";
import { generateCommand, type GenerateOpts } from "./generate.ts";
import { listCommand } from "./list.ts";
import { EXIT, EXIT_HELP, log } from "./process.ts";
import { quickstartCommand } from "./quickstart.ts";
import { reportCommand } from "./report.ts";
import { runCommand } from "./run.ts";
import { LARGE_GRID_CELLS } from "../harness/config.ts";
import { setupTransformersCommand } from "./setup-transformers.ts";
import { slurmCommand, type SlurmFlags } from "./slurm.ts";
import { statusCommand } from "./status.ts";

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name("gembench")
    .description("Benchmark harness for long-context LLM inference methods (dense, SnapKV, H2O, GemFilter, random)")
    .addHelpText("after", EXIT_HELP)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command("run")
    .description("run an experiment config; re-running with the same --out resumes")
    .argument("<config>", "configs/*.json")
    .option("--out <dir>", "run folder (default results/<config name>)")
    .option("--devices <list>", 'one runner per entry: "cpu" or GPU indices "0,1"', "cpu")
    .option("--limit <n>", "at most n cases per cell (the first ones)", parsePositiveInt("--limit"))
    .option("--allow-large-grid", `run a grid of more than ${LARGE_GRID_CELLS} cells (refused without it)`)
    .option("--shard <i/N>", "run only shard i of N (0-based) into its own records file; N processes with one --out make one run")
    .option("--engine <list>", 'run every engine entry on these engines instead of the config\'s own: "native", "transformers" or "native,transformers"')
    .option("--extend", "--out holds a run of another config: make this config the run's (the old config.json kept as config.<n>.json, its records kept); refused without it")
    .addHelpText("after", EXIT_HELP)
    .action(async (config: string, o: { out?: string; devices: string; limit?: number; allowLargeGrid?: boolean; shard?: string; engine?: string; extend?: boolean }) => {
      setExit((await runCommand(config, o)).code);
    });

  program
    .command("generate")
    .description("one prompt through one method; --json prints one object (outputIds, outputText, keptLength, selection, timings, memory)")
    .requiredOption("--model <model>", 'HF folder or "synthetic:<preset>"')
    .requiredOption("--method <name>", Object.keys(methods).join(" | "))
    .option("--param <name=value>", "method parameter (repeatable)", collectKeyValue("--param"), {})
    .option("--override <key=value>", "synthetic model config override (repeatable)", collectKeyValue("--override"), {})
    .option("--seed <n>", "synthetic weight seed", parseNonNegativeInt("--seed"), 0)
    .option("--tokenizer <dir>", "tokenizer folder (default: the model's, or byte-level for synthetic)")
    .option("--prompt <text>", "prompt text (BOS added as the tokenizer does)")
    .option("--ids <list>", "prompt token ids, comma-separated")
    .option("--max-new-tokens <n>", "tokens to generate", parsePositiveInt("--max-new-tokens"), 32)
    .option("--ignore-eos", "do not stop at EOS")
    .option("--return-selection", "include the kept prompt positions")
    .option("--allow-long-input", "run past the model's max_position_embeddings")
    .option("--json", "print one JSON object on stdout")
    .addOption(new Option("--device <d>", 'runner device: "cpu" or a GPU index').default("cpu"))
    .option("--timeout-ms <n>", "per request", parsePositiveInt("--timeout-ms"), 600_000)
    .action(async (o: GenerateOpts) => {
      setExit(await generateCommand(o));
    });

  program
    .command("list")
    .description("methods with their parameters and defaults, suites with their datasets, synthetic presets")
    .option("--json", "one JSON object on stdout")
    .action(async (o: { json?: boolean }) => {
      setExit(await listCommand(o));
    });

  program
    .command("setup-transformers")
    .description("create a venv with torch, transformers and safetensors (pip as configured here) for the transformers engine, and record its Python")
    .option("--venv <dir>", "the venv's folder (default ~/.local/share/gembench/transformers-venv)")
    .option("--python <bin>", "the Python that creates the venv", "python3")
    .action((o: { venv?: string; python: string }) => {
      setExit(setupTransformersCommand(o));
    });

  program
    .command("score")
    .description("score predictions made elsewhere")
    .command("longbench")
    .description("score a LongBench prediction file (JSONL: pred, answers, all_classes, optional length) exactly as the official eval.py; prints JSON")
    .requiredOption("--dataset <name>", "LongBench dataset, e.g. hotpotqa (a name ending in _e implies --e)")
    .requiredOption("--predictions <file>", "the prediction file")
    .option("--e", "LongBench-E: also the 0-4k / 4-8k / 8k+ buckets (every line needs length)")
    .option("--scoring <mode>", 'official, or corrected (recursion failures, classification list mutation, per-line all_classes fixed)', "official")
    .option("--code-sim-variant <v>", "code_sim's fuzz.ratio (lcc, repobench-p only): levenshtein (python-Levenshtein >= 0.13; the default), levenshtein-0.12, or difflib")
    .action(async (o: { dataset: string; predictions: string; e?: boolean; scoring: string; codeSimVariant: string }) => {
      const { scoreLongbenchCli } = await import("./score.ts");
      setExit(await scoreLongbenchCli(o));
    });

  program
    .command("show")
    .description("print what a suite generates")
    .command("ruler")
    .description("one RULER sample: its prompt, question, answer prefix and references (compare with RULER's own output)")
    .requiredOption("--task <name>", "niah_single_1 … qa_2")
    .requiredOption("--length <n>", "max_seq_length (prompt + tokens_to_generate)", parsePositiveInt("--length"))
    .option("--model <model>", 'HF folder (its tokenizer counts the length) or "synthetic:<preset>" (byte-level)', "synthetic:tiny-llama")
    .option("--tokenizer <dir>", "tokenizer folder (default: the model's)")
    .option("--essays <dir>", "Paul Graham essays folder (the essay NIAH tasks)")
    .option("--squad <file>", "SQuAD v2.0 dev JSON (qa_1)")
    .option("--hotpotqa <file>", "HotpotQA dev distractor JSON (qa_2)")
    .option("--seed <n>", "seed", parseNonNegativeInt("--seed"), 42)
    .option("--sample <i>", "sample index", parseNonNegativeInt("--sample"), 0)
    .option("--template <t>", "base or chat (the model's chat template)", "base")
    .option("--vt-example-length <n>", "max_seq_length of vt's one-shot example", parsePositiveInt("--vt-example-length"), 500)
    .action(async (o: import("./show.ts").ShowRulerFlags) => {
      const { showRulerCommand } = await import("./show.ts");
      setExit(await showRulerCommand(o));
    });

  program
    .command("quickstart")
    .description("a small NIAH grid × all methods on the CPU with a synthetic model (about two minutes), then where the results are")
    .option("--config <file>", "another quickstart config", undefined)
    .option("--out <dir>", "run folder (default results/quickstart)")
    .option("--devices <list>", "as for run", "cpu")
    .action(async (o: { config?: string; out?: string; devices: string }) => {
      setExit(await quickstartCommand(o));
    });

  program
    .command("slurm")
    .description("run a config as a Slurm job array, one shard per task, into one run folder; re-submitting resumes the shards not done")
    .argument("<config>", "configs/*.json")
    .option("--out <dir>", "run folder, on a filesystem every node sees (default results/<config name>)")
    .option("--shards <n>", "number of shards = array tasks (default: the last submission's, else one per model)", parsePositiveInt("--shards"))
    .option("--gpus-per-task <g>", "GPUs per shard (one runner each); 0 (default, as run's --devices cpu) runs on the CPU", parseNonNegativeInt("--gpus-per-task"), 0)
    .option("--cpus-per-task <c>", "CPUs per shard", parsePositiveInt("--cpus-per-task"), 1)
    .option("--partition <p>", "Slurm partition")
    .option("--time <HH:MM:SS>", "time limit per shard")
    .option("--sbatch-arg <arg>", "any other sbatch option, e.g. --sbatch-arg=--account=lab (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--tasks <list>", "submit only these shards, e.g. 1,3 (default: every shard not done, running or queued)", parseTaskList)
    .option("--limit <n>", "as for run: at most n cases per cell", parsePositiveInt("--limit"))
    .option("--allow-large-grid", `as for run: a grid of more than ${LARGE_GRID_CELLS} cells`)
    .option("--no-report", "do not submit the dependent job that writes the merged reports")
    .option("--dry-run", "print the sbatch scripts and submit nothing")
    .option("--extend", "as for run: --out holds a run of another config, make this config the run's")
    .action((config: string, o: SlurmFlags) => {
      setExit(slurmCommand(config, o));
    });

  program
    .command("status")
    .description("per-shard progress of a run folder (done / errored / running / pending), from its records and squeue/sacct where present")
    .argument("<runDir>", "a run folder")
    .option("--json", "one JSON object on stdout")
    .action((runDir: string, o: { json?: boolean }) => {
      setExit(statusCommand(runDir, o));
    });

  program
    .command("report")
    .description("write summary.csv, summary.md and report.html (self-contained, opens offline) into a run folder")
    .argument("<runDir>", "a run folder (results/<name>) with records.jsonl")
    .action(async (runDir: string) => {
      setExit(await reportCommand(runDir));
    });

  program
    .command("compare")
    .description("CI regression gate: match cells by cellKey, print a markdown table of accuracy deltas and speed/memory ratios")
    .argument("<baseline>", "baseline run folder (or its records.jsonl)")
    .argument("<candidate>", "candidate run folder (or its records.jsonl)")
    .option("--thresholds <file>", 'JSON: {"maxAccuracyDrop": 1, "maxTimeRatio": 1.1, "maxMemoryRatio": 1.05, "minTimeMs": 5} (null = not gated / no floor); flags override it')
    .option("--max-accuracy-drop <points>", 'largest allowed score drop, points ×100 (default 1; "off")', parseThreshold("--max-accuracy-drop", { positive: false }))
    .option("--max-time-ratio <r>", 'largest allowed candidate/baseline median time ratio (default 1.1; "off")', parseThreshold("--max-time-ratio", { positive: true }))
    .option("--max-memory-ratio <r>", 'largest allowed candidate/baseline peak memory ratio (default 1.05; "off")', parseThreshold("--max-memory-ratio", { positive: true }))
    .option("--min-time-ms <ms>", 'time floor: a time ratio whose two medians are both below it is shown "below floor", not judged (default 5; "off" judges all)', parseThreshold("--min-time-ms", { positive: false }))
    .addHelpText(
      "after",
      `
Exit codes:
  0    no regression (cells only in one run are listed, not failed)
  1    a regression: a metric dropped, a time or memory ratio exceeded its threshold, or a case newly errored
  2    bad usage: a missing folder, no records.jsonl, a corrupt records file, a bad thresholds file, or no cells in common`,
    )
    .action((baseline: string, candidate: string, o: CompareFlags) => {
      setExit(compareCliCommand(baseline, candidate, o));
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.code === "commander.version") return EXIT.ok;
      return EXIT.usage;
    }
    if (e instanceof UsageError) {
      log(e.message);
      return EXIT.usage;
    }
    const err = toError(e);
    log(process.env.GEMBENCH_DEBUG === "1" ? `gembench: ${err.stack ?? err.message}` : `gembench: ${err.message}\n(GEMBENCH_DEBUG=1 shows where it happened)`);
    return EXIT.errored;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

