// The shipped RULER configs parse, and ask for RULER's setup: 13 tasks, 4K–128K, 500 samples, seed 42.
import test from "ava";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suites } from "../datasets/index.ts";
import { loadConfig } from "../harness/config.ts";
import { RULER_LENGTHS, TASK_NAMES, type RulerOptions } from "../datasets/ruler/index.ts";

const dir = fileURLToPath(new URL("../configs", import.meta.url));

test("configs/ruler-<model>.json: RULER's 13 tasks at 4K–128K, 500 samples, seed 42", (t) => {
  const files = readdirSync(dir).filter((f) => /^ruler-.*\.json$/.test(f) && f !== "ruler-tiny.json");
  t.deepEqual(files.sort(), ["ruler-llama-3.1-8b.json", "ruler-mistral-nemo-12b.json", "ruler-phi-3.5-mini.json"]);
  for (const f of files) {
    const c = loadConfig(join(dir, f), suites);
    const o = c.suites[0]?.options as RulerOptions;
    t.deepEqual(o.tasks, [...TASK_NAMES], f);
    t.deepEqual(o.lengths, [...RULER_LENGTHS], f);
    t.is(o.samples, 500, f);
    t.is(o.seed, 42, f);
    t.is(o.vtExampleLength, 500, f);
    t.deepEqual(c.engines.map((e) => e.method), ["dense", "snapkv", "h2o", "gemfilter"], f);
  }
});
