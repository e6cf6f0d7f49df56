// A model without a dtype runs in the backend's own: f32 on the cpu runner, bf16 on GPU runners (the cuda backend
// refuses f32), resolved from --devices before the cells (and their keys) are made; a dtype given is kept, and a
// device list mixing both is refused rather than guessed.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig, resolveDtypes } from "../harness/config.ts";
import { suites } from "../datasets/index.ts";
import { UsageError } from "../core/errors.ts";

function config(models: object[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-dtype-"));
  const file = path.join(dir, "c.json");
  fs.writeFileSync(file, JSON.stringify({ name: "d", models, engines: [{ method: "dense" }], suites: [{ name: "bench", options: { lengths: [16] } }] }));
  try {
    return loadConfig(file, suites);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("no dtype: auto, then f32 on the cpu and bf16 on GPUs; a given dtype is kept", (t) => {
  const c = config([{ id: "synthetic:tiny-llama" }, { id: "synthetic:tiny-qwen2", dtype: "bf16" }]);
  t.deepEqual(c.models.map((m) => m.dtype), ["auto", "bf16"]);
  t.deepEqual(resolveDtypes(c, ["cpu"]).models.map((m) => m.dtype), ["f32", "bf16"]);
  t.deepEqual(resolveDtypes(c, ["0", "1"]).models.map((m) => m.dtype), ["bf16", "bf16"]);
  t.deepEqual(c.models.map((m) => m.dtype), ["auto", "bf16"], "the loaded config is not changed in place");
});

test("auto with a device list mixing the cpu and GPUs is a usage error naming the fix", (t) => {
  const c = config([{ id: "synthetic:tiny-llama" }]);
  const e = t.throws(() => resolveDtypes(c, ["cpu", "0"]), { instanceOf: UsageError });
  t.regex(e?.message ?? "", /mixes the cpu \(f32\) and GPUs \(bf16\): give each model a dtype/);
  t.deepEqual(resolveDtypes(config([{ id: "synthetic:tiny-llama", dtype: "f32" }]), ["cpu", "0"]).models[0]?.dtype, "f32");
});
