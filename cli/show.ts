// `gembench show ruler`: one generated RULER sample (prompt, answer prefix, references, lengths) as the suite builds
// it, so it can be set beside RULER's own output.
import { resolve } from "node:path";
import { toError, UsageError } from "../core/errors.ts";
import { RulerData, RulerOptions, TASK_NAMES, taskSamples, type RulerSample, type TaskName } from "../datasets/ruler/index.ts";
import { loadTokenizer } from "../harness/tokenizer.ts";
import { EXIT } from "./process.ts";

export interface ShowRulerFlags {
  task: string;
  length: number;
  model: string;
  tokenizer?: string;
  essays?: string;
  squad?: string;
  hotpotqa?: string;
  seed: number;
  sample: number;
  template: string;
  vtExampleLength: number;
}

export async function showRulerCommand(o: ShowRulerFlags): Promise<number> {
  const task = TASK_NAMES.find((t) => t === o.task);
  if (task === undefined) throw new UsageError(`--task: expected one of ${TASK_NAMES.join(", ")}, got ${JSON.stringify(o.task)}`);
  if (o.template !== "base" && o.template !== "chat") throw new UsageError(`--template: expected base or chat, got ${JSON.stringify(o.template)}`);
  const opts = RulerOptions.parse({
    tasks: [task],
    lengths: [o.length],
    samples: o.sample + 1,
    seed: o.seed,
    template: o.template,
    vtExampleLength: o.vtExampleLength,
    ...(o.essays ? { essays: resolve(o.essays) } : {}),
    ...(o.squad ? { squad: resolve(o.squad) } : {}),
    ...(o.hotpotqa ? { hotpotqa: resolve(o.hotpotqa) } : {}),
  });
  let s: RulerSample | undefined;
  try {
    const tok = loadTokenizer(o.model.startsWith("synthetic:") ? o.model : resolve(o.model), o.tokenizer ? resolve(o.tokenizer) : null);
    for (const x of taskSamples(opts, new RulerData(opts, process.cwd()), tok, task as TaskName, o.length, o.sample + 1)) s = x;
  } catch (e) {
    throw new UsageError(`show ruler: ${toError(e).message}`);
  }
  const x = s as RulerSample;
  process.stdout.write(
    [
      `# ruler ${x.task} · max_seq_length ${x.maxSeqLength} · sample ${x.index} · seed ${o.seed} · template ${o.template}`,
      `# length (prompt tokens + tokens_to_generate, RULER's count): ${x.length} · haystack units: ${x.haystack}`,
      "# --- prompt (context | question | answer prefix) ---",
      x.input,
      "# --- question ---",
      x.split.question,
      "# --- answer prefix ---",
      JSON.stringify(x.split.answerPrefix),
      "# --- references ---",
      JSON.stringify(x.answers),
      "",
    ].join("\n"),
  );
  return EXIT.ok;
}
