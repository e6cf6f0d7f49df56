// The shipped multi-round configs parse and expand to the protocols they name: the CI one on synthetic:retrieval-tiny
// and the paper models' (GPU runs), each with dense, with-question vs context-only, GemFilter's rounds
// keep-filter-layers vs rerun over both question modes, and recompute:false (rounds "single" and recompute true, the
// defaults, are left out of the resolved parameters: engines/gemfilter.ts omitAtDefault).
import test from "ava";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suites } from "../datasets/index.ts";
import { loadConfig } from "../harness/config.ts";
import { expandSweep } from "../harness/sweep.ts";

const dir = fileURLToPath(new URL("../configs", import.meta.url));

test("configs/multi-round-*.json: the protocols of issue 27, every rounds cell context-only", (t) => {
  const files = readdirSync(dir).filter((f) => /^multi-round-.*\.json$/.test(f)).sort();
  t.deepEqual(files, ["multi-round-llama-3.1-8b.json", "multi-round-mistral-nemo-12b.json", "multi-round-phi-3.5-mini.json", "multi-round-tiny.json"]);
  for (const f of files) {
    const c = loadConfig(join(dir, f), suites);
    const cells = expandSweep(c, { hash: () => "sha256:0" });
    const perSuite = cells.length / c.suites.length;
    t.is(perSuite, 12, f);
    const protocols = new Set(cells.map((x) => `${x.method.name}/${String(x.method.params.rounds)}/${String(x.method.params.recompute)}/${x.prompt.compression}/${x.prompt.questions}`));
    for (const p of [
      "dense/undefined/undefined/context-only/multi-request",
      "dense/undefined/undefined/context-only/multi-turn",
      "gemfilter/undefined/undefined/with-question/multi-request",
      "gemfilter/undefined/undefined/context-only/multi-request",
      "gemfilter/keep-filter-layers/undefined/context-only/multi-request",
      "gemfilter/keep-filter-layers/undefined/context-only/multi-turn",
      "gemfilter/rerun/undefined/context-only/multi-turn",
      "gemfilter/undefined/false/context-only/multi-request",
    ])
      t.true(protocols.has(p), `${f}: ${p}`);
  }
});
