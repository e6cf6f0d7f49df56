// A bench run on the CPU records the achieved rates of every phase that has work and time, computed from the
// runner's own description of the model (describe) and the medians of the repeats, and summary.md shows them.
import test from "ava";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LoadedModel } from "../core/engine.ts";
import type { GemRecord } from "../core/records.ts";
import { modelShape, phaseWork } from "../engines/phase-work.ts";
import { openRunner } from "./helpers/native.ts";
import { gembenchRun, runRecords } from "./helpers/gembench-run.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const runner = process.env.GEMBENCH_RUNNER ?? join(root, "engines", "native", "build", "gem-runner");

test("bench on synthetic:small-llama: rates per phase in records.jsonl and summary.md", async (t) => {
  if (!existsSync(runner)) return t.pass(`runner binary ${runner} absent (npm run build:native): skipping the bench run`);
  const dir = mkdtempSync(join(tmpdir(), "gembench-rates-"));
  const config = {
    name: "bench-rates",
    models: [{ id: "synthetic:small-llama" }],
    engines: [
      { method: "dense" },
      { method: "gemfilter", params: { filterLayer: 1, k: 64 } },
      { method: "snapkv", params: { k: 64 } },
      { method: "h2o", params: { k: 64 } },
      { method: "random", params: { k: 64 } },
    ],
    suites: [{ name: "bench", options: { lengths: [128, 256], maxNewTokens: 4 }, ignoreEos: true, warmups: 0, repeats: 3 }],
  };
  const r = gembenchRun(config, dir, 110_000);
  t.is(r.status, 0, r.stderr.slice(-2000));
  const out = r.out;
  const records: GemRecord[] = runRecords(out);
  t.is(records.length, 10);

  const rn = await openRunner();
  const described = LoadedModel.parse(await rn.ok({ op: "describe", model: "synthetic:small-llama" }));
  await rn.close();
  t.is(described.dtype, "f32");
  const shape = modelShape(described);
  if (shape === null) return t.fail("describe lacks a shape field");
  for (const rec of records) {
    const where = `${rec.method.label} ${rec.caseId}`;
    t.is(rec.status, "completed", where);
    const tm = rec.timings!;
    const rates = tm.rates!;
    t.is(tm.decodeTokens, 3, where);
    const work = phaseWork(shape, { method: rec.method.name, params: rec.method.params, inputLength: rec.inputLength, keptLength: rec.keptLength!, decodeTokens: 3, bytesPerValue: 4 })!;
    // The record's rates are the work of the model the runner describes ÷ the median times (f32: 4 bytes a value).
    t.is(rates.prefillTflops, work.prefill.flops / (tm.prefillMs * 1e9), where);
    t.is(rates.prefillGBps, work.prefill.bytes / (tm.prefillMs * 1e6), where);
    t.is(rates.decodeTflops, work.decode.flops / (tm.decodeMs * 1e9), where);
    t.is(rates.decodeGBps, work.decode.bytes / (tm.decodeMs * 1e6), where);
    if (rec.method.name === "gemfilter") t.is(rates.filterTflops, work.filter!.flops / (tm.filterMs * 1e9), where);
    else t.false("filterTflops" in rates, where);
    t.is(rec.keptLength, rec.method.name === "dense" ? rec.inputLength : 64, where);
  }
  const summary = readFileSync(join(out, "summary.md"), "utf8");
  t.regex(summary, /\| Filter TFLOP\/s \| Prefill TFLOP\/s \| Decode TFLOP\/s \| Prefill GB\/s \| Decode GB\/s \|/);
  t.regex(summary, /\| dense \| 128 \| 1 \|( [^|]+ \|){15}\n/);
});
