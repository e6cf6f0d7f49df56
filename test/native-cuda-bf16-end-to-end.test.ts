// The CUDA backend end to end against the CPU backend running the SAME bf16-rounded weights (the export path rounds
// to bf16 as the CUDA backend holds them; the CPU loads the BF16 folder exactly and computes in fp32), on the presets
// with the real head sizes (tiny-llama-d64: mma.sync; tiny-mistral-d128: Hopper on sm_90), GQA, 3 layers:
//   - the first step's logits within BF16_TOL = 2e-2 of the CPU's largest |logit| (the CUDA backend rounds
//     activations to bf16 — 2^-9 relative — at every matmul input, about ten roundings deep; 2e-2 is that budget);
//   - the first step's top-5 ids equal, over the leading ranks whose CPU gaps exceed the tolerance twice;
//   - the greedy ids equal up to the first step where the CPU's own top-2 logits are within twice the tolerance (a
//     near-tie, after which the continuations may differ), and at least the first id equal.
// A 77-token prompt: with GEMBENCH_CUDA_PREFILL_CHUNK=37 (the GPU check's `chunked` step) the prefill runs chunks of
// 37, 37 and 3 tokens (query offsets 37 and 74); 8 new tokens run the decode graph (warm-up step, capture, replays),
// or eager steps with GEMBENCH_CUDA_GRAPHS=0.
// Runs where the runner under test is the CUDA one (GEMBENCH_RUNNER_ARGS="--backend cuda", as the GPU check sets);
// elsewhere it is skipped, visibly.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openRunner, type RunnerHandle } from "./helpers/native.ts";

const onCuda = /--backend\s+cuda\b/.test(process.env.GEMBENCH_RUNNER_ARGS ?? "");
if (!onCuda) console.warn("skipping the bf16 end-to-end test: it compares the CUDA backend (GEMBENCH_RUNNER_ARGS=\"--backend cuda\", on a GPU) with the CPU");

const BF16_TOL = 2e-2;
const presets = ["tiny-llama-d64", "tiny-mistral-d128"];
const prompt = Array.from({ length: 77 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 53 + (i % 7) * 11) % 250)));

let dev: RunnerHandle | null = null;
let cpu: RunnerHandle | null = null;
let dir = "";
test.before(async () => {
  if (!onCuda) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gem-bf16-"));
  dev = await openRunner();
  cpu = await openRunner(["--threads", "2", "--backend", "cpu"], false);
});
test.after.always(async () => {
  await dev?.close();
  await cpu?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const ranked = (logits: number[]) => logits.map((v, i) => [i, v] as [number, number]).sort((a, b) => b[1] - a[1] || a[0] - b[0]);

async function generate(r: RunnerHandle, ids: number[], maxNewTokens: number) {
  const res = await r.ok({ op: "generate", inputIds: ids, method: { name: "dense", params: {} }, maxNewTokens, ignoreEos: true, returnLogits: true });
  return { out: res.outputIds as number[], logits: res.firstLogits as number[] };
}

for (const preset of presets) {
  (onCuda ? test.serial : test.skip)(`${preset}: CUDA logits, top-5 and greedy ids match the CPU on the same bf16 weights`, async (t) => {
    if (!dev || !cpu) return t.fail("runners did not start");
    t.is(dev.hello.backend, "cuda");
    const folder = path.join(dir, preset);
    await cpu.ok({ op: "load", model: `synthetic:${preset}`, seed: 11 });
    await cpu.ok({ op: "export", dir: folder, dtype: "bf16" });
    const ci = await cpu.ok({ op: "load", model: folder });
    const di = await dev.ok({ op: "load", model: folder });
    t.is(di.dtype, "bf16");
    t.is(di.headDim, ci.headDim);
    const want = await generate(cpu, prompt, 8);
    const got = await generate(dev, prompt, 8);
    const scale = Math.max(...want.logits.map(Math.abs));
    const tolAbs = BF16_TOL * scale;
    const worst = Math.max(...want.logits.map((v, i) => Math.abs(v - (got.logits[i] ?? Number.NaN))));
    t.true(worst <= tolAbs, `largest logit difference ${worst} > ${tolAbs} (${BF16_TOL} of ${scale})`);
    // Top-5 over the leading ranks the tolerance can tell apart.
    const wr = ranked(want.logits), gr = ranked(got.logits);
    let k = 0;
    while (k < 5 && (wr[k]?.[1] ?? 0) - (wr[k + 1]?.[1] ?? 0) > 2 * tolAbs) k++;
    t.deepEqual(gr.slice(0, k).map((x) => x[0]), wr.slice(0, k).map((x) => x[0]), `top-${k} ids`);
    t.log(`${preset}: logits within ${(worst / scale).toExponential(2)} of the scale ${scale.toFixed(3)}; top-${k} ids compared`);
    // Greedy ids: equal until a CPU near-tie.
    let same = 0;
    while (same < want.out.length && want.out[same] === got.out[same]) same++;
    t.true(same >= 1 || k === 0, `first greedy id ${got.out[0]} vs the CPU's ${want.out[0]}`);
    if (same < want.out.length) {
      const at = await generate(cpu, [...prompt, ...want.out.slice(0, same)], 1);
      const r2 = ranked(at.logits);
      const gap = (r2[0]?.[1] ?? 0) - (r2[1]?.[1] ?? 0);
      t.true(gap <= 2 * tolAbs, `greedy ids differ at step ${same} (${JSON.stringify(got.out)} vs ${JSON.stringify(want.out)}) where the CPU's top-2 gap ${gap} exceeds ${2 * tolAbs}`);
      t.log(`${preset}: greedy ids agree for ${same} steps, then a near-tie (gap ${gap})`);
    }
  });
}
