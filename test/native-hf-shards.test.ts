// A sharded checkpoint (model.safetensors.index.json + shards) loads to the same model as the single file; a shard
// named by the index but absent is an error naming the shard and the tensor.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readSafetensors, writeSafetensors, type StTensor } from "./helpers/safetensors.ts";
import { openRunner } from "./helpers/native.ts";

test("sharded checkpoint = single file; a missing shard is named", async (t) => {
  const r = await openRunner();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-shards-"));
  try {
    await r.ok({ op: "load", model: "synthetic:tiny-qwen2", seed: 2 });
    const single = path.join(tmp, "single");
    await r.ok({ op: "export", dir: single });
    const gen = async () =>
      (await r.ok({ op: "generate", inputIds: [1, 70, 71, 72, 90, 100], method: { name: "dense" }, maxNewTokens: 5, ignoreEos: true, returnLogits: true })).firstLogits;
    const want = await gen();

    const tensors = readSafetensors(path.join(single, "model.safetensors"));
    const names = [...tensors.keys()];
    const shards: Map<string, StTensor>[] = [new Map(), new Map(), new Map()];
    const weightMap: Record<string, string> = {};
    names.forEach((n, i) => {
      shards[i % 3]!.set(n, tensors.get(n)!);
      weightMap[n] = `model-0000${(i % 3) + 1}-of-00003.safetensors`;
    });
    const sharded = path.join(tmp, "sharded");
    fs.mkdirSync(sharded);
    fs.copyFileSync(path.join(single, "config.json"), path.join(sharded, "config.json"));
    shards.forEach((s, i) => writeSafetensors(path.join(sharded, `model-0000${i + 1}-of-00003.safetensors`), s));
    fs.writeFileSync(path.join(sharded, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    await r.ok({ op: "load", model: sharded });
    t.deepEqual(await gen(), want);

    fs.rmSync(path.join(sharded, "model-00002-of-00003.safetensors"));
    const bad = await r.send({ op: "load", model: sharded });
    t.false(bad.ok);
    if (!bad.ok) {
      t.is(bad.error.code, "model_error");
      t.regex(bad.error.message, /model-00002-of-00003\.safetensors/);
      t.regex(bad.error.message, /tensor '[^']+'/);
    }
  } finally {
    await r.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
