// The shipped paper configs (configs/longbench-table1-*.json, configs/paper-niah-*.json) parse, run the `paper`
// profile, and — run on the CPU with a small model put in place of the 8B one (the override a user makes to try
// them) — give records whose protocol says `paper`, with the authors' caps, stop rule and labels that tell every
// variant apart.
import test from "ava";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../harness/config.ts";
import type { GemRecord } from "../core/records.ts";
import type { Suite } from "../core/suite.ts";
import { longbenchSuite } from "../datasets/longbench/index.ts";
import { niahSuite } from "../datasets/niah/index.ts";
import { variantOf } from "../reports/aggregate.ts";
import { ESSAYS, NEED, needsShared, SHARED_LONGBENCH, STORIES } from "./helpers/shared.ts";
import { gembenchRun, runRecords } from "./helpers/gembench-run.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const model = STORIES;
const essays = ESSAYS;
const runner = process.env.GEMBENCH_RUNNER ?? join(root, "engines", "native", "build", "gem-runner");
const SLUGS: [string, number][] = [["llama-3.1-8b", 13], ["mistral-nemo-12b", 19], ["phi-3.5-mini", 19]];
const suites = { longbench: longbenchSuite, niah: niahSuite } as unknown as Record<string, Suite<unknown>>;
const read = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(root, "configs", name), "utf8")) as Record<string, unknown>;

test("paper NIAH configs: the paper profile, the essays, the 40 × 10 grid, k = 1024 for all four methods (SnapKV and H2O per query head), filter layer per model", (t) => {
  for (const [slug, layer] of SLUGS) {
    const name = `paper-niah-${slug}.json`;
    const cfg = parseConfig(read(name), { source: name, baseDir: join(root, "configs"), suites });
    const opts = niahSuite.options.parse(cfg.suites[0]?.options);
    t.is(opts.profile, "paper", name);
    t.is(opts.haystack, "../data/PaulGrahamEssays", name);
    t.is(opts.lengths.length, 40, name);
    t.deepEqual([opts.lengths[0], opts.lengths[39]], [1000, 128000], name);
    t.deepEqual(opts.depths, [0, 11, 22, 33, 44, 56, 67, 78, 89, 100], name);
    const axes = Object.fromEntries(cfg.engines.map((e) => [e.method, e.axes]));
    t.deepEqual(Object.keys(axes).sort(), ["dense", "gemfilter", "h2o", "snapkv"], name);
    for (const m of ["snapkv", "h2o", "gemfilter"]) t.deepEqual(axes[m]?.k, [1024], `${name} ${m}`);
    t.deepEqual(axes.snapkv?.gqa, ["per-query-head"], name);
    t.deepEqual(axes.h2o?.gqa, ["per-query-head"], name);
    t.deepEqual(axes.gemfilter?.filterLayer, [layer], name);
    t.regex(cfg.description, /Figure 4/, name);
    t.regex(cfg.description, /Deviations:/, name);
  }
});

needsShared([NEED.longbench, NEED.stories, NEED.essays])("paper configs on the CPU with stories260K in place of the 8B model: every record's protocol says paper, caps per method, the authors' stop rule", (t) => {
  if (!existsSync(runner)) return t.pass(`runner binary ${runner} absent (npm run build:native): skipping`);
  const lb = read("longbench-table1-llama-3.1-8b.json");
  const niah = read("paper-niah-llama-3.1-8b.json");
  type Entry = { method: string; params: Record<string, unknown> };
  // The override: a small model, the shared data, k = 64 instead of 1024…4096 (stories260K has 512 positions), layer 2.
  const engines = (lb.engines as Entry[]).map((e) => ({
    method: e.method,
    params: { ...e.params, ...(e.params.k === undefined ? {} : { k: 64 }), ...(e.params.filterLayer === undefined ? {} : { filterLayer: 2 }) },
  }));
  const [lbSuite] = lb.suites as { name: string; options: Record<string, unknown> }[];
  const [niahSuiteEntry] = niah.suites as { name: string; options: Record<string, unknown> }[];
  const config = {
    name: "paper-cpu",
    models: [{ id: model, name: "stories260K" }],
    engines,
    suites: [
      { name: "longbench", options: { ...lbSuite?.options, dir: SHARED_LONGBENCH, datasets: ["multi_news"], limit: 1 } },
      { name: "niah", options: { ...niahSuiteEntry?.options, haystack: essays, lengths: [400], depths: [50] } },
    ],
  };
  const dir = mkdtempSync(join(tmpdir(), "gembench-paper-cpu-"));
  const r = gembenchRun(config, dir, 170_000);
  t.is(r.status, 0, r.stderr.slice(-2000));
  const records: GemRecord[] = runRecords(r.out);
  t.is(records.length, 2 * 4);
  for (const rec of records) {
    const where = `${rec.suite} ${rec.method.label}`;
    t.is(rec.status, "completed", where);
    t.is(rec.protocol.profile, "paper", where);
    t.is(rec.protocol.eosIds, "2", where);
    const out = rec.output?.ids ?? [];
    // the first token plus up to max_gen more; EOS (2) ends it only from the second token on
    t.true(out.length >= 1 && out.length <= (rec.suite === "niah" ? 51 : 257), where);
    if (rec.output?.stopReason === "eos") t.true(out.length >= 2 && out[out.length - 1] === 2, where);
    else t.is(out.length, rec.suite === "niah" ? 51 : 257, where);
    t.false(out.slice(1, -1).includes(2), where);
    if (rec.suite === "longbench") {
      // H2O's input is capped at 8192 by the paper profile, the others at 128000 (both fitted below to 512 positions)
      t.is(rec.protocol.inputCap, rec.method.name === "h2o" ? 8192 : 128000, where);
      t.is(rec.protocol.chatTemplateMode, "off", where);
    }
  }
  // labels: SnapKV and H2O say they are per query head, every LongBench variant carries profile and cap
  const labels = records.map((x) => variantOf(x, { withModel: false }));
  t.true(labels.includes("snapkv k=64 gqa=per-query-head · paper cap=128000"), labels.join(" | "));
  t.true(labels.includes("h2o k=64 gqa=per-query-head · paper cap=8192"), labels.join(" | "));
  t.true(labels.includes("snapkv k=64 gqa=per-query-head · paper"), labels.join(" | "));
  t.is(new Set(records.map((x) => x.cellKey)).size, 8);
  t.is(new Set(labels).size, 8);
});
