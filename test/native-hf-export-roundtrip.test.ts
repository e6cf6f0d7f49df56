// export writes a Hugging Face folder that loads back to the same model: same architecture info, and bit-identical
// logits, outputs and selections, for a synthetic preset of every family and for the real stories260K folder.
// phi3 is exported with its fused qkv_proj / gate_up_proj, as transformers expects.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readSafetensors } from "./helpers/safetensors.ts";
import { openRunner, type RunnerHandle } from "./helpers/native.ts";
import { NEED, needsShared, STORIES } from "./helpers/shared.ts";

const stories = STORIES;
let runner: RunnerHandle | null = null;
let tmp = "";
test.before(async () => {
  runner = await openRunner();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-export-"));
});
test.after.always(async () => {
  await runner?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const ids = [1, ...Array.from({ length: 47 }, (_, i) => 3 + ((i * 29) % 250))];

async function outputs(r: RunnerHandle) {
  const run = (name: string, params: Record<string, unknown>) =>
    r.ok({ op: "generate", inputIds: ids, method: { name, params }, maxNewTokens: 6, ignoreEos: true, returnLogits: true, returnSelection: true });
  const dense = await run("dense", {});
  const gem = await run("gemfilter", { filterLayer: 1, k: 16 });
  const snap = await run("snapkv", { k: 20, window: 4 });
  return [dense.outputIds, dense.firstLogits, gem.outputIds, gem.selection, snap.outputIds, snap.selection];
}

const infoKeys = ["family", "layers", "hiddenSize", "heads", "kvHeads", "headDim", "intermediateSize", "vocabSize", "maxPositions", "eosIds", "bosId", "tiedEmbeddings", "qkvBias", "ropeScaling", "parameterCount", "slidingWindow"];
const pick = (o: Record<string, unknown>) => Object.fromEntries(infoKeys.map((k) => [k, o[k]]));

for (const preset of ["tiny-llama", "tiny-mistral", "tiny-qwen2", "tiny-phi3"]) {
  test.serial(`${preset}: export → load gives the same model`, async (t) => {
    const r = runner!;
    const a = await r.ok({ op: "load", model: `synthetic:${preset}`, seed: 9 });
    const before = await outputs(r);
    const dir = path.join(tmp, preset);
    const ex = await r.ok({ op: "export", dir });
    t.deepEqual(ex.files, [path.join(dir, "config.json"), path.join(dir, "model.safetensors")]);
    const b = await r.ok({ op: "load", model: dir });
    t.deepEqual(pick(b), pick(a));
    t.is(b.source, dir);
    t.deepEqual(await outputs(r), before);
    const names = [...readSafetensors(path.join(dir, "model.safetensors")).keys()];
    if (preset === "tiny-phi3") {
      t.true(names.includes("model.layers.0.self_attn.qkv_proj.weight") && names.includes("model.layers.0.mlp.gate_up_proj.weight"));
      t.false(names.some((n) => n.includes("q_proj") || n.includes("gate_proj.")));
    } else {
      t.true(names.includes("model.layers.0.self_attn.q_proj.weight") && names.includes("model.layers.0.mlp.gate_proj.weight"));
    }
    t.is(names.includes("lm_head.weight"), preset !== "tiny-qwen2", "tied embeddings write no lm_head");
    t.is(names.includes("model.layers.0.self_attn.q_proj.bias"), preset === "tiny-qwen2");
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    t.is(cfg.torch_dtype, "float32");
    t.is((cfg.architectures as string[])[0], { "tiny-llama": "LlamaForCausalLM", "tiny-mistral": "MistralForCausalLM", "tiny-qwen2": "Qwen2ForCausalLM", "tiny-phi3": "Phi3ForCausalLM" }[preset]);
    // A folder that already holds a model is not overwritten by accident.
    const again = await r.send({ op: "export", dir });
    t.false(again.ok);
    if (!again.ok) t.is(again.error.code, "bad_request");
    t.true((await r.send({ op: "export", dir, overwrite: true })).ok);
  });
}

needsShared([NEED.stories], { serial: true })("stories260K: export of a real folder round-trips", async (t) => {
  const r = runner!;
  await r.ok({ op: "load", model: stories });
  const before = await outputs(r);
  const dir = path.join(tmp, "stories");
  await r.ok({ op: "export", dir });
  await r.ok({ op: "load", model: dir });
  t.deepEqual(await outputs(r), before);
});
