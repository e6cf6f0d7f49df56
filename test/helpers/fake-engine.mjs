#!/usr/bin/env node
// A stand-in for the transformers engine's Python in tests without Python: invoked as `<this> server.py --check`
// it prints versions (a CUDA torch when FAKE_ENGINE_CUDA=1) and the capabilities in $FAKE_ENGINE_CAPS (JSON; default
// dense and gemfilter); its hello names the GPU it was given (CUDA_VISIBLE_DEVICES) with `--device cuda`; invoked as
// `<this> server.py --device cpu` it speaks the runner's protocol (engines/native/PROTOCOL.md): hello, load (an HF
// folder only), generate (the output: the prompt's last token repeated, so its text differs from a real model's),
// unload, shutdown. FAKE_ENGINE_HANG_LOAD=1: it says hello and answers describe, but never answers load (a hung load).
import { spawnSync } from "node:child_process";
import { createInterface } from "node:readline";

if (process.argv.includes("--method-specs")) {
  // As GEMBENCH_RUNNER: the methods' parameter specs are the real runner's (the config is checked against them).
  const r = spawnSync(new URL("../../engines/native/build/gem-runner", import.meta.url).pathname, ["--method-specs"], { encoding: "utf8" });
  process.stdout.write(r.stdout);
  process.exit(r.status ?? 1);
}

const caps = JSON.parse(process.env.FAKE_ENGINE_CAPS ?? '{"methods":["dense","gemfilter"],"methodParams":{"dense":[],"gemfilter":["filterLayer","k","keepLast"]}}');
if (process.argv.includes("--check")) {
  const cuda = process.env.FAKE_ENGINE_CUDA === "1";
  process.stdout.write(`${JSON.stringify({ python: "3.11.7", torch: cuda ? "2.13.0+cu128" : "2.13.0+cpu", transformers: "5.18.0", cuda, capabilities: { ...caps, presets: [] } })}\n`);
  process.exit(0);
}
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const gpu = process.argv.includes("cuda") ? `fake GPU ${process.env.CUDA_VISIBLE_DEVICES}` : "cpu";
out({ type: "hello", protocol: 1, build: "fake-engine 0", backend: "fake", device: gpu, computeCapability: null, timer: "perf-counter", capabilities: { ...caps, presets: [] } });
const info = { family: "llama", modelType: "llama", layers: 2, hiddenSize: 64, heads: 4, kvHeads: 2, headDim: 16, intermediateSize: 128, dtype: "f32", vocabSize: 300, maxPositions: 4096, eosIds: [2], bosId: 1 };
createInterface({ input: process.stdin }).on("line", (line) => {
  const req = JSON.parse(line);
  const ok = (result) => out({ id: req.id, ok: true, result });
  if (req.op === "shutdown") {
    ok({});
    process.exit(0);
  } else if (req.op === "load") {
    if (process.env.FAKE_ENGINE_HANG_LOAD === "1") return;
    if (String(req.model).startsWith("synthetic:")) out({ id: req.id, ok: false, error: { code: "unsupported", message: "HF folders only", hint: "" } });
    else ok({ ...info, loadMs: 1 });
  } else if (req.op === "describe") ok(info);
  else if (req.op === "unload") ok({});
  else if (req.op === "generate") {
    const last = req.inputIds[req.inputIds.length - 1];
    ok({
      outputIds: Array.from({ length: req.maxNewTokens }, () => last),
      inputLength: req.inputIds.length,
      keptLength: req.inputIds.length,
      stopReason: "length",
      timings: { filterMs: 0, prefillMs: 1, decodeMs: 1, decodeTokens: Math.max(0, req.maxNewTokens - 1), ttftMs: 1, totalMs: 2 },
      memory: null,
    });
  } else out({ id: req.id, ok: false, error: { code: "bad_request", message: `unknown op ${req.op}`, hint: "" } });
});
