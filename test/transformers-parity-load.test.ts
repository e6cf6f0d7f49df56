// Opt-in (GEMBENCH_TRANSFORMERS_PYTHON): a folder written by transformers itself (its own seeded initialisation,
// rescaled to be far from flat, saved with save_pretrained as bf16 safetensors) loads in our runner and gives
// transformers' logits — relative max difference ≤ 1e-4 — and its 8 greedy tokens, for every family. Complements the
// export test: there our writer and reader could share a mistake; here transformers wrote the tensors.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openRunner } from "./helpers/native.ts";
import { assertTransformersParity, familyPresets, peer, skipMessage } from "./helpers/transformers.ts";

const skip = skipMessage("the transformers load parity test");
if (skip) console.warn(skip);

(skip ? test.skip : test)("folders saved by transformers (bf16): our logits and greedy tokens equal transformers', every family", async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-hf-load-"));
  const r = await openRunner();
  try {
    for (const preset of familyPresets) {
      const configDir = path.join(tmp, `${preset}-config`);
      const dir = path.join(tmp, preset);
      // The preset's config.json (export writes it with the weights), then transformers builds and saves the model.
      await r.ok({ op: "load", model: `synthetic:${preset}`, seed: 0 });
      await r.ok({ op: "export", dir: configDir });
      peer({ op: "save-random", from: configDir, to: dir, seed: 5, dtype: "bfloat16" });
      const header = fs.readFileSync(path.join(dir, "model.safetensors"));
      t.true(header.includes(Buffer.from('"BF16"')), `${preset}: transformers wrote bf16 tensors`);
      await r.ok({ op: "load", model: dir });
      await assertTransformersParity(t, r, dir, preset);
    }
  } finally {
    await r.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
