import test from "ava";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../harness/config.ts";
import { longbenchSuite } from "../datasets/longbench/index.ts";
import type { Suite } from "../core/suite.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const MODELS: [string, number][] = [["llama-3.1-8b", 13], ["mistral-nemo-12b", 19], ["phi-3.5-mini", 19]];

test("Table 1 configs parse with the harness schema under the paper profile: dense, snapkv (per query head)/gemfilter at 1024/2048/4096, h2o 4096 (per query head), filter layer per model", (t) => {
  for (const [slug, layer] of MODELS) {
    const path = join(root, "configs", `longbench-table1-${slug}.json`);
    const cfg = parseConfig(JSON.parse(readFileSync(path, "utf8")), {
      source: path,
      baseDir: dirname(path),
      suites: { longbench: longbenchSuite as unknown as Suite<unknown> },
    });
    const axes = Object.fromEntries(cfg.engines.map((e) => [e.method, e.axes]));
    t.deepEqual(axes.dense, {}, slug);
    t.deepEqual(axes.snapkv?.k, [1024, 2048, 4096], slug);
    t.deepEqual(axes.snapkv?.gqa, ["per-query-head"], slug);
    t.deepEqual(axes.h2o?.gqa, ["per-query-head"], slug);
    t.deepEqual(axes.gemfilter?.k, [1024, 2048, 4096], slug);
    t.deepEqual(axes.gemfilter?.filterLayer, [layer], slug);
    t.deepEqual(axes.h2o?.k, [4096], slug);
    const opts = longbenchSuite.options.parse(cfg.suites[0]?.options);
    t.is(opts.profile, "paper");
    t.is(opts.datasets, "table1");
    // the paper profile's own cap (128000, 8192 for H2O) and no chat template: nothing set that would override them
    t.is(opts.maxLength, undefined);
    t.is(opts.chatTemplate, undefined);
    t.is(opts.scoring, "official");
    t.regex(cfg.description, /Table 1/);
    t.regex(cfg.description, /Deviations:/);
  }
});
