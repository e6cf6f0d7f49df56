// `gembench generate`: one prompt through one method on one runner.
import { resolve } from "node:path";
import { getMethod, methods, resolveParams } from "../engines/index.ts";
import { createNativeEngineFactory, runnerArgsFromEnv } from "../engines/native-engine.ts";
import { toError, UsageError } from "../core/errors.ts";
import type { EngineFailure } from "../core/engine.ts";
import type { Scalar } from "../core/records.ts";
import { loadTokenizer } from "../harness/tokenizer.ts";
import { parseDevices, parseIds } from "./args.ts";
import { EXIT, log } from "./process.ts";

export interface GenerateOpts {
  model: string;
  method: string;
  param: Record<string, Scalar>;
  override: Record<string, Scalar>;
  seed: number;
  tokenizer?: string;
  prompt?: string;
  ids?: string;
  maxNewTokens: number;
  ignoreEos?: boolean;
  returnSelection?: boolean;
  allowLongInput?: boolean;
  json?: boolean;
  device: string;
  timeoutMs: number;
}

export async function generateCommand(o: GenerateOpts): Promise<number> {
  const adapter = getMethod(o.method);
  if (adapter === undefined) throw new UsageError(`--method: unknown method ${JSON.stringify(o.method)}; expected one of ${Object.keys(methods).join(", ")}`);
  let params;
  try {
    params = resolveParams(adapter, o.param);
  } catch (e) {
    const issues = (e as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
    throw new UsageError(`--param: ${issues ? issues.map((i) => `${i.path.join(".") || "(params)"}: ${i.message}`).join("; ") : toError(e).message}`);
  }
  if ((o.prompt === undefined) === (o.ids === undefined)) throw new UsageError("give exactly one of --prompt TEXT or --ids 1,2,3");
  const synthetic = o.model.startsWith("synthetic:");
  const modelSource = synthetic ? o.model : resolve(o.model);
  const tokenizer = (() => {
    try {
      return loadTokenizer(modelSource, o.tokenizer === undefined ? null : resolve(o.tokenizer));
    } catch (e) {
      if (o.ids !== undefined) return null;
      throw new UsageError(toError(e).message);
    }
  })();
  let inputIds: number[];
  if (o.ids !== undefined) {
    inputIds = parseIds(o.ids);
  } else {
    if (tokenizer === null) throw new UsageError("--prompt needs a tokenizer");
    inputIds = tokenizer.encode(o.prompt ?? "", { addSpecialTokens: true });
  }
  // One runner: "cpu" or one GPU index (a list is `run --devices`).
  if (o.device !== "cpu" && !/^\d+$/.test(o.device)) throw new UsageError(`--device: expected "cpu" or a GPU index like "0", got ${JSON.stringify(o.device)}`);
  const devices = parseDevices(o.device);
  const factory = createNativeEngineFactory({ args: runnerArgsFromEnv(), log });
  const engine = await factory(devices[0]!);
  try {
    const loaded = await engine.load({ model: modelSource, overrides: o.override, seed: o.seed, dtype: devices[0] === "cpu" ? "f32" : "bf16", maxContext: null }, { timeoutMs: o.timeoutMs });
    if (!loaded.ok) {
      const failure = inFlags(loaded.failure);
      log(`load failed: ${failure.message}${failure.hint ? `\nhint: ${failure.hint}` : ""}`);
      process.stdout.write(`${JSON.stringify({ ok: false, error: failure })}\n`);
      return EXIT.errored;
    }
    // Checked here too (the runner refuses them as well): the message names the flag and the model's vocabulary size.
    const vocab = loaded.value.vocabSize;
    const bad = inputIds.findIndex((id) => id >= vocab);
    if (bad >= 0) {
      const flag = o.ids !== undefined ? "--ids" : `--prompt (tokenized with ${o.tokenizer === undefined ? "the model's tokenizer" : `--tokenizer ${o.tokenizer}`})`;
      throw new UsageError(`${flag}: token id ${inputIds[bad]} (position ${bad}) is outside ${o.model}'s vocabulary [0, ${vocab}) (vocab size ${vocab})`);
    }
    const out = await engine.generate(
      { inputIds, method: adapter.toRunner(params), maxNewTokens: o.maxNewTokens, minNewTokens: 0, stopIds: [], ignoreEos: o.ignoreEos === true, returnSelection: o.returnSelection === true, allowLongInput: o.allowLongInput === true },
      { timeoutMs: o.timeoutMs },
    );
    if (!out.ok) {
      const failure = inFlags(out.failure);
      log(`generate failed: ${failure.message}${failure.hint ? `\nhint: ${failure.hint}` : ""}`);
      process.stdout.write(`${JSON.stringify({ ok: false, error: failure })}\n`);
      return EXIT.errored;
    }
    const r = out.value;
    const result = {
      ok: true,
      model: o.model,
      method: { name: adapter.name, params, label: adapter.label(params) },
      inputIds,
      inputLength: r.inputLength,
      outputIds: r.outputIds,
      outputText: tokenizer === null ? null : tokenizer.decode(r.outputIds, { skipSpecialTokens: true }),
      stopReason: r.stopReason,
      keptLength: r.keptLength,
      selection: r.selection ?? null,
      timings: r.timings,
      memory: r.memory,
    };
    if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(`${result.outputText ?? JSON.stringify(result.outputIds)}\n`);
      log(`${adapter.label(params)}: input ${r.inputLength} tokens, kept ${String(r.keptLength)}, ${r.outputIds.length} new tokens (${r.stopReason}), total ${r.timings.totalMs.toFixed(1)} ms`);
    }
    return EXIT.ok;
  } finally {
    await engine.close();
  }
}

/** The runner's and engine's hints name config keys; here the user typed flags: name the flags instead. */
function inFlags(f: EngineFailure): EngineFailure {
  const words = (text: string): string =>
    text.replace(/raise run\.timeoutMs \(or run\.loadTimeoutMs\)/, "raise --timeout-ms").replace(/set allowLongInput: true/, "pass --allow-long-input");
  return { ...f, message: words(f.message), hint: words(f.hint) };
}
