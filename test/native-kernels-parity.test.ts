// The cpu backend's fast kernel set (default) against the reference set (`--kernels reference`): on every tiny preset
// and small-llama, each method's greedy tokens and selection are equal and the first-step logits agree to 1e-4
// (relative to the largest |logit|); on stories260K (../shared), dense's greedy tokens are equal.
import test from "ava";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { openRunner, type RunnerHandle } from "./helpers/native.ts";

const presets = ["tiny-llama", "tiny-mistral", "tiny-qwen2", "tiny-phi3", "small-llama"];
const methods = [
  { name: "dense", params: {} },
  { name: "snapkv", params: { k: 48 } },
  { name: "h2o", params: { k: 48, recent: 8 } },
  { name: "gemfilter", params: { filterLayer: 1, k: 48 } },
];
const storiesDir = fileURLToPath(new URL("../../shared/models/stories260K/", import.meta.url));
const storiesRef = `${storiesDir}reference.json`;

let fast: RunnerHandle | null = null;
let ref: RunnerHandle | null = null;
test.before(async () => {
  fast = await openRunner(["--threads", "2", "--kernels", "fast"]);
  ref = await openRunner(["--threads", "2", "--kernels", "reference"]);
});
test.after.always(async () => {
  await fast?.close();
  await ref?.close();
});

function ids(n: number, vocab: number): number[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 3 + ((i * 37 + (i % 5) * 11) % (vocab - 3))));
}

test.serial("the hello names each runner's kernel set", (t) => {
  t.regex(String(fast?.hello.kernels), /^fast\/(avx512|avx2|none)$/);
  t.regex(String(fast?.hello.device), /fast\/(avx512|avx2|none) kernels/);
  t.regex(String(ref?.hello.kernels), /^reference\//);
});

for (const preset of presets) {
  test.serial(`${preset}: fast and reference kernels give the same tokens and selections`, async (t) => {
    const f = fast, r = ref;
    if (!f || !r) return t.fail("runners did not start");
    const info = await f.ok({ op: "load", model: `synthetic:${preset}`, seed: 5 });
    await r.ok({ op: "load", model: `synthetic:${preset}`, seed: 5 });
    const input = ids(preset === "small-llama" ? 300 : 120, info.vocabSize as number);
    for (const method of methods) {
      const req = { op: "generate", inputIds: input, method, maxNewTokens: 8, ignoreEos: true, returnLogits: true, returnSelection: true };
      const a = await f.ok(req);
      const b = await r.ok(req);
      t.deepEqual(a.outputIds, b.outputIds, `${method.name}: greedy tokens`);
      t.deepEqual(a.selection, b.selection, `${method.name}: selection`);
      const la = a.firstLogits as number[], lb = b.firstLogits as number[];
      const scale = Math.max(1, ...lb.map((x) => Math.abs(x)));
      const err = Math.max(...la.map((x, i) => Math.abs(x - (lb[i] ?? Number.NaN))));
      t.true(err <= 1e-4 * scale, `${method.name}: first logits differ by ${err} (scale ${scale})`);
    }
  });
}

(fs.existsSync(storiesRef) ? test.serial : test.skip)("stories260K: fast and reference kernels give the same greedy tokens", async (t) => {
  const f = fast, r = ref;
  if (!f || !r) return t.fail("runners did not start");
  const cases = (JSON.parse(fs.readFileSync(storiesRef, "utf8")) as { cases: { prompt_ids: number[]; greedy_ids: number[] }[] }).cases;
  await f.ok({ op: "load", model: storiesDir });
  await r.ok({ op: "load", model: storiesDir });
  for (const c of cases) {
    const req = { op: "generate", inputIds: c.prompt_ids, method: { name: "dense", params: {} }, maxNewTokens: c.greedy_ids.length, ignoreEos: true };
    t.deepEqual((await f.ok(req)).outputIds, (await r.ok(req)).outputIds);
  }
});
if (!fs.existsSync(storiesRef)) console.warn(`skipping the stories260K kernel parity check: ${storiesRef} is absent (needs ../shared)`);
