// The speed/memory bench: fixed-length inputs, a forced number of generated tokens (EOS ignored), so every method
// decodes the same count and only time and memory differ. Measurement rules: ../../../shared/design/MEASUREMENT.md
// (warmups and repeats are run options: configs/paper-speed.json sets warmups 1, repeats 3, ignoreEos true).
import { z } from "zod";
import type { Suite, SuiteCase, SuiteContext } from "../../core/suite.ts";

export const BenchOptions = z
  .object({
    /** Input lengths in tokens (the paper's figure: 8K … 128K). */
    lengths: z.array(z.number().int().positive()).default([8192, 16384, 32768, 65536, 131072]),
    /** Tokens generated per case; the paper times 50. */
    maxNewTokens: z.number().int().min(0).default(50),
    /** Seed of the input token ids (uniform over the non-special vocabulary). */
    seed: z.number().int().min(0).default(0),
    /** Skip input lengths beyond the model's positions (instead of failing the run). An input that fits but whose forced
     *  generation runs past the last position (the paper's 128K = 131072 tokens + 50 on a 131072-position model) is
     *  run: the bench times work, and its inputs are random ids anyway; the case's protocol says so. */
    skipTooLong: z.boolean().default(true),
  })
  .strict();
export type BenchOptions = z.infer<typeof BenchOptions>;

/** splitmix64: a documented, seedable generator so the same seed gives the same inputs everywhere. */
function* splitmix64(seed: number): Generator<bigint> {
  let state = BigInt(seed) & 0xffffffffffffffffn;
  for (;;) {
    state = (state + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    yield z ^ (z >> 31n);
  }
}

/** Input ids: BOS (when the tokenizer has one) followed by uniform ids in [firstId, vocabSize). */
export function benchInputIds(length: number, vocabSize: number, bosId: number | null, seed: number): number[] {
  const firstId = 3; // ids 0..2 are special in every tokenizer we ship or expect (pad/unk, bos, eos)
  if (vocabSize <= firstId) throw new Error(`bench: vocabulary of ${vocabSize} ids has no non-special ids`);
  const span = BigInt(vocabSize - firstId);
  const rng = splitmix64(seed * 1_000_003 + length);
  const ids: number[] = [];
  if (bosId !== null) ids.push(bosId);
  while (ids.length < length) ids.push(firstId + Number(rng.next().value! % span));
  return ids;
}

export const benchSuite: Suite<BenchOptions> = {
  name: "bench",
  description: "Speed and memory at fixed input lengths with a forced generation length (EOS ignored)",
  options: BenchOptions,
  datasets: () => ["bench"],
  estimateCost: (o) => o.lengths.reduce((a, b) => a + b + o.maxNewTokens, 0),
  maxCases: (o) => o.lengths.length,
  async buildCases(options: BenchOptions, ctx: SuiteContext): Promise<SuiteCase[]> {
    const cases: SuiteCase[] = [];
    for (const length of options.lengths) {
      if (length > ctx.model.maxPositions && options.skipTooLong) {
        ctx.log(`bench: skipping length ${length}: ${ctx.model.name} holds ${ctx.model.maxPositions} positions`);
        continue;
      }
      const past = length + options.maxNewTokens > ctx.model.maxPositions;
      cases.push({
        caseId: `len${length}`,
        dataset: "bench",
        inputIds: benchInputIds(length, ctx.tokenizer.vocabSize, ctx.tokenizer.bosId, options.seed),
        references: [],
        maxNewTokens: options.maxNewTokens,
        stopIds: [],
        stopStrings: [],
        caseMeta: { contextLength: length, generatedTokens: options.maxNewTokens, seed: options.seed },
        protocol: { inputs: "uniform random token ids", seed: options.seed, ...(past ? { generationPastMaxPositions: true } : {}) },
        marks: [],
        scoring: {},
        ...(past ? { allowLongInput: true } : {}),
      });
    }
    return cases;
  },
  // Nothing to score: the bench's results are the timings and memory in each record.
  score: () => ({}),
};
