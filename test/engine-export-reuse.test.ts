// The transformers engine's copy of a synthetic model: exported by a cpu runner loading the preset in f32 (the cpu backend's only
// dtype), as BF16 for a bf16 cell and F32 otherwise, into <modelDir>/<hash>-<dtype>; a finished export (its marker
// names the same hash and dtype) is reused without starting a runner; an HF model is used in place.
import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Engine, EngineFactory, ModelSpec } from "../core/engine.ts";
import { suites } from "../datasets/index.ts";
import { parseConfig } from "../harness/config.ts";
import { EXPORT_MARKER, engineModelSpec } from "../harness/engines.ts";
import { expandSweep, type Cell } from "../harness/sweep.ts";

function cellOf(model: Record<string, unknown> | string): Cell {
  const cfg = parseConfig({ name: "p", models: [model], engines: [{ method: "dense", engine: "transformers" }], suites: [{ name: "bench" }] }, { source: "p.json", baseDir: "/cfg", suites });
  return expandSweep(cfg, { hash: () => "sha256:00ff" }).find((c) => c.engine === "transformers")!;
}

/** A runner that records what it was asked and "exports" by writing nothing. */
function fakeRunners(log: string[]): EngineFactory {
  return async (device) => {
    log.push(`start ${device}`);
    const e: Partial<Engine> = {
      load: async (spec: ModelSpec) => {
        log.push(`load ${spec.model} ${spec.dtype}`);
        return { ok: true, value: { family: "llama", layers: 2, vocabSize: 10, maxPositions: 100, eosIds: [2], bosId: 1 } };
      },
      exportHf: async (dir, o) => {
        log.push(`export ${dir.split("/").pop()} ${o.dtype}`);
        return { ok: true, value: {} };
      },
      close: async () => {
        log.push("close");
      },
    };
    return e as Engine;
  };
}

test("a bf16 cell: loaded in f32 on a cpu runner, exported as bf16, reused the second time", async (t) => {
  const modelDir = mkdtempSync(join(tmpdir(), "gembench-engine-export-"));
  const cell = cellOf({ id: "synthetic:tiny-llama", dtype: "bf16" });
  const log: string[] = [];
  const opts = { modelDir, runnerFactory: fakeRunners(log), timeoutMs: 1000, log: () => undefined };
  const spec = await engineModelSpec(cell, opts);
  t.is(spec.model, join(modelDir, "sha256-00ff-bf16"));
  t.deepEqual(log, ["start cpu", "load synthetic:tiny-llama f32", "export sha256-00ff-bf16 bf16", "close"]);
  log.length = 0;
  t.deepEqual(await engineModelSpec(cell, opts), spec);
  t.deepEqual(log, [], "reused: no runner started");
});

test("an f32 cell is exported as f32 into its own folder; a marker of another dtype is not reused", async (t) => {
  const modelDir = mkdtempSync(join(tmpdir(), "gembench-engine-export-"));
  const cell = cellOf("synthetic:tiny-llama");
  const dir = join(modelDir, "sha256-00ff-f32");
  const log: string[] = [];
  const opts = { modelDir, runnerFactory: fakeRunners(log), timeoutMs: 1000, log: () => undefined };
  await engineModelSpec(cell, opts);
  t.deepEqual(log, ["start cpu", "load synthetic:tiny-llama f32", "export sha256-00ff-f32 f32", "close"]);
  writeFileSync(join(dir, EXPORT_MARKER), JSON.stringify({ hash: "sha256:00ff", dtype: "bf16" }));
  log.length = 0;
  await engineModelSpec(cell, opts);
  t.deepEqual(log, ["start cpu", "load synthetic:tiny-llama f32", "export sha256-00ff-f32 f32", "close"]);
});

test("an HF model is used in place, nothing exported", async (t) => {
  const log: string[] = [];
  const spec = await engineModelSpec(cellOf("/models/llama"), { modelDir: "/unused", runnerFactory: fakeRunners(log), timeoutMs: 1000, log: () => undefined });
  t.is(spec.model, "/models/llama");
  t.deepEqual(log, []);
});
