// The cpu backend reproduces the stories260K reference (../shared/models/stories260K/reference.json): greedy output
// token for token for every case, and the first step's top-5 logits to 1e-4 (the reference rounds to 5 decimals and
// its two numpy implementations agree to ~2e-5).
import test from "ava";
import fs from "node:fs";
import { openRunner, type RunnerHandle } from "./helpers/native.ts";
import { NEED, needsShared, STORIES } from "./helpers/shared.ts";

const modelDir = STORIES;
const refPath = NEED.storiesReference;
const available = fs.existsSync(refPath);

interface RefCase {
  prompt: string;
  prompt_ids: number[];
  greedy_ids: number[];
  logits_first_step_top5: [number, number][];
}

let runner: RunnerHandle | null = null;
test.before(async () => {
  if (available) runner = await openRunner();
});
test.after.always(async () => {
  await runner?.close();
});

needsShared([refPath])("stories260K: greedy ids and first-step top-5 logits match the reference", async (t) => {
  const r = runner;
  if (!r) return t.fail("runner did not start");
  const ref = JSON.parse(fs.readFileSync(refPath, "utf8")) as { cases: RefCase[] };
  t.true(ref.cases.length > 0);
  await r.ok({ op: "load", model: modelDir });
  for (const c of ref.cases) {
    const res = await r.ok({
      op: "generate",
      inputIds: c.prompt_ids,
      method: { name: "dense", params: {} },
      maxNewTokens: c.greedy_ids.length,
      ignoreEos: true,
      returnLogits: true,
    });
    t.deepEqual(res.outputIds, c.greedy_ids, `greedy ids for prompt ${JSON.stringify(c.prompt)}`);
    const logits = res.firstLogits as number[];
    const top5 = logits
      .map((v, i) => [i, v] as [number, number])
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, 5);
    t.deepEqual(
      top5.map((x) => x[0]),
      c.logits_first_step_top5.map((x) => x[0]),
      `top-5 ids for prompt ${JSON.stringify(c.prompt)}`,
    );
    c.logits_first_step_top5.forEach(([id, want], i) => {
      const got = top5[i]?.[1] ?? Number.NaN;
      t.true(Math.abs(got - want) <= 1e-4, `logit of ${id}: ${got} vs reference ${want}`);
    });
  }
});
