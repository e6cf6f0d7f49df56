// `gembench score longbench`: scores a LongBench prediction file made elsewhere (datasets/longbench/score-cli.ts).
import { toError, UsageError } from "../core/errors.ts";
import { scoreLongbenchCommand } from "../datasets/longbench/score-cli.ts";
import { CODE_SIM_VARIANTS } from "../datasets/longbench/metrics.ts";
import { EXIT } from "./process.ts";

/** Options of `gembench score longbench` as commander parses them. */
export interface ScoreLongbenchFlags {
  dataset: string;
  predictions: string;
  e?: boolean;
  scoring: string;
  /** Absent: the default variant (only code_sim datasets take one). */
  codeSimVariant?: string;
}

/** `gembench score longbench`: prints the JSON result; a bad file or dataset is a usage error (exit 2). */
export async function scoreLongbenchCli(o: ScoreLongbenchFlags): Promise<number> {
  if (o.scoring !== "official" && o.scoring !== "corrected") throw new UsageError(`--scoring: expected official or corrected, got ${JSON.stringify(o.scoring)}`);
  const codeSimVariant = o.codeSimVariant === undefined ? undefined : CODE_SIM_VARIANTS.find((v) => v === o.codeSimVariant);
  if (o.codeSimVariant !== undefined && codeSimVariant === undefined)
    throw new UsageError(`--code-sim-variant: expected one of ${CODE_SIM_VARIANTS.join(", ")}, got ${JSON.stringify(o.codeSimVariant)}`);
  try {
    await scoreLongbenchCommand({
      dataset: o.dataset,
      predictions: o.predictions,
      ...(o.e ? { variant: "e" as const } : {}),
      scoring: o.scoring,
      ...(codeSimVariant === undefined ? {} : { codeSimVariant }),
    });
  } catch (e) {
    throw new UsageError(`score longbench: ${toError(e).message}`);
  }
  return EXIT.ok;
}
