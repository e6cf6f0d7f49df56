// Opt-in (GEMBENCH_TRANSFORMERS_PYTHON): a synthetic model of each family, exported by the runner as a Hugging Face
// folder, gives the same logits in transformers as in our fp32 cpu backend — relative max difference over the
// vocabulary ≤ 1e-4 (two fp32 computations in different orders; observed ≤ 1e-5) — and the same 8 greedy tokens.
// This checks our reading of each architecture (phi3's fused layouts, qwen2's biases, mistral's head_dim, llama3 and
// longrope RoPE) against transformers' own modelling code.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openRunner } from "./helpers/native.ts";
import { assertTransformersParity, familyPresets, skipMessage } from "./helpers/transformers.ts";

const skip = skipMessage("the transformers export parity test");
if (skip) console.warn(skip);

(skip ? test.skip : test)("exported synthetic models: transformers' logits and greedy tokens equal ours, every family", async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-hf-export-"));
  const r = await openRunner();
  try {
    for (const preset of familyPresets) {
      const dir = path.join(tmp, preset);
      await r.ok({ op: "load", model: `synthetic:${preset}`, seed: 3 });
      await r.ok({ op: "export", dir });
      await assertTransformersParity(t, r, dir, preset);
    }
  } finally {
    await r.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// The written-weights retrieval model (engines/native/RETRIEVAL-MODEL.md) is a plain Llama too: explicit head_dim 256
// (≠ hidden/heads), rope_theta 1e24, zero MLPs in two layers.
(skip ? test.skip : test)("exported synthetic:retrieval-tiny: transformers' logits and greedy tokens equal ours", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-hf-retrieval-"));
  const r = await openRunner();
  try {
    await r.ok({ op: "load", model: "synthetic:retrieval-tiny" });
    await r.ok({ op: "export", dir: path.join(dir, "m") });
    await assertTransformersParity(t, r, path.join(dir, "m"), "retrieval-tiny");
  } finally {
    await r.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
